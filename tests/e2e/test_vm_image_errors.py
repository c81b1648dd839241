"""A VM whose containerDisk image cannot be pulled shows it the way KubeVirt
does: printableStatus ErrImagePull, then ImagePullBackOff, with the pull
error in an event, and no QEMU started. Deleting it leaves nothing behind.
The registry address is a closed port on loopback inside the test netns."""
from __future__ import annotations

import json

from conftest import unique
from test_vms import printable, vm_manifest, wait_for


def test_unpullable_container_disk_reports_err_image_pull(node, ns):
    name = unique("vm")
    vm = vm_manifest(name, ns, kernel_boot=False, user_data="#!/bin/sh\ntrue\n")
    root = vm["spec"]["template"]["spec"]["volumes"][0]
    root["containerDisk"] = {"image": "127.0.0.1:1/corral/missing-disk:latest", "imagePullPolicy": "Always"}
    node.kubectl("apply", "-f", "-", input=json.dumps(vm))

    seen = set()

    def status():
        seen.add(printable(node, ns, name))
        return {"ErrImagePull", "ImagePullBackOff"} <= seen

    wait_for(status, 180, "ErrImagePull then ImagePullBackOff", interval=0.3)
    vmi = node.kubectl_json("get", "vmi", name, "-n", ns)
    assert vmi["status"].get("phase") != "Running", vmi["status"]
    reasons = {e.get("reason") for e in node.kubectl_json("get", "events", "-n", ns)["items"]}
    messages = " ".join(e.get("message", "") for e in node.kubectl_json("get", "events", "-n", ns)["items"])
    assert "missing-disk" in messages, messages[-2000:]
    assert reasons & {"Failed", "BackOff", "ErrImagePull"}, reasons
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
    wait_for(lambda: node.kubectl("get", "pods", "-n", ns, "-o", "name").stdout.strip() == "", 60, "launcher pod gone")
