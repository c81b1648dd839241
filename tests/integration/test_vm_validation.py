"""Bad KubeVirt specs are refused with the field path, through the real
kubectl with default flags and through raw requests (a Kubernetes Status
with details.causes[].field), for VMs, VMIs and VMI replica sets alike."""
from __future__ import annotations

import copy
import json

import pytest

from conftest import assert_status, unique


def good_vm(name: str) -> dict:
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": name},
            "spec": {"runStrategy": "Halted",
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"domain": {"devices": {"disks": [{"name": "root", "disk": {"bus": "virtio"}}]},
                                                      "resources": {"requests": {"memory": "64Mi"}}},
                                           "volumes": [{"name": "root", "containerDisk": {"image": "localhost/x/disk:1"}}]}}}}


def broken(kind: str, name: str) -> tuple[dict, str, str]:
    """(manifest, field, message fragment) for one kind of mistake."""
    vm = good_vm(name)
    spec = vm["spec"]["template"]["spec"]
    if kind == "disk-without-volume":
        spec["domain"]["devices"]["disks"].append({"name": "data", "disk": {}})
        return vm, "spec.template.spec.domain.devices.disks[1].name", "disk data's volume name does not exist in volumes list"
    if kind == "running-and-runStrategy":
        vm["spec"]["running"] = True
        return vm, "spec.running", "running and runStrategy are mutually exclusive"
    if kind == "containerDisk-without-image":
        spec["volumes"][0]["containerDisk"] = {"imagePullPolicy": "Always"}
        return vm, "spec.template.spec.volumes[0].containerDisk.image", "containerDisk requires an image"
    if kind == "unknown-runStrategy":
        vm["spec"]["runStrategy"] = "Sometimes"
        return vm, "spec.runStrategy", 'Unsupported value: "Sometimes"'
    raise ValueError(kind)


MISTAKES = ["disk-without-volume", "running-and-runStrategy", "containerDisk-without-image", "unknown-runStrategy"]


@pytest.mark.parametrize("mistake", MISTAKES)
def test_kubectl_apply_refuses_bad_vm_with_field(corrald, ns, mistake):
    name = unique("bad")
    vm, field, fragment = broken(mistake, name)
    p = corrald.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(vm), check=False)
    assert p.returncode != 0, p.stdout
    assert f'The VirtualMachine "{name}" is invalid' in p.stderr and field in p.stderr and fragment in p.stderr, p.stderr
    # Nothing was stored.
    assert corrald.kubectl("get", "vm", name, "-n", ns, check=False).returncode != 0


@pytest.mark.parametrize("mistake", MISTAKES)
def test_raw_status_names_the_field(corrald, ns, mistake):
    vm, field, fragment = broken(mistake, unique("bad"))
    r = corrald.session().post(f"{corrald.url}/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachines", json=vm)
    st = assert_status(r, 422, "Invalid")
    causes = st["details"]["causes"]
    assert any(c["field"] == field and fragment in c["message"] for c in causes), causes


def test_update_cannot_break_a_valid_vm(corrald, ns):
    name = unique("vm")
    corrald.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(good_vm(name)))
    p = corrald.kubectl("patch", "vm", name, "-n", ns, "--type=merge", "-p", '{"spec":{"running":true}}', check=False)
    assert p.returncode != 0 and "spec.running" in p.stderr, p.stderr
    assert "running" not in corrald.kubectl_json("get", "vm", name, "-n", ns)["spec"]


def test_vmi_and_replica_set_templates_are_checked_the_same_way(corrald, ns):
    vm, field, fragment = broken("disk-without-volume", "x")
    vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": unique("vmi")},
           "spec": copy.deepcopy(vm["spec"]["template"]["spec"])}
    p = corrald.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(vmi), check=False)
    assert p.returncode != 0 and "spec.domain.devices.disks[1].name" in p.stderr, p.stderr
    rs = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceReplicaSet", "metadata": {"name": unique("rs")},
          "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "x"}}, "template": vm["spec"]["template"]}}
    p = corrald.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(rs), check=False)
    assert p.returncode != 0 and field in p.stderr, p.stderr
