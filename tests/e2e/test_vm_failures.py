"""How a guest ends decides what its VirtualMachine does, end to end on real
QEMU (TCG here): a kernel panic (reported through the pvpanic device the
converter adds) fails the VMI, a clean `poweroff -f` succeeds it;
RerunOnFailure restarts only the first, Always both, and a guest that keeps
panicking ends in CrashLoopBackOff with growing back-off. A containerDisk
whose qcow2 names a backing file fails the VMI with the field path."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from conftest import unique
from test_vms import launcher_pod, vm_manifest, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "test-images"))
import oci  # noqa: E402  (the test image builder's OCI writer)
from tree import Tree  # noqa: E402

PANIC = "#!/bin/sh\necho corral-test: about to panic\necho c > /proc/sysrq-trigger\n"
POWEROFF = "#!/bin/sh\necho corral-test: powering off\npoweroff -f\n"
BOOT = 180  # TCG on two shared cores: generous


class PhaseLog:
    """Every (VMI uid, phase) the namespace's VMIs pass through, from a kubectl watch: a
    Failed VMI is replaced within a second, too fast to catch by polling."""

    def __init__(self, node, ns: str):
        self.seen: list[tuple[str, str]] = []
        self.proc = node.popen_kubectl("get", "vmi", "-n", ns, "-w", "-o",
                                       "jsonpath={.metadata.uid} {.status.phase}{\"\\n\"}")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            parts = line.split()
            if len(parts) == 2 and (not self.seen or self.seen[-1] != tuple(parts)):
                self.seen.append((parts[0], parts[1]))

    def phases(self, uid: str) -> list[str]:
        return [p for u, p in self.seen if u == uid]

    def uids(self) -> list[str]:
        out: list[str] = []
        for u, _ in self.seen:
            if u not in out:
                out.append(u)
        return out

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def vmi_or_none(node, ns, name):
    p = node.kubectl("get", "vmi", name, "-n", ns, "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def vm_status(node, ns, name) -> dict:
    return node.kubectl_json("get", "vm", name, "-n", ns).get("status", {})


def uid_events(node, ns, uid) -> list[dict]:
    items = node.kubectl_json("get", "events", "-n", ns)["items"]
    return [e for e in items if e["involvedObject"].get("uid") == uid]


def apply(node, manifest):
    node.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def bridged(manifest: dict) -> dict:
    """The bridge binding: the guest holds the pod IP, leased by the node's dnsmasq on
    corral0 (masquerade guests get 10.0.2.2 from a per-VM dnsmasq instead)."""
    manifest["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"] = [{"name": "default", "bridge": {}}]
    return manifest


def running_vmi(node, ns, name, not_uid=None):
    v = vmi_or_none(node, ns, name)
    if v and v["metadata"]["uid"] != not_uid and v.get("status", {}).get("phase") == "Running":
        return v
    return None


def delete_vm(node, ns, name):
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120, check=False)


def test_rerun_on_failure_restarts_a_guest_that_panicked(node, ns):
    name = unique("vm")
    log = PhaseLog(node, ns)
    try:
        apply(node, bridged(vm_manifest(name, ns, kernel_boot=True, user_data=PANIC, run_strategy="RerunOnFailure")))
        first = wait_for(lambda: running_vmi(node, ns, name), BOOT, "first VMI Running")
        uid1 = first["metadata"]["uid"]
        # The next VMI is made from the template as it is then: this one boots and stays up.
        token = unique("second-boot")
        template = bridged(vm_manifest(name, ns, kernel_boot=True, user_data=f"#!/bin/sh\necho {token}\n", run_strategy="RerunOnFailure"))
        node.kubectl("patch", "vm", name, "-n", ns, "--type=merge", "-p", json.dumps({"spec": {"template": template["spec"]["template"]}}))
        wait_for(lambda: "Failed" in log.phases(uid1), BOOT, f"VMI {uid1} Failed after its guest panicked")
        assert "Succeeded" not in log.phases(uid1)
        crashed = [e for e in uid_events(node, ns, uid1) if e["reason"] == "Stopped"]
        assert crashed and "crashed" in crashed[0]["message"], crashed
        assert vm_status(node, ns, name)["startFailure"]["lastFailedVMIUID"] == uid1
        second = wait_for(lambda: running_vmi(node, ns, name, not_uid=uid1), BOOT, "a new VMI Running")
        assert second["metadata"]["uid"] != uid1
        pod = launcher_pod(node, ns, name)
        console = wait_for(lambda: (lambda out: out if token in out else None)(
            node.kubectl("logs", pod["metadata"]["name"], "-n", ns, check=False).stdout), BOOT, "second guest's user-data on its console")
        # The new guest got its (often reused) pod IP by DHCP although the panicked one held a lease on it.
        ip = second["status"]["interfaces"][0]["ipAddress"]
        assert f"bound {ip}/" in console, console[-2000:]
        wait_for(lambda: vm_status(node, ns, name).get("printableStatus") == "Running", 90, "VM Running again")
    finally:
        log.close()
        delete_vm(node, ns, name)


def test_rerun_on_failure_leaves_a_cleanly_powered_off_guest_stopped(node, ns):
    name = unique("vm")
    log = PhaseLog(node, ns)
    try:
        apply(node, vm_manifest(name, ns, kernel_boot=True, user_data=POWEROFF, run_strategy="RerunOnFailure"))
        vmi = wait_for(lambda: (lambda v: v if v and v.get("status", {}).get("phase") == "Succeeded" else None)(vmi_or_none(node, ns, name)),
                       BOOT, "VMI Succeeded after poweroff -f")
        uid = vmi["metadata"]["uid"]
        assert "Failed" not in log.phases(uid)
        wait_for(lambda: vm_status(node, ns, name).get("printableStatus") == "Stopped", 90, "VM Stopped")
        time.sleep(20)  # longer than the first crash-loop back-off: nothing may restart it
        vmi = vmi_or_none(node, ns, name)
        assert vmi and vmi["metadata"]["uid"] == uid and vmi["status"]["phase"] == "Succeeded"
        assert log.uids() == [uid], log.seen
        st = vm_status(node, ns, name)
        assert st.get("printableStatus") == "Stopped" and "startFailure" not in st, st
        pod = launcher_pod(node, ns, name)
        term = pod["status"]["containerStatuses"][0]["state"].get("terminated") if pod else None
        assert pod is None or (term and term["exitCode"] == 0), pod and pod["status"]
    finally:
        log.close()
        delete_vm(node, ns, name)


def test_always_restarts_a_cleanly_powered_off_guest(node, ns):
    name = unique("vm")
    log = PhaseLog(node, ns)
    try:
        apply(node, vm_manifest(name, ns, kernel_boot=True, user_data=POWEROFF, run_strategy="Always"))
        wait_for(lambda: [u for u in log.uids() if "Succeeded" in log.phases(u)], BOOT, "a VMI Succeeded")
        uid1 = next(u for u in log.uids() if "Succeeded" in log.phases(u))
        wait_for(lambda: [u for u in log.uids() if u != uid1 and "Running" in log.phases(u)], BOOT, "a new VMI Running")
        assert "Failed" not in log.phases(uid1)
        # A clean power-off after running is no failure: no crash-loop back-off.
        assert "startFailure" not in vm_status(node, ns, name)
    finally:
        log.close()
        delete_vm(node, ns, name)


def test_a_guest_that_keeps_panicking_goes_to_crash_loop_back_off(node, ns):
    name = unique("vm")
    log = PhaseLog(node, ns)
    try:
        apply(node, vm_manifest(name, ns, kernel_boot=True, user_data=PANIC, run_strategy="Always"))
        wait_for(lambda: vm_status(node, ns, name).get("printableStatus") == "CrashLoopBackOff", BOOT, "CrashLoopBackOff")
        st = wait_for(lambda: (lambda s: s if s.get("startFailure", {}).get("consecutiveFailCount", 0) >= 2 else None)(vm_status(node, ns, name)),
                      2 * BOOT, "a second failure after the first back-off")
        failed = [u for u in log.uids() if "Failed" in log.phases(u)]
        assert len(failed) >= 2, log.seen
        assert st["startFailure"]["lastFailedVMIUID"] == failed[-1]
        # Back-off grows: the second wait is 40 s (10 s x failures²) from the failure.
        retry = datetime.fromisoformat(st["startFailure"]["retryAfterTimestamp"].replace("Z", "+00:00")).timestamp()
        assert retry - time.time() > 20, st["startFailure"]
        assert st["printableStatus"] == "CrashLoopBackOff", st
        assert vmi_or_none(node, ns, name) is None or vmi_or_none(node, ns, name)["status"]["phase"] == "Failed"
    finally:
        log.close()
        delete_vm(node, ns, name)


def backing_file_image(path: Path, ref: str):
    """An OCI archive whose /disk/disk.qcow2 names a host file as its backing file."""
    with tempfile.TemporaryDirectory() as d:
        disk = Path(d) / "disk.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", "/etc/passwd", "-F", "raw", str(disk), "64M"], check=True)
        t = Tree()
        t.file("disk/disk.qcow2", disk.read_bytes(), uid=107, gid=107)
    built = oci.build_image(ref, [t], oci.ImageConfig(env=[oci.DEFAULT_PATH], cmd=["/bin/true"]))
    tmp = path.with_suffix(".part")
    tmp.write_bytes(built.archive)
    tmp.rename(path)


def test_containerdisk_naming_a_backing_file_fails_the_vmi_with_the_field_path(node, ns):
    ref = f"localhost/corral-test/{unique('backing')}:latest"
    backing_file_image(node.data_dir / "images" / "import" / f"{ref.split('/')[-1].split(':')[0]}.tar", ref)
    name = unique("vmi")
    vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": name, "namespace": ns},
           "spec": {"domain": {"memory": {"guest": "128Mi"}, "devices": {"disks": [{"name": "root", "disk": {"bus": "virtio"}}]}},
                    "terminationGracePeriodSeconds": 0,
                    "volumes": [{"name": "root", "containerDisk": {"image": ref, "imagePullPolicy": "Never"}}]}}
    apply(node, vmi)
    got = wait_for(lambda: (lambda v: v if v and v.get("status", {}).get("phase") == "Failed" else None)(vmi_or_none(node, ns, name)),
                   120, "VMI Failed")
    cond = next((c for c in got["status"].get("conditions", []) if c["type"] == "Synchronized"), None)
    assert cond and cond["status"] == "False" and cond["reason"] == "FailedCreate", got["status"]
    assert cond["message"].startswith("spec.volumes[0].containerDisk.image: qcow2 names a backing file (/etc/passwd)"), cond
    events = [e for e in node.events(ns, name) if e["reason"] == "FailedCreate"]
    assert events and events[0]["type"] == "Warning" and "spec.volumes[0].containerDisk.image" in events[0]["message"], events
    assert not subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"], capture_output=True, text=True).stdout.count(f"{ns}_{name}")
    node.kubectl("delete", "vmi", name, "-n", ns, "--wait=true", "--timeout=60s", timeout=90)


def dnsmasq_alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().startswith("dnsmasq")
    except OSError:
        return False


def wait_dnsmasq(node, dhcp: Path, other_than: int, what: str) -> int:
    """The pid of a live dnsmasq serving `dhcp`, other than `other_than`; on timeout the
    failure shows dnsmasq's own log and the daemon's."""
    def current():
        try:
            p = int((dhcp / "dnsmasq.pid").read_text())
        except (OSError, ValueError):
            return None
        return p if p != other_than and dnsmasq_alive(p) else None
    try:
        return wait_for(current, 60, what)
    except AssertionError as e:
        log = (dhcp / "dnsmasq.log").read_text()[-2000:] if (dhcp / "dnsmasq.log").exists() else "(no dnsmasq.log)"
        raise AssertionError(f"{e}\ndnsmasq.log:\n{log}\ncorrald:\n{node.log_tail(80)}") from None


def test_vm_dhcp_survives_kill9_but_stops_with_a_clean_shutdown(node_factory):
    node = node_factory()
    ns = unique("vmdhcp")
    node.kubectl("create", "namespace", ns)
    name = unique("vm")
    apply(node, bridged(vm_manifest(name, ns, kernel_boot=True, user_data="#!/bin/sh\ntrue\n")))
    vmi = wait_for(lambda: running_vmi(node, ns, name), BOOT, "VMI Running")
    ip = vmi["status"]["interfaces"][0]["ipAddress"]
    dhcp = node.data_dir / "vms" / ".dhcp"
    pid = int((dhcp / "dnsmasq.pid").read_text())
    assert dnsmasq_alive(pid) and ip in (dhcp / "dhcp-hosts").read_text()

    node.kill9()
    assert dnsmasq_alive(pid), "kill -9 of corrald must leave DHCP serving the running guests"
    node.start(timeout=120)
    # The restarted agent adopts the same dnsmasq and registers the re-adopted guest's lease.
    wait_for(lambda: "dhcp for VMs adopted" in node.log_tail(400), 60, "dnsmasq adopted")
    assert int((dhcp / "dnsmasq.pid").read_text()) == pid and dnsmasq_alive(pid)
    assert ip in (dhcp / "dhcp-hosts").read_text()

    node.stop()  # SIGTERM: a clean exit stops dnsmasq (the guests keep running)
    wait_for(lambda: not dnsmasq_alive(pid), 15, "dnsmasq stopped with the agent")
    qemu = int(Path(f"/run/libvirt/qemu/{ns}_{name}.pid").read_text().strip())
    assert Path(f"/proc/{qemu}").exists(), "the guest must outlive a clean agent shutdown"

    node.start(timeout=120)
    new = wait_dnsmasq(node, dhcp, other_than=pid, what="a new dnsmasq for the adopted guest")
    assert ip in (dhcp / "dhcp-hosts").read_text(), new
    assert running_vmi(node, ns, name)["metadata"]["uid"] == vmi["metadata"]["uid"]

    # A dnsmasq that dies under running guests is started again by the agent.
    os.kill(new, signal.SIGKILL)
    wait_dnsmasq(node, dhcp, other_than=new, what="dnsmasq restarted after it was killed")
    assert ip in (dhcp / "dhcp-hosts").read_text()
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
