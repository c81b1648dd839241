"""The real Debian 12 cloud image (systemd + cloud-init, built by
`tools/make-test-images --with-debian`) as a KubeVirt containerDisk VM:
cloud-init consumes corrald's NoCloud seed, sets the hostname and writes a
file, and both show on the serial console (`kubectl logs` of the launcher
pod). Its qemu-guest-agent then makes the VMI AgentConnected and answers
guestosinfo. Slow under TCG (minutes), so it runs when the image exists in
$CORRAL_TEST_IMAGES (tools/e2e.sh builds it unless CORRAL_TEST_DEBIAN=0)."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import IMAGES_DIR, unique
from test_vms import corral, launcher_pod, wait_for

DEBIAN = "localhost/corral-test/debian-cloud:latest"
TARBALL = Path(IMAGES_DIR) / "debian-cloud.tar"

pytestmark = pytest.mark.skipif(not TARBALL.exists(),
                                reason=f"{TARBALL} not built (tools/e2e.sh builds it unless CORRAL_TEST_DEBIAN=0)")

USER_DATA = """#cloud-config
hostname: {host}
write_files:
  - path: /etc/corral-marker
    content: "{marker}"
runcmd:
  - [sh, -c, 'echo "corral-check: host=$(hostname) file=$(cat /etc/corral-marker)" > /dev/ttyS0']
"""


def debian_vm(name: str, ns: str, host: str, marker: str) -> dict:
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"runStrategy": "Always",
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"domain": {"cpu": {"cores": 1}, "memory": {"guest": "1Gi"},
                                                      "devices": {"disks": [{"name": "root", "disk": {"bus": "virtio"}},
                                                                            {"name": "cloudinit", "disk": {"bus": "virtio"}}],
                                                                  "interfaces": [{"name": "default", "masquerade": {}}]}},
                                           "networks": [{"name": "default", "pod": {}}],
                                           "terminationGracePeriodSeconds": 0,
                                           "volumes": [{"name": "root", "containerDisk": {"image": DEBIAN, "imagePullPolicy": "Never"}},
                                                       {"name": "cloudinit", "cloudInitNoCloud": {
                                                           "userData": USER_DATA.format(host=host, marker=marker)}}]}}}}


def test_debian_cloud_init_applies_user_data(node, ns):
    # The node watches its import drop dir: the 300 MB image is imported while it runs.
    shutil.copy(TARBALL, node.data_dir / "images" / "import" / TARBALL.name)
    wait_for(lambda: DEBIAN in corral(node, "image", "ls", "--data-dir", str(node.data_dir)), 300,
             "debian-cloud imported", interval=2)

    name, host, marker = unique("deb"), unique("corral-deb"), unique("written-by-cloud-init")
    t0 = time.monotonic()
    node.kubectl("apply", "-f", "-", input=json.dumps(debian_vm(name, ns, host, marker)))
    wait_for(lambda: node.kubectl_json("get", "vmi", name, "-n", ns).get("status", {}).get("phase") == "Running"
             if node.kubectl("get", "vmi", name, "-n", ns, check=False).returncode == 0 else False,
             300, "VMI Running", interval=2)
    pod = launcher_pod(node, ns, name)["metadata"]["name"]
    want = f"corral-check: host={host} file={marker}"
    wait_for(lambda: want in node.kubectl("logs", pod, "-n", ns, check=False).stdout, 900,
             "cloud-init's runcmd line on the console", interval=5)
    # cloud-init itself says it ran: its final-message goes to the console too, but
    # after runcmd (same cloud-final stage), so it may trail the runcmd line by seconds.
    finished = lambda log: any("Cloud-init" in line and "finished" in line for line in log.splitlines())
    log = wait_for(lambda: (lambda out: out if finished(out) else None)(node.kubectl("logs", pod, "-n", ns, check=False).stdout),
                   180, "cloud-init's final message on the console", interval=5)
    assert want in log
    print(f"\ndebian-cloud through corrald under TCG: user-data applied {time.monotonic() - t0:.0f}s after apply")

    # The image's qemu-guest-agent (started by udev when its virtio port appears) makes the
    # VMI AgentConnected, and guestosinfo answers from it in KubeVirt's shape.
    agent = wait_for(lambda: agent_condition(node, ns, name), 180, "AgentConnected on the VMI", interval=2)
    assert agent["status"] == "True" and agent.get("lastTransitionTime") and agent.get("lastProbeTime") is None
    print(f"debian-cloud: AgentConnected {time.monotonic() - t0:.0f}s after apply")
    url = f"/apis/subresources.kubevirt.io/v1/namespaces/{ns}/virtualmachineinstances/{name}/guestosinfo"
    info = json.loads(node.kubectl("get", "--raw", url).stdout)
    print(f"debian-cloud: guestosinfo {json.dumps(info)}")
    assert info["os"]["id"] == "debian", info
    assert info["os"]["versionId"] == "12", info
    assert info["os"]["prettyName"].startswith("Debian GNU/Linux 12"), info
    assert info["os"]["machine"] == "x86_64", info
    assert info["hostname"] == host, info
    assert "/" in [d["mountPoint"] for d in info["fsInfo"]["disks"]], info
    # The agent's own guest-info: Debian 12's qemu-guest-agent is 7.2.x.
    assert info["guestAgentVersion"].startswith("7.2"), info
    commands = {c["name"]: c.get("enabled", False) for c in info["supportedCommands"]}
    assert commands.get("guest-ping") is True and commands.get("guest-get-osinfo") is True, info
    # The condition stays put (no rewrite per poll): same transition time a poll later.
    time.sleep(6)
    assert agent_condition(node, ns, name)["lastTransitionTime"] == agent["lastTransitionTime"]
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=120s", timeout=150)


def agent_condition(node, ns: str, name: str) -> dict | None:
    conds = node.kubectl_json("get", "vmi", name, "-n", ns).get("status", {}).get("conditions", [])
    return next((c for c in conds if c["type"] == "AgentConnected"), None)
