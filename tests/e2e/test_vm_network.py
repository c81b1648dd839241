"""Pods and VMs on one pod network, end to end: a pod reaches a busybox httpd
that the VM's user-data starts, at the VMI's IP; the VM reaches a pod's IP.
The guest gets the launcher pod's IP by DHCP on bridge corral0."""
from __future__ import annotations

import json
import re
import time

from conftest import BUSYBOX, unique
from test_vms import launcher_pod, vm_manifest, wait_for

PORT = 8080  # the test guest's own boot already serves :80
# No `wget -T`: Debian 12's busybox 1.35 wget segfaults with it; `timeout` bounds each try instead.


def user_data(vm_marker: str, pod_ip: str) -> str:
    # httpd daemonizes; the loop then tries the pod until it answers (the lease may still be settling).
    return f"""#!/bin/sh
mkdir -p /www && echo {vm_marker} > /www/index.html
httpd -p {PORT} -h /www && echo "vmnet httpd up"
i=0
while [ $i -lt 60 ]; do
	if out=$(timeout 5 wget -q -O - http://{pod_ip}:{PORT}/index.html 2>&1); then echo "vmnet reached pod: $out"; break; fi
	i=$((i+1)); sleep 1
done
[ $i -lt 60 ] || echo "vmnet could not reach pod: $out"
ping -c 1 -W 3 {pod_ip} >/dev/null 2>&1 && echo "vmnet ping ok" || echo "vmnet ping failed"
"""


def test_pod_and_vm_reach_each_other(node, ns):
    pod_marker, vm_marker = unique("pod-says-hi"), unique("vm-says-hi")
    node.kubectl("run", "web", "-n", ns, f"--image={BUSYBOX}", "--image-pull-policy=Never", "--restart=Never", "--command", "--",
                 "sh", "-c", f"echo {pod_marker} > /tmp/index.html; exec httpd -f -p {PORT} -h /tmp")
    pod_ip = node.wait_pod("web", ns)["status"]["podIP"]

    name = unique("vmnet")
    vm = vm_manifest(name, ns, kernel_boot=True, user_data=user_data(vm_marker, pod_ip))
    # The bridge binding: the guest holds the pod IP itself (masquerade: test_vm_masquerade.py).
    vm["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"] = [{"name": "default", "bridge": {}}]
    node.kubectl("apply", "-f", "-", input=json.dumps(vm))
    vmi = wait_for(lambda: (lambda v: v if v.get("status", {}).get("phase") == "Running" and v["status"].get("interfaces") else None)(
        node.kubectl_json("get", "vmi", name, "-n", ns) if node.kubectl("get", "vmi", name, "-n", ns, check=False).returncode == 0 else {}),
        180, "VMI Running with an interface")
    iface = vmi["status"]["interfaces"][0]
    launcher = launcher_pod(node, ns, name)
    assert iface["name"] == "default", iface
    assert iface["ipAddress"] == launcher["status"]["podIP"] and iface["ipAddress"].startswith("10.42."), (iface, launcher["status"])
    assert iface["ipAddress"] != pod_ip
    assert re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", iface["mac"]), iface
    vm_ip = iface["ipAddress"]

    # Pod -> VM: the VM's httpd, at the VMI's IP (retry while the guest boots).
    deadline = time.monotonic() + 240
    while True:
        p = node.kubectl("exec", "web", "-n", ns, "--", "timeout", "5", "wget", "-q", "-O", "-", f"http://{vm_ip}:{PORT}/", check=False, timeout=30)
        if vm_marker in p.stdout:
            break
        assert time.monotonic() < deadline, f"pod never reached the VM's httpd: {p.stdout!r} {p.stderr!r}"
        time.sleep(2)

    # VM -> pod: the guest's own report on its serial console (the launcher pod's log).
    log = wait_for(lambda: (lambda out: out if "vmnet ping" in out else None)(
        node.kubectl("logs", launcher["metadata"]["name"], "-n", ns, check=False).stdout), 240, "the VM's network report")
    assert f"vmnet reached pod: {pod_marker}" in log, log[-3000:]
    assert "vmnet ping ok" in log, log[-3000:]
    # The guest took the launcher pod's IP by DHCP on the MAC the VMI reports.
    assert f"bound {vm_ip}/" in log, log[-3000:]
    assert iface["mac"] in log.lower(), log[-3000:]

    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
    node.kubectl("delete", "pod", "web", "-n", ns, "--grace-period=1", "--wait=false")
