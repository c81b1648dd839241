"""KubeVirt config disks, end to end: a VM whose configMap, secret and
serviceAccount volumes are attached as ISO9660 disks. The guest's user-data
mounts them and prints their files on the serial console, which is the launcher
pod's log. While an object is missing the VMI waits (Scheduled) with a
FailedMount event naming it, as a pod would."""
from __future__ import annotations

import base64
import json
import re
import time

from conftest import unique
from test_vms import launcher_pod, vm_manifest, wait_for

# Mount each config disk read-only and print "cfgdisk <mountpoint>/<file>=<first line>".
# Devices can appear late under TCG (SATA probing), so wait for each one.
USER_DATA = r"""#!/bin/sh
waitdev() { i=0; while [ $i -lt 100 ]; do d=$(eval "$1"); [ -b "$d" ] && { echo "$d"; return 0; }; i=$((i+1)); sleep 0.2; done; return 1; }
show() {
	mkdir -p "$2"
	mount -t iso9660 -o ro "$1" "$2" || { echo "cfgdisk mount $1 failed"; return; }
	# The ISO9660 volume identifier: 32 bytes at offset 40 of the descriptor at 32 KiB.
	echo "cfgdisk $2 label $(dd if="$1" bs=1 skip=32808 count=32 2>/dev/null | tr -d ' ')"
	for f in "$2"/*; do [ -f "$f" ] && echo "cfgdisk $f=$(head -n1 "$f" | cut -c1-60)"; done
}
show "$(waitdev 'findfs LABEL=appcfg')" /mnt/appcfg
show "$(waitdev 'echo /dev/sr0')" /mnt/secret
show "$(waitdev 'for b in /sys/block/vd*; do [ "$(cat $b/serial 2>/dev/null)" = sa-disk ] && echo /dev/${b##*/}; done')" /mnt/sa
echo "cfgdisk done"
"""


def config_disk_vm(name: str, ns: str) -> dict:
    vm = vm_manifest(name, ns, kernel_boot=True, user_data=USER_DATA)
    spec = vm["spec"]["template"]["spec"]
    spec["domain"]["devices"]["disks"] += [
        {"name": "app-config", "disk": {"bus": "virtio"}},
        {"name": "creds", "cdrom": {"bus": "sata"}},
        {"name": "sa", "disk": {"bus": "virtio"}, "serial": "sa-disk"},
    ]
    spec["volumes"] += [
        {"name": "app-config", "configMap": {"name": "app-config", "volumeLabel": "appcfg"}},
        {"name": "creds", "secret": {"secretName": "db-creds"}},
        {"name": "sa", "serviceAccount": {"serviceAccountName": "default"}},
    ]
    return vm


def vmi_phase(node, ns, name):
    p = node.kubectl("get", "vmi", name, "-n", ns, "-o", "json", check=False)
    return json.loads(p.stdout).get("status", {}).get("phase") if p.returncode == 0 else None


def failed_mount(node, ns, name, needle):
    return [e["message"] for e in node.events(ns, name) if e["reason"] == "FailedMount" and needle in e["message"]]


def test_configmap_secret_and_serviceaccount_disks_reach_the_guest(node, ns):
    name = unique("vmcfg")
    cm_value, secret_value = unique("cm-value"), unique("s3cret")
    node.kubectl("apply", "-f", "-", input=json.dumps(config_disk_vm(name, ns)))

    # Neither object exists yet: the VMI waits, with an event naming the ConfigMap.
    msgs = wait_for(lambda: failed_mount(node, ns, name, 'configmap "app-config" not found'), 90, "FailedMount for the ConfigMap")
    assert 'volume "app-config"' in msgs[0], msgs
    assert vmi_phase(node, ns, name) in ("Scheduling", "Scheduled"), vmi_phase(node, ns, name)
    pod = launcher_pod(node, ns, name)
    assert pod and pod["status"]["phase"] == "Pending", pod and pod["status"]

    node.kubectl("create", "configmap", "app-config", "-n", ns, f"--from-literal=greeting={cm_value}",
                 "--from-literal=app.conf=listen=8080")
    # Next in line: the Secret.
    wait_for(lambda: failed_mount(node, ns, name, 'secret "db-creds" not found'), 60, "FailedMount for the Secret")
    assert vmi_phase(node, ns, name) != "Running"

    # Created from raw JSON so the value really travels base64-encoded in .data.
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-creds", "namespace": ns},
              "data": {"password": base64.b64encode(secret_value.encode()).decode()}}
    node.kubectl("apply", "-f", "-", input=json.dumps(secret))
    wait_for(lambda: vmi_phase(node, ns, name) == "Running", 180, "VMI Running once the objects exist")

    pod = launcher_pod(node, ns, name)
    log = wait_for(lambda: (lambda out: out if "cfgdisk done" in out else None)(
        node.kubectl("logs", pod["metadata"]["name"], "-n", ns, check=False).stdout), 240, "config disk output on the console")
    lines = [l.strip() for l in log.splitlines() if "cfgdisk" in l]
    assert f"cfgdisk /mnt/appcfg/greeting={cm_value}" in lines, lines
    assert "cfgdisk /mnt/appcfg/app.conf=listen=8080" in lines, lines
    assert "cfgdisk /mnt/appcfg label appcfg" in lines, lines
    # The Secret's value, decoded; the default label is KubeVirt's "cfgdata".
    assert f"cfgdisk /mnt/secret/password={secret_value}" in lines, lines
    assert "cfgdisk /mnt/secret label cfgdata" in lines, lines
    # The service-account disk: namespace, a JWT, the cluster CA.
    assert f"cfgdisk /mnt/sa/namespace={ns}" in lines, lines
    assert any(re.fullmatch(r"cfgdisk /mnt/sa/token=eyJ\S+", l) for l in lines), lines
    assert "cfgdisk /mnt/sa/ca.crt=-----BEGIN CERTIFICATE-----" in lines, lines
    assert not any("failed" in l for l in lines), lines

    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
    wait_for(lambda: launcher_pod(node, ns, name) is None, 60, "launcher pod gone")


def test_optional_missing_configmap_gives_an_empty_disk(node, ns):
    name = unique("vmopt")
    user_data = "#!/bin/sh\nfor i in $(seq 50); do d=$(findfs LABEL=optcfg) && break; sleep 0.2; done\n" \
                "mkdir -p /mnt/o && mount -t iso9660 -o ro \"$d\" /mnt/o && echo \"optdisk files=[$(ls /mnt/o)]\"\n"
    vm = vm_manifest(name, ns, kernel_boot=True, user_data=user_data)
    spec = vm["spec"]["template"]["spec"]
    spec["domain"]["devices"]["disks"].append({"name": "opt", "disk": {}})
    spec["volumes"].append({"name": "opt", "configMap": {"name": "does-not-exist", "optional": True, "volumeLabel": "optcfg"}})
    node.kubectl("apply", "-f", "-", input=json.dumps(vm))
    wait_for(lambda: vmi_phase(node, ns, name) == "Running", 180, "VMI Running without the optional ConfigMap")
    pod = launcher_pod(node, ns, name)
    log = wait_for(lambda: (lambda out: out if "optdisk files=" in out else None)(
        node.kubectl("logs", pod["metadata"]["name"], "-n", ns, check=False).stdout), 240, "optional disk output")
    assert "optdisk files=[]" in log, log[-2000:]
    assert not failed_mount(node, ns, name, "does-not-exist")
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)


def test_cloud_init_user_data_from_a_secret(node, ns):
    """`cloudInitNoCloud.secretRef`: the user-data comes from the Secret's `userdata` key
    (credentials stay out of the VM spec). The VMI waits for a missing Secret as for a
    missing config-disk object; a Secret without the key fails the VMI with the field path."""
    name, token = unique("vmud"), unique("from-the-secret")
    vm = vm_manifest(name, ns, kernel_boot=True, user_data="unused")
    vm["spec"]["template"]["spec"]["volumes"][0] = {"name": "cloudinit", "cloudInitNoCloud": {"secretRef": {"name": "vm-userdata"}}}
    node.kubectl("apply", "-f", "-", input=json.dumps(vm))
    msgs = wait_for(lambda: failed_mount(node, ns, name, 'secret "vm-userdata" not found'), 90, "FailedMount for the user-data Secret")
    assert 'volume "cloudinit"' in msgs[0], msgs
    assert vmi_phase(node, ns, name) in ("Scheduling", "Scheduled")

    node.kubectl("create", "secret", "generic", "vm-userdata", "-n", ns,
                 f"--from-literal=userdata=#!/bin/sh\necho {token}\n")
    wait_for(lambda: vmi_phase(node, ns, name) == "Running", 180, "VMI Running once the Secret exists")
    pod = launcher_pod(node, ns, name)["metadata"]["name"]
    wait_for(lambda: token in node.kubectl("logs", pod, "-n", ns, check=False).stdout, 120, "the Secret's user-data on the console")
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)

    # A Secret without a userdata/userData key cannot work: the VMI fails, naming the field.
    bad = unique("vmud")
    node.kubectl("create", "secret", "generic", "no-userdata", "-n", ns, "--from-literal=other=x")
    vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": bad, "namespace": ns},
           "spec": dict(vm["spec"]["template"]["spec"], volumes=[{"name": "cloudinit", "cloudInitNoCloud": {"secretRef": {"name": "no-userdata"}}}])}
    node.kubectl("apply", "-f", "-", input=json.dumps(vmi))
    wait_for(lambda: vmi_phase(node, ns, bad) == "Failed", 120, "VMI Failed for a Secret without user-data")
    cond = next(c for c in node.kubectl_json("get", "vmi", bad, "-n", ns)["status"]["conditions"] if c["type"] == "Synchronized")
    assert cond["message"].startswith("spec.volumes[0].cloudInitNoCloud.secretRef: secret has no userdata or userData key"), cond
    node.kubectl("delete", "vmi", bad, "-n", ns, "--wait=true", "--timeout=60s", timeout=90)
