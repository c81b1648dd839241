"""Fixtures for the end-to-end tests: corrald WITH its node agent (pods, VMs).

These tests create network devices, mounts, containers and VMs, so they must
run as root inside a network namespace made for them: tools/e2e.sh creates
one (`ip netns add`), runs pytest inside it with `ip netns exec`, and deletes
it afterwards. The fixtures refuse to run in the host's network namespace.

Fixtures:
  node          session-scoped corrald with the agent, test images imported
  node_factory  extra daemons (e.g. for kill -9 tests), stopped and scrubbed after
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

_IT = Path(__file__).resolve().parents[1] / "integration" / "conftest.py"
_spec = importlib.util.spec_from_file_location("corral_it_harness", _IT)
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)
Corrald = harness.Corrald
unique = harness.unique
KUBECTL = harness.KUBECTL

IMAGES_DIR = Path(os.environ.get("CORRAL_TEST_IMAGES", Path(__file__).resolve().parents[2] / ".cache" / "test-images"))
BUSYBOX = "localhost/corral-test/busybox:latest"


def _in_own_netns() -> bool:
    """True when this process runs in the namespace tools/e2e.sh made (/run/netns/$CORRAL_E2E_NETNS)."""
    name = os.environ.get("CORRAL_E2E_NETNS")
    if not name:
        return False
    try:
        return os.stat("/proc/self/ns/net").st_ino == os.stat(f"/run/netns/{name}").st_ino
    except OSError:
        return False


def require_e2e():
    if os.geteuid() != 0:
        pytest.fail("end-to-end tests need root (run tools/e2e.sh as root)", pytrace=False)
    if not _in_own_netns():
        pytest.fail("end-to-end tests must run inside their own network namespace: use tools/e2e.sh", pytrace=False)


def scrub(data_dir: Path):
    """Remove whatever a killed daemon left behind under data_dir: containers
    (conmon/runc), mounts, pod network namespaces. Only touches things whose
    records live in data_dir (this run's daemon made them)."""
    runc_root = data_dir / "runc"
    if runc_root.exists():
        out = subprocess.run(["runc", "--root", str(runc_root), "list", "-q"], capture_output=True, text=True).stdout
        for cid in out.split():
            subprocess.run(["runc", "--root", str(runc_root), "delete", "--force", cid], capture_output=True)
    for pidfile in data_dir.glob("containers/*/bundle/conmon.pid"):
        try:
            os.kill(int(pidfile.read_text().strip()), signal.SIGKILL)
        except (ValueError, OSError):
            pass
    # Unmount deepest first.
    mounts = [l.split()[1] for l in Path("/proc/self/mounts").read_text().splitlines()]
    for m in sorted((m for m in mounts if m.startswith(str(data_dir))), key=len, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)
    dhcp = data_dir / "vms" / ".dhcp" / "dnsmasq.pid"
    if dhcp.exists():
        try:
            os.kill(int(dhcp.read_text().strip()), signal.SIGTERM)
        except (ValueError, OSError):
            pass
    for rec in data_dir.glob("pods/*/netns"):
        name = rec.read_text().strip()
        if name:
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)
    # VMs: domains whose files live under data_dir, then each masquerade VM's
    # dnsmasq and network namespace (corral-vm-UID).
    names = subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"],
                           capture_output=True, text=True).stdout.split()
    for dom in names:
        xml = subprocess.run(["virsh", "-c", "qemu:///system", "dumpxml", dom], capture_output=True, text=True).stdout
        if str(data_dir) in xml:
            subprocess.run(["virsh", "-c", "qemu:///system", "destroy", dom], capture_output=True)
            subprocess.run(["virsh", "-c", "qemu:///system", "undefine", dom], capture_output=True)
    for vm_dir in data_dir.glob("vms/*"):
        for pidfile in vm_dir.glob("masquerade/*.pid"):
            try:
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
            except (ValueError, OSError):
                pass
        subprocess.run(["ip", "netns", "delete", f"corral-vm-{vm_dir.name}"], capture_output=True)


class Node(Corrald):
    """A corrald with the node agent, plus helpers for pods."""

    def wait_pod(self, name: str, ns: str, cond=lambda p: p.get("status", {}).get("phase") == "Running",
                 timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        pod = {}
        while time.monotonic() < deadline:
            p = self.kubectl("get", "pod", name, "-n", ns, "-o", "json", check=False)
            if p.returncode == 0:
                pod = json.loads(p.stdout)
                if cond(pod):
                    return pod
            time.sleep(0.25)
        raise AssertionError(f"pod {ns}/{name} did not reach the condition in {timeout}s; last status:\n"
                             f"{json.dumps(pod.get('status'), indent=1)[:3000]}\nlog tail:\n{self.log_tail(30)}")

    def events(self, ns: str, name: str) -> list[dict]:
        items = self.kubectl_json("get", "events", "-n", ns)["items"]
        return [e for e in items if e["involvedObject"].get("name") == name]


def _make_node(extra=()) -> Node:
    base = Path(tempfile.mkdtemp(prefix="corral-e2e-"))
    base.chmod(0o711)  # QEMU runs as libvirt-qemu and must be able to walk to the VM files
    d = Node(harness.corrald_binary(), base / "data", extra_args=("--enable-agent", *extra))
    # Air-gapped style: archives dropped here are imported at start (as k3s does).
    imp = d.data_dir / "images" / "import"
    imp.mkdir(parents=True, exist_ok=True)
    for name in ("busybox.tar", "kernelboot.tar", "containerdisk.tar"):
        src = IMAGES_DIR / name
        if not src.exists():
            pytest.fail(f"test image {src} missing: run tools/make-test-images {IMAGES_DIR}", pytrace=False)
        shutil.copy(src, imp / name)
    return d


def _teardown(d: Node):
    if d.alive():
        # VM owners first, or their controllers would start new VMIs for deleted launcher pods.
        d.kubectl("delete", "virtualmachines,virtualmachineinstancereplicasets,virtualmachineinstances", "--all", "-A",
                  "--wait=true", "--timeout=90s", check=False, timeout=120)
        d.kubectl("delete", "pods", "--all", "-A", "--wait=true", "--timeout=60s", check=False, timeout=90)
    d.stop()
    scrub(d.data_dir)
    if not os.environ.get("CORRAL_KEEP_DATA"):
        shutil.rmtree(d.data_dir.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def node():
    require_e2e()
    d = _make_node()
    try:
        d.start(timeout=120)
    except Exception:
        _teardown(d)
        raise
    yield d
    _teardown(d)


@pytest.fixture
def node_factory():
    require_e2e()
    made: list[Node] = []

    def make(*extra: str) -> Node:
        d = _make_node(extra)
        made.append(d)
        d.start(timeout=120)
        return d

    yield make
    for d in made:
        _teardown(d)


@pytest.fixture
def ns(node):
    name = unique("e2e")
    node.kubectl("create", "namespace", name)
    yield name
    node.kubectl("delete", "namespace", name, "--wait=false", check=False)
