"""VirtualMachineInstanceReplicaSet end to end: real QEMU guests (TCG here)
kept at spec.replicas by the vmirs controller — a deleted VMI is replaced,
`kubectl scale` adds and removes guests, and scaling to 0 leaves no libvirt
domain behind."""
from __future__ import annotations

import json
import subprocess

from conftest import unique
from test_vms import vm_manifest, wait_for

# TCG boots on two shared cores are slow: every wait is generous.
WAIT = 300


def vmirs_manifest(name: str, ns: str, replicas: int) -> dict:
    template = vm_manifest(name, ns, kernel_boot=True, user_data="#!/bin/sh\ntrue\n")["spec"]["template"]
    template["spec"]["domain"]["memory"] = {"guest": "128Mi"}
    template["metadata"]["labels"] = {"app": name}
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceReplicaSet",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template}}


def domains() -> list[str]:
    out = subprocess.run(["virsh", "-c", "qemu:///system", "list", "--all", "--name"], capture_output=True, text=True).stdout
    return [l.strip() for l in out.splitlines() if l.strip()]


def live_vmis(node, ns: str, name: str) -> list[dict]:
    items = node.kubectl_json("get", "vmi", "-n", ns, "-l", f"app={name}")["items"]
    return [v for v in items if not v["metadata"].get("deletionTimestamp")]


def running(node, ns, name, n):
    """Exactly n live VMIs, all Running and Ready; their names (or False)."""
    vs = live_vmis(node, ns, name)
    ok = len(vs) == n and all(v.get("status", {}).get("phase") == "Running" and
                              any(c["type"] == "Ready" and c["status"] == "True" for c in v["status"].get("conditions", []))
                              for v in vs)
    return sorted(v["metadata"]["name"] for v in vs) if ok else False


def test_vmirs_keeps_replicas_running_and_scales(node, ns):
    name = unique("rs")
    node.kubectl("apply", "-f", "-", input=json.dumps(vmirs_manifest(name, ns, 2)))
    names = wait_for(lambda: running(node, ns, name, 2), WAIT, "2 VMIs Running")
    for n in names:
        assert f"{ns}_{n}" in domains()
    st = wait_for(lambda: (lambda s: s if s.get("readyReplicas") == 2 else None)(
        node.kubectl_json("get", "vmirs", name, "-n", ns).get("status", {})), 60, "readyReplicas 2")
    assert st["replicas"] == 2, st

    # A deleted VMI is replaced by a new guest.
    victim = names[0]
    node.kubectl("delete", "vmi", victim, "-n", ns, "--wait=false")
    after = wait_for(lambda: (lambda r: r if r and victim not in r else False)(running(node, ns, name, 2)), WAIT, "replacement Running")
    assert names[1] in after
    wait_for(lambda: f"{ns}_{victim}" not in domains(), WAIT, "the deleted VMI's domain removed")

    node.kubectl("scale", "vmirs", name, "-n", ns, "--replicas=3")
    three = wait_for(lambda: running(node, ns, name, 3), WAIT, "3 VMIs Running")
    assert set(after) <= set(three)

    node.kubectl("scale", "vmirs", name, "-n", ns, "--replicas=0")
    wait_for(lambda: not node.kubectl_json("get", "vmi", "-n", ns, "-l", f"app={name}")["items"], WAIT, "every VMI gone")
    wait_for(lambda: not [d for d in domains() if d.startswith(f"{ns}_")], WAIT, "no domain left")
    wait_for(lambda: not node.kubectl_json("get", "pods", "-n", ns)["items"], WAIT, "launcher pods gone")
    node.kubectl("delete", "vmirs", name, "-n", ns)
