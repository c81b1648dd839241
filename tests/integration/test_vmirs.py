"""VirtualMachineInstanceReplicaSet (vmirs) against the control plane only.

The shared daemon runs with --disable-agent, so VMIs never start: they are
counted, owned, relabeled and deleted, and their status is set by hand where
a test needs a Ready or finished VMI (as virt_support does)."""
from __future__ import annotations

import json
import time

from conftest import assert_status
from virt_support import get, set_vmi_status

API = "/apis/kubevirt.io/v1"


def vmirs_manifest(name, replicas=2, labels=None, selector=None, paused=False):
    labels = labels if labels is not None else {"app": name, "tier": "vm"}
    spec = {"replicas": replicas,
            "selector": selector if selector is not None else {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": labels, "annotations": {"note": "from-template"}},
                         "spec": {"domain": {"devices": {}, "resources": {"requests": {"memory": "128Mi"}}}}}}
    if paused:
        spec["paused"] = True
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceReplicaSet",
            "metadata": {"name": name}, "spec": spec}


def create_vmirs(d, ns, name, **kw):
    d.kubectl("-n", ns, "create", "-f", "-", input=json.dumps(vmirs_manifest(name, **kw)))
    return get(d, ns, "virtualmachineinstancereplicasets", name)


def vmis(d, ns, owner_uid=None):
    """VMIs of the namespace not being deleted; only those controlled by `owner_uid` when given."""
    items = d.session().get(f"{d.url}{API}/namespaces/{ns}/virtualmachineinstances", timeout=10).json()["items"]
    out = []
    for v in items:
        if v["metadata"].get("deletionTimestamp"):
            continue
        refs = [r for r in v["metadata"].get("ownerReferences", []) if r.get("controller")]
        if owner_uid is None or (refs and refs[0]["uid"] == owner_uid):
            out.append(v)
    return out


def wait_for(pred, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def wait_count(d, ns, uid, n, timeout=20.0):
    """Waits until exactly n live VMIs are owned by `uid`; returns them."""
    seen = {}

    def ok():
        seen["v"] = vmis(d, ns, uid)
        return len(seen["v"]) == n or f"{len(seen['v'])} VMIs"
    wait_for(lambda: ok() is True, f"{n} VMIs owned by {uid}", timeout)
    return seen["v"]


def stays(pred, seconds=2.0):
    """pred holds for the whole period (the controller had time to act and did not)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert pred()
        time.sleep(0.2)


def rs_status(d, ns, name):
    return get(d, ns, "virtualmachineinstancereplicasets", name).get("status", {})


def test_creates_replicas_owned_and_labeled(corrald, ns):
    rs = create_vmirs(corrald, ns, "web")
    uid = rs["metadata"]["uid"]
    made = wait_count(corrald, ns, uid, 2)
    for v in made:
        md = v["metadata"]
        assert md["ownerReferences"] == [{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceReplicaSet",
                                          "name": "web", "uid": uid, "controller": True, "blockOwnerDeletion": True}], md
        assert md["labels"] == {"app": "web", "tier": "vm"}, md
        assert md["annotations"]["note"] == "from-template", md
        # KubeVirt uses the VMIRS name as generateName, without a dash.
        assert md["name"].startswith("web") and len(md["name"]) == len("web") + 5, md["name"]
        assert v["spec"]["domain"]["resources"]["requests"]["memory"] == "128Mi"
    st = wait_for(lambda: (lambda s: s if s.get("replicas") == 2 else None)(rs_status(corrald, ns, "web")), "status.replicas 2")
    assert st["labelSelector"] == "app=web", st
    assert "readyReplicas" not in st, st
    # The table has KubeVirt's columns.
    out = corrald.kubectl("-n", ns, "get", "vmirs", "web").stdout.split("\n")
    assert out[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "AGE"], out
    # No VMI is Ready: status.readyReplicas is omitted, so the cell is null (kubectl prints it blank).
    row = out[1].split()
    assert row[:3] == ["web", "2", "2"] and len(row) == 4, out


def test_deleted_vmi_is_replaced(corrald, ns):
    uid = create_vmirs(corrald, ns, "rep")["metadata"]["uid"]
    first = wait_count(corrald, ns, uid, 2)
    victim = first[0]["metadata"]["name"]
    corrald.kubectl("-n", ns, "delete", "vmi", victim, "--wait=false")
    def replaced():
        names = {v["metadata"]["name"] for v in vmis(corrald, ns, uid)}
        return len(names) == 2 and victim not in names and names
    wait_for(replaced, "a replacement VMI")


def test_scale_subresource(corrald, ns):
    uid = create_vmirs(corrald, ns, "sc")["metadata"]["uid"]
    wait_count(corrald, ns, uid, 2)
    corrald.kubectl("-n", ns, "scale", "vmirs", "sc", "--replicas=3")
    wait_count(corrald, ns, uid, 3)
    scale = corrald.session().get(f"{corrald.url}{API}/namespaces/{ns}/virtualmachineinstancereplicasets/sc/scale", timeout=10).json()
    assert scale["spec"]["replicas"] == 3 and scale["status"]["selector"] == "app=sc", scale
    wait_for(lambda: rs_status(corrald, ns, "sc").get("replicas") == 3, "status.replicas 3")
    corrald.kubectl("-n", ns, "scale", "vmirs", "sc", "--replicas=0")
    wait_count(corrald, ns, uid, 0)
    wait_for(lambda: "replicas" not in rs_status(corrald, ns, "sc"), "status.replicas omitted at 0")


def test_ready_and_finished_vmis(corrald, ns):
    uid = create_vmirs(corrald, ns, "fin")["metadata"]["uid"]
    a, b = wait_count(corrald, ns, uid, 2)
    set_vmi_status(corrald, ns, a["metadata"]["name"], "Running", [{"type": "Ready", "status": "True"}])
    wait_for(lambda: rs_status(corrald, ns, "fin").get("readyReplicas") == 1, "readyReplicas 1")
    # A finished VMI is deleted and replaced.
    failed = b["metadata"]["name"]
    set_vmi_status(corrald, ns, failed, "Failed")
    def replaced():
        names = {v["metadata"]["name"] for v in vmis(corrald, ns, uid)}
        return len(names) == 2 and failed not in names and a["metadata"]["name"] in names
    wait_for(replaced, "the failed VMI replaced")
    wait_for(lambda: failed not in {v["metadata"]["name"] for v in vmis(corrald, ns)}, "the failed VMI deleted")


def test_paused(corrald, ns):
    uid = create_vmirs(corrald, ns, "pz")["metadata"]["uid"]
    first = wait_count(corrald, ns, uid, 2)
    corrald.kubectl("-n", ns, "patch", "vmirs", "pz", "--type=merge", "-p", '{"spec":{"paused":true}}')
    cond = wait_for(lambda: [c for c in rs_status(corrald, ns, "pz").get("conditions", []) if c["type"] == "ReplicaPaused"],
                    "ReplicaPaused condition")[0]
    assert cond["status"] == "True" and cond["reason"] == "Paused" and cond["message"] == "Controller got paused", cond
    corrald.kubectl("-n", ns, "scale", "vmirs", "pz", "--replicas=4")
    corrald.kubectl("-n", ns, "delete", "vmi", first[0]["metadata"]["name"], "--wait=false")
    stays(lambda: len(vmis(corrald, ns, uid)) == 1)
    corrald.kubectl("-n", ns, "patch", "vmirs", "pz", "--type=merge", "-p", '{"spec":{"paused":false}}')
    wait_count(corrald, ns, uid, 4)
    wait_for(lambda: not [c for c in rs_status(corrald, ns, "pz").get("conditions", []) if c["type"] == "ReplicaPaused"],
             "ReplicaPaused removed")
    reasons = corrald.kubectl("-n", ns, "get", "events", "-o", "jsonpath={.items[*].reason}").stdout.split()
    assert "SuccessfulPaused" in reasons and "SuccessfulResumed" in reasons and "SuccessfulCreate" in reasons, reasons


def test_relabeled_vmi_is_orphaned_and_orphans_adopted(corrald, ns):
    # An orphan that matches is adopted before anything is created.
    corrald.kubectl("-n", ns, "create", "-f", "-", input=json.dumps(
        {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
         "metadata": {"name": "stray", "labels": {"app": "orph"}},
         "spec": {"domain": {"devices": {}, "resources": {"requests": {"memory": "128Mi"}}}}}))
    uid = create_vmirs(corrald, ns, "orph")["metadata"]["uid"]
    owned = wait_count(corrald, ns, uid, 2)
    assert "stray" in {v["metadata"]["name"] for v in owned}, owned
    stray = get(corrald, ns, "virtualmachineinstances", "stray")
    assert stray["metadata"]["ownerReferences"][0]["uid"] == uid
    # Relabel it: the VMIRS releases it and makes a replacement.
    corrald.kubectl("-n", ns, "label", "vmi", "stray", "app=elsewhere", "--overwrite")
    def released():
        refs = get(corrald, ns, "virtualmachineinstances", "stray")["metadata"].get("ownerReferences", [])
        names = {v["metadata"]["name"] for v in vmis(corrald, ns, uid)}
        return not refs and len(names) == 2 and "stray" not in names
    wait_for(released, "stray released and replaced")
    assert len(vmis(corrald, ns)) == 3


def test_deleting_vmirs_deletes_its_vmis(corrald, ns):
    uid = create_vmirs(corrald, ns, "gone")["metadata"]["uid"]
    wait_count(corrald, ns, uid, 2)
    corrald.kubectl("-n", ns, "delete", "vmirs", "gone", "--wait=false")
    wait_for(lambda: not corrald.session().get(f"{corrald.url}{API}/namespaces/{ns}/virtualmachineinstances", timeout=10)
             .json()["items"], "every VMI gone", timeout=30)


def test_bad_selector_is_refused(corrald, ns):
    url = f"{corrald.url}{API}/namespaces/{ns}/virtualmachineinstancereplicasets"
    bad = vmirs_manifest("bad", selector={"matchLabels": {"app": "other"}})
    st = assert_status(corrald.session().post(url, json=bad, timeout=10), 422, "Invalid")
    assert [(c["field"], c["message"]) for c in st["details"]["causes"]] == [("spec.selector", "selector does not match labels.")], st
    no_template = vmirs_manifest("bad")
    del no_template["spec"]["template"]
    st = assert_status(corrald.session().post(url, json=no_template, timeout=10), 422, "Invalid")
    assert [c["field"] for c in st["details"]["causes"]] == ["spec.template"], st
    p = corrald.kubectl("-n", ns, "create", "-f", "-", input=json.dumps(bad), check=False)
    assert p.returncode != 0 and "spec.selector" in p.stderr, p.stderr
    # An update that breaks the match is refused too.
    create_vmirs(corrald, ns, "ok")
    p = corrald.kubectl("-n", ns, "patch", "vmirs", "ok", "--type=merge", "-p",
                        '{"spec":{"template":{"metadata":{"labels":{"app":"changed"}}}}}', check=False)
    assert p.returncode != 0 and "selector does not match labels" in p.stderr, p.stderr


def test_match_expressions_selector(corrald, ns):
    sel = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["expr"]}, {"key": "tier", "operator": "Exists"}]}
    uid = create_vmirs(corrald, ns, "expr", selector=sel)["metadata"]["uid"]
    wait_count(corrald, ns, uid, 2)
    st = wait_for(lambda: (lambda s: s if s.get("replicas") == 2 else None)(rs_status(corrald, ns, "expr")), "status.replicas 2")
    assert st["labelSelector"] == "app in (expr),tier", st
    # The scale subresource reports the same selector string (kubectl and autoscalers read it there).
    scale = corrald.session().get(f"{corrald.url}/apis/kubevirt.io/v1/namespaces/{ns}/virtualmachineinstancereplicasets/expr/scale").json()
    assert scale["status"]["selector"] == "app in (expr),tier", scale
