"""VM disks that are not images, end to end: a `persistentVolumeClaim` disk
keeps what the guest wrote across a restart; an `ephemeral` one (the claim's
disk under a per-VMI qcow2 overlay) and an `emptyDisk` start empty on every
boot and leave the claim's file untouched. Deleting the VM removes the VMI's
files and leaves the claim's disk, as a PVC outlives its VM."""
from __future__ import annotations

import json
from pathlib import Path

from conftest import unique
from test_vms import corral, launcher_pod, vm_manifest, wait_for

# For each disk (found by serial): its size in sectors and what sector 8 held at boot,
# then the marker written there (flushed), so the next boot shows what persisted.
USER_DATA = r"""#!/bin/sh
dev() { for b in /sys/block/vd*; do [ "$(cat $b/serial 2>/dev/null)" = "$1" ] && { echo /dev/${b##*/}; return; }; done; }
i=0; while [ $i -lt 100 ] && [ -z "$(dev scratch-disk)" ]; do i=$((i+1)); sleep 0.2; done
for s in pvc-disk eph-disk scratch-disk; do
	d=$(dev $s)
	got=$(dd if=$d bs=512 skip=8 count=1 2>/dev/null | tr -d '\000' | head -c 64)
	echo "vol $s size=$(cat /sys/block/${d#/dev/}/size) before=[$got]"
	echo "MARKER-$s" | dd of=$d bs=512 seek=8 conv=notrunc,fsync 2>/dev/null
done
sync
echo "vol written"
"""


def volumes_vm(name: str, ns: str, marker: str) -> dict:
    vm = vm_manifest(name, ns, kernel_boot=True, user_data=USER_DATA.replace("MARKER", marker))
    spec = vm["spec"]["template"]["spec"]
    spec["domain"]["devices"]["disks"] += [
        {"name": "data", "disk": {"bus": "virtio"}, "serial": "pvc-disk"},
        {"name": "golden", "disk": {"bus": "virtio"}, "serial": "eph-disk"},
        {"name": "scratch", "disk": {"bus": "virtio"}, "serial": "scratch-disk"},
    ]
    spec["volumes"] += [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "golden", "ephemeral": {"persistentVolumeClaim": {"claimName": "golden"}}},
        {"name": "scratch", "emptyDisk": {"capacity": "64Mi"}},
    ]
    return vm


def console_when(node, ns, name, needle, not_uid=None, timeout=240):
    def check():
        vmi = node.kubectl("get", "vmi", name, "-n", ns, "-o", "json", check=False)
        if vmi.returncode != 0 or json.loads(vmi.stdout)["metadata"]["uid"] == not_uid:
            return None
        pod = launcher_pod(node, ns, name)
        out = node.kubectl("logs", pod["metadata"]["name"], "-n", ns, check=False).stdout if pod else ""
        return (json.loads(vmi.stdout)["metadata"]["uid"], out) if needle in out else None
    try:
        return wait_for(check, timeout, f"{needle!r} on the console", interval=2)
    except AssertionError as e:
        vmi = node.kubectl("get", "vmi", name, "-n", ns, "-o", "json", check=False).stdout
        status = json.loads(vmi).get("status") if vmi else None
        events = [(x["reason"], x["message"][:300]) for x in node.events(ns, name)][-10:]
        raise AssertionError(f"{e}\nVMI status: {status}\nevents: {events}\ncorrald: {node.log_tail(30)}") from None


def test_pvc_persists_ephemeral_and_empty_disk_do_not(node, ns):
    name, marker = unique("vmvol"), unique("m")
    node.kubectl("apply", "-f", "-", input=json.dumps(volumes_vm(name, ns, marker)))
    uid1, first = console_when(node, ns, name, "vol written")
    for s in ("pvc-disk", "eph-disk", "scratch-disk"):
        assert f"vol {s} " in first and f"vol {s} size=" in first, first[-2000:]
        assert f"before=[]" in first.split(f"vol {s} ")[1].splitlines()[0], first[-2000:]
    assert "vol scratch-disk size=131072 " in first, "emptyDisk capacity 64Mi = 131072 sectors"

    corral(node, "restart", name, "-n", ns)
    _, second = console_when(node, ns, name, "vol written", not_uid=uid1)
    line = {s: second.split(f"vol {s} ")[1].splitlines()[0] for s in ("pvc-disk", "eph-disk", "scratch-disk")}
    assert f"before=[{marker}-pvc-disk]" in line["pvc-disk"], line
    assert line["eph-disk"].endswith("before=[]") and line["scratch-disk"].endswith("before=[]"), line

    vols = node.data_dir / "volumes" / ns
    assert f"{marker}-pvc-disk".encode() in (vols / "data" / "disk.img").read_bytes()
    assert f"{marker}-eph-disk".encode() not in (vols / "golden" / "disk.img").read_bytes(), "ephemeral writes must not reach the claim"
    uid2 = node.kubectl_json("get", "vmi", name, "-n", ns)["metadata"]["uid"]
    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
    wait_for(lambda: not (node.data_dir / "vms" / uid2).exists(), 60, "the VMI's directory (overlays, empty disk) removed")
    assert not (node.data_dir / "vms" / uid1).exists()
    assert (vols / "data" / "disk.img").exists() and (vols / "golden" / "disk.img").exists(), "claims outlive the VM"


def test_claim_name_cannot_escape_the_volume_directory(node, ns):
    name = unique("vmvol")
    vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": name, "namespace": ns},
           "spec": {"domain": {"memory": {"guest": "128Mi"}, "devices": {"disks": [{"name": "d", "disk": {"bus": "virtio"}}]}},
                    "terminationGracePeriodSeconds": 0,
                    "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "../../../etc"}}]}}
    node.kubectl("apply", "-f", "-", input=json.dumps(vmi))
    got = wait_for(lambda: (lambda v: v if v.get("status", {}).get("phase") == "Failed" else None)(
        node.kubectl_json("get", "vmi", name, "-n", ns)), 120, "VMI Failed")
    cond = next(c for c in got["status"]["conditions"] if c["type"] == "Synchronized")
    assert cond["message"].startswith("spec.volumes[0].persistentVolumeClaim.claimName:"), cond
    assert not Path("/etc/disk.img").exists() and not (node.data_dir / "etc").exists()
    node.kubectl("delete", "vmi", name, "-n", ns, "--wait=true", "--timeout=60s", timeout=90)
