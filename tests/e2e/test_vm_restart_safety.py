"""kill -9 corrald with VMs running: QEMU keeps running, the restarted agent
re-adopts the domains by VMI UID (same QEMU PIDs, still Running, console log
still served), and a VM deleted while the agent was away is cleaned up."""
from __future__ import annotations

import json
import os
import subprocess
import time

from conftest import unique
from test_vms import launcher_pod, vm_manifest, wait_for


def qemu_pid(ns: str, name: str) -> int:
    return int(open(f"/run/libvirt/qemu/{ns}_{name}.pid").read().strip())


def domains() -> str:
    return subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"], capture_output=True, text=True).stdout


def test_kill9_with_three_vms_readopts_domains(node_factory):
    node = node_factory()
    ns = unique("vmadopt")
    node.kubectl("create", "namespace", ns)
    names = [unique("vm") for _ in range(3)]
    for n in names:
        node.kubectl("apply", "-f", "-", input=json.dumps(vm_manifest(n, ns, kernel_boot=True, user_data=f"#!/bin/sh\necho {n}-ready\n")))
    for n in names:
        wait_for(lambda: node.kubectl_json("get", "vmi", n, "-n", ns).get("status", {}).get("phase") == "Running"
                 if node.kubectl("get", "vmi", n, "-n", ns, check=False).returncode == 0 else False, 180, f"{n} Running")
    pids = {n: qemu_pid(ns, n) for n in names}

    node.kill9()
    for pid in pids.values():
        os.kill(pid, 0)  # QEMU lives on without the daemon

    victim = names[2]
    api_only = node.__class__(node.binary, node.data_dir, port=node.port, owns_dir=False, extra_args=())
    api_only.start()
    api_only.kubectl("delete", "vm", victim, "-n", ns, "--wait=false")
    api_only.stop()

    node.start(timeout=120)
    for n in names[:2]:
        vmi = node.kubectl_json("get", "vmi", n, "-n", ns)
        assert vmi["status"]["phase"] == "Running"
        assert qemu_pid(ns, n) == pids[n], f"{n}: QEMU was restarted instead of re-adopted"
        pod = launcher_pod(node, ns, n)
        wait_for(lambda: f"{n}-ready" in node.kubectl("logs", pod["metadata"]["name"], "-n", ns, check=False).stdout, 60, "console log")
    wait_for(lambda: f"{ns}_{victim}" not in domains(), 90, "domain of the deleted VM removed")
    try:
        os.kill(pids[victim], 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
    for n in names[:2]:
        node.kubectl("delete", "vm", n, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
    wait_for(lambda: not any(f"{ns}_{n}" in domains() for n in names), 90, "all domains removed")
