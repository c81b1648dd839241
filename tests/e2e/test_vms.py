"""KubeVirt VirtualMachines on libvirt, end to end: kubectl apply of
unmodified kubevirt.io/v1 manifests, a real QEMU guest (TCG here), cloud-init
user-data whose output shows on the launcher pod's log (the serial console)."""
from __future__ import annotations

import json
import time

import pytest

from conftest import unique

KERNELBOOT = "localhost/corral-test/kernelboot:latest"
CONTAINERDISK = "localhost/corral-test/containerdisk:latest"


def vm_manifest(name: str, ns: str, *, kernel_boot: bool, user_data: str, run_strategy: str = "Always") -> dict:
    domain = {"cpu": {"cores": 1}, "memory": {"guest": "256Mi"},
              "devices": {"disks": [], "interfaces": [{"name": "default", "masquerade": {}}],
                          "rng": {}}}
    volumes = [{"name": "cloudinit", "cloudInitNoCloud": {"userData": user_data}}]
    domain["devices"]["disks"].append({"name": "cloudinit", "disk": {"bus": "virtio"}})
    if kernel_boot:
        domain["firmware"] = {"kernelBoot": {"kernelArgs": "console=ttyS0",
                                             "container": {"image": KERNELBOOT, "imagePullPolicy": "Never",
                                                           "kernelPath": "/boot/vmlinuz", "initrdPath": "/boot/initramfs.img"}}}
    else:
        domain["devices"]["disks"].insert(0, {"name": "root", "disk": {"bus": "virtio"}})
        volumes.insert(0, {"name": "root", "containerDisk": {"image": CONTAINERDISK, "imagePullPolicy": "Never"}})
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"runStrategy": run_strategy,
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"domain": domain, "networks": [{"name": "default", "pod": {}}],
                                           "terminationGracePeriodSeconds": 0, "volumes": volumes}}}}


def launcher_pod(node, ns: str, vmi: str) -> dict | None:
    pods = node.kubectl_json("get", "pods", "-n", ns, "-l", f"vm.kubevirt.io/name={vmi}")["items"]
    return pods[0] if pods else None


def wait_for(fn, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@pytest.mark.parametrize("kernel_boot", [True, False], ids=["kernelboot", "containerdisk"])
def test_vm_boots_runs_user_data_and_logs_console(node, ns, kernel_boot):
    name = unique("vm")
    token = unique("hello-from-user-data")
    node.kubectl("apply", "-f", "-", input=json.dumps(vm_manifest(name, ns, kernel_boot=kernel_boot,
                                                                   user_data=f"#!/bin/sh\necho {token}\n")))
    vmi = wait_for(lambda: (lambda v: v if v.get("status", {}).get("phase") == "Running" else None)(
        node.kubectl_json("get", "vmi", name, "-n", ns) if node.kubectl("get", "vmi", name, "-n", ns, check=False).returncode == 0 else {}),
        120, "VMI Running")
    assert vmi["status"]["interfaces"][0]["ipAddress"].startswith("10.42.")
    conds = {c["type"]: c["status"] for c in vmi["status"]["conditions"]}
    assert conds.get("Ready") == "True"
    pod = launcher_pod(node, ns, name)
    assert pod and pod["metadata"]["name"].startswith(f"virt-launcher-{name}-")
    assert pod["metadata"]["labels"]["app"] == name  # labels copied from the VMI
    assert pod["status"]["podIP"] == vmi["status"]["interfaces"][0]["ipAddress"]
    # The guest's serial console is the launcher pod's log: the user-data script ran.
    wait_for(lambda: token in node.kubectl("logs", pod["metadata"]["name"], "-n", ns, check=False).stdout, 120, "user-data output on the console")
    vm = node.kubectl_json("get", "vm", name, "-n", ns)
    assert vm["status"]["printableStatus"] == "Running" and vm["status"]["ready"] is True
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
    wait_for(lambda: launcher_pod(node, ns, name) is None, 60, "launcher pod gone")


def test_halted_vm_is_stopped(node, ns):
    name = unique("vm")
    node.kubectl("apply", "-f", "-", input=json.dumps(vm_manifest(name, ns, kernel_boot=True, user_data="#!/bin/sh\ntrue\n",
                                                                   run_strategy="Halted")))
    wait_for(lambda: node.kubectl_json("get", "vm", name, "-n", ns).get("status", {}).get("printableStatus") == "Stopped", 90, "Stopped")
    assert node.kubectl("get", "vmi", name, "-n", ns, check=False).returncode != 0


def corral(node, *args):
    import os
    import subprocess
    from pathlib import Path
    binary = Path(os.environ.get("CORRALD", "")).with_name("corral")
    p = subprocess.run([str(binary), *args], env=node.env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return p.stdout


def printable(node, ns, name):
    return node.kubectl_json("get", "vm", name, "-n", ns).get("status", {}).get("printableStatus")


def vnc_banner(node, ns, name) -> bytes:
    """The first bytes QEMU's VNC server sends, through `corral vnc --proxy-only` (the vnc subresource)."""
    import os
    import socket
    import subprocess
    from pathlib import Path
    binary = Path(os.environ.get("CORRALD", "")).with_name("corral")
    p = subprocess.Popen([str(binary), "vnc", name, "-n", ns, "--proxy-only"], env=node.env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = json.loads(p.stdout.readline())["port"]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            banner = b""
            while len(banner) < 12:
                chunk = s.recv(12 - len(banner))
                if not chunk:
                    break
                banner += chunk
            return banner
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_stop_start_pause_unpause_through_the_subresources(node, ns):
    name = unique("vm")
    node.kubectl("apply", "-f", "-", input=json.dumps(vm_manifest(name, ns, kernel_boot=True, user_data="#!/bin/sh\ntrue\n")))
    wait_for(lambda: printable(node, ns, name) == "Running", 120, "Running")
    # The vnc subresource reaches the real QEMU's VNC server (port from the live domain XML).
    assert vnc_banner(node, ns, name) == b"RFB 003.008\n"
    corral(node, "pause", "vmi", name, "-n", ns)
    wait_for(lambda: printable(node, ns, name) == "Paused", 90, "Paused")
    corral(node, "unpause", "vmi", name, "-n", ns)
    wait_for(lambda: printable(node, ns, name) == "Running", 90, "Running again")
    corral(node, "stop", name, "-n", ns)
    wait_for(lambda: printable(node, ns, name) == "Stopped", 60, "Stopped")
    assert node.kubectl_json("get", "vm", name, "-n", ns)["spec"]["runStrategy"] == "Halted"
    corral(node, "start", name, "-n", ns)
    wait_for(lambda: printable(node, ns, name) == "Running", 120, "Running after start")
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)


def test_manual_vm_start_restart_stop_through_the_subresources(node, ns):
    """runStrategy Manual runs only on request: start, restart (a new VMI, the old one
    deleted first), stop, and start again, each through KubeVirt's state-change requests."""
    name = unique("vm")
    node.kubectl("apply", "-f", "-", input=json.dumps(vm_manifest(name, ns, kernel_boot=True, user_data="#!/bin/sh\ntrue\n",
                                                                   run_strategy="Manual")))
    wait_for(lambda: printable(node, ns, name) == "Stopped", 60, "a Manual VM Stopped until started")
    corral(node, "start", name, "-n", ns)
    wait_for(lambda: printable(node, ns, name) == "Running", 120, "Running after start")
    uid1 = node.kubectl_json("get", "vmi", name, "-n", ns)["metadata"]["uid"]
    corral(node, "restart", name, "-n", ns)

    def restarted():
        p = node.kubectl("get", "vmi", name, "-n", ns, "-o", "json", check=False)
        v = json.loads(p.stdout) if p.returncode == 0 else None
        return v if v and v["metadata"]["uid"] != uid1 and v.get("status", {}).get("phase") == "Running" else None
    wait_for(restarted, 180, "a new VMI Running after restart")
    wait_for(lambda: printable(node, ns, name) == "Running", 90, "VM Running after restart")
    assert not node.kubectl_json("get", "vm", name, "-n", ns).get("status", {}).get("stateChangeRequests"), "requests done"
    corral(node, "stop", name, "-n", ns)
    wait_for(lambda: printable(node, ns, name) == "Stopped", 90, "Stopped")
    corral(node, "start", name, "-n", ns)
    wait_for(lambda: printable(node, ns, name) == "Running", 120, "Running after the second start")
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
