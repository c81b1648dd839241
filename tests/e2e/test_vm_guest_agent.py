"""A guest without a QEMU guest agent (the busybox kernelBoot image): its VMI
never gets the AgentConnected condition, and guestosinfo says so, as
KubeVirt's does. The agent-present case is in test_vm_debian.py."""
from __future__ import annotations

import json
import time

from conftest import unique
from test_vms import launcher_pod, vm_manifest, wait_for


def test_guest_without_agent_is_not_agent_connected(node, ns):
    name, token = unique("vm"), unique("no-agent-here")
    node.kubectl("apply", "-f", "-", input=json.dumps(vm_manifest(name, ns, kernel_boot=True,
                                                                   user_data=f"#!/bin/sh\necho {token}\n")))
    wait_for(lambda: node.kubectl_json("get", "vmi", name, "-n", ns).get("status", {}).get("phase") == "Running"
             if node.kubectl("get", "vmi", name, "-n", ns, check=False).returncode == 0 else False, 120, "VMI Running")
    pod = launcher_pod(node, ns, name)["metadata"]["name"]
    wait_for(lambda: token in node.kubectl("logs", pod, "-n", ns, check=False).stdout, 120, "user-data output on the console")
    # The guest is fully up; the agent channel is polled every 5 s: give it more than two polls.
    time.sleep(12)
    conds = node.kubectl_json("get", "vmi", name, "-n", ns)["status"]["conditions"]
    assert "AgentConnected" not in [c["type"] for c in conds], conds
    assert {c["type"]: c["status"] for c in conds}.get("Ready") == "True"
    url = f"/apis/subresources.kubevirt.io/v1/namespaces/{ns}/virtualmachineinstances/{name}/guestosinfo"
    r = node.kubectl("get", "--raw", url, check=False)
    assert r.returncode != 0, r.stdout
    assert "VMI does not have guest agent connected" in r.stderr, r.stderr
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
