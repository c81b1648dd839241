"""Server-side apply and managedFields with the real kubectl 1.32 and the
Python client: ownership recorded per manager, conflicts worded like
kube-apiserver, --force-conflicts, removal of fields a manager stopped
applying, Update entries for create/patch/label, dry runs, and client-side
apply (last-applied annotation) next to it.
"""
from __future__ import annotations

import json

import pytest
from kubernetes import config, dynamic
from kubernetes.client.rest import ApiException

from conftest import assert_status, unique


def deployment(name: str, *, replicas: int = 2, labels: dict | None = None, env: list[str] | None = None) -> dict:
    labels = {"app": name} if labels is None else labels
    env = ["FOO", "BAR"] if env is None else env
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{
                    "name": "c1", "image": "busybox",
                    "env": [{"name": e, "value": e.lower()} for e in env],
                    "ports": [{"containerPort": 80}],
                }]},
            },
        },
    }


def apply(corrald, ns, obj, *flags, check=True):
    return corrald.kubectl("apply", "--server-side", "-n", ns, *flags, "-f", "-", input=json.dumps(obj), check=check)


def get(corrald, ns, kind, name):
    return corrald.kubectl_json("get", kind, name, "-n", ns, "--show-managed-fields")


def managers(obj) -> dict:
    """(manager, operation) -> fieldsV1 of every managedFields entry."""
    return {(m["manager"], m["operation"]): m["fieldsV1"] for m in obj["metadata"].get("managedFields", [])}


def env_names(obj) -> list[str]:
    return [e["name"] for e in obj["spec"]["template"]["spec"]["containers"][0].get("env", [])]


def test_apply_creates_and_records_field_sets(corrald, ns):
    name = unique("ssa")
    out = apply(corrald, ns, deployment(name)).stdout
    assert f"deployment.apps/{name} serverside-applied" in out
    obj = get(corrald, ns, "deployment", name)
    # The Deployment controller's own entries (revision annotation, status) may follow.
    entries = [e for e in obj["metadata"]["managedFields"] if e["manager"] != "kube-controller-manager"]
    assert [(e["manager"], e["operation"], e["apiVersion"], e["fieldsType"]) for e in entries] == [
        ("kubectl", "Apply", "apps/v1", "FieldsV1")]
    assert entries[0]["time"].endswith("Z")
    fields = entries[0]["fieldsV1"]
    assert fields["f:metadata"] == {"f:labels": {f"f:app": {}}}
    assert fields["f:spec"]["f:replicas"] == {} and fields["f:spec"]["f:selector"] == {}
    c1 = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"c1"}']
    assert c1["."] == {} and c1["f:image"] == {}
    assert set(c1["f:env"]) == {'k:{"name":"FOO"}', 'k:{"name":"BAR"}'}
    # List-map keys come from the schema (protocol defaults to TCP), as kube does.
    assert 'k:{"containerPort":80,"protocol":"TCP"}' in c1["f:ports"]
    # Fields the server defaulted are owned by nobody; server-set metadata is never tracked.
    assert "f:progressDeadlineSeconds" not in fields["f:spec"]
    assert "f:name" not in fields["f:metadata"] and "f:uid" not in fields["f:metadata"]
    # `get -o yaml` hides managedFields unless asked.
    assert "managedFields" not in corrald.kubectl("get", "deployment", name, "-n", ns, "-o", "yaml").stdout


def test_conflict_force_and_shared_ownership(corrald, ns):
    name = unique("ssa")
    apply(corrald, ns, deployment(name, replicas=2))
    other = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": {"replicas": 5}}

    p = apply(corrald, ns, other, "--field-manager=other", check=False)
    assert p.returncode != 0
    assert 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas' in p.stderr
    assert get(corrald, ns, "deployment", name)["spec"]["replicas"] == 2

    # The raw Status, as kube-apiserver words it.
    s = corrald.session()
    url = f"{corrald.url}/apis/apps/v1/namespaces/{ns}/deployments/{name}"
    r = s.patch(url, params={"fieldManager": "other"}, data=json.dumps(other),
                headers={"Content-Type": "application/apply-patch+yaml"})
    assert r.status_code == 409
    st = r.json()
    assert st["reason"] == "Conflict" and st["code"] == 409
    assert st["details"]["causes"] == [{"reason": "FieldManagerConflict", "message": 'conflict with "kubectl"',
                                        "field": ".spec.replicas"}]

    # Same value: no conflict, both own it.
    same = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": {"replicas": 2}}
    apply(corrald, ns, same, "--field-manager=sharer")
    m = managers(get(corrald, ns, "deployment", name))
    assert m[("sharer", "Apply")] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" in m[("kubectl", "Apply")]["f:spec"]

    # --force-conflicts takes the field from everybody who held it.
    apply(corrald, ns, other, "--field-manager=other", "--force-conflicts")
    obj = get(corrald, ns, "deployment", name)
    assert obj["spec"]["replicas"] == 5
    m = managers(obj)
    assert m[("other", "Apply")] == {"f:spec": {"f:replicas": {}}}
    assert "f:replicas" not in m[("kubectl", "Apply")]["f:spec"]
    assert ("sharer", "Apply") not in m  # its only field went away, and with it the entry

    # The first manager now conflicts with "other" when it re-applies its old value.
    p = apply(corrald, ns, deployment(name, replicas=2), check=False)
    assert 'conflict with "other": .spec.replicas' in p.stderr


def test_update_manager_conflict_names_version(corrald, ns):
    name = unique("ssa")
    apply(corrald, ns, deployment(name, replicas=2))
    corrald.kubectl("scale", "deployment", name, "-n", ns, "--replicas=3")
    p = apply(corrald, ns, deployment(name, replicas=4), check=False)
    assert p.returncode != 0
    # kubectl scale sends no fieldManager: kube names it after the User-Agent ("kubectl").
    assert 'conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas' in p.stderr
    m = {(e["manager"], e["operation"], e.get("subresource")): e["fieldsV1"]
         for e in get(corrald, ns, "deployment", name)["metadata"]["managedFields"]}
    assert m[("kubectl", "Update", "scale")] == {"f:spec": {"f:replicas": {}}}


def test_reapply_without_env_var_and_label_removes_them(corrald, ns):
    name = unique("ssa")
    apply(corrald, ns, deployment(name, labels={"app": name, "tier": "fe"}, env=["FOO", "BAR"]))
    corrald.kubectl("label", "deployment", name, "-n", ns, "extra=yes")
    apply(corrald, ns, deployment(name, labels={"app": name}, env=["BAR"]))
    obj = get(corrald, ns, "deployment", name)
    assert env_names(obj) == ["BAR"]
    assert obj["metadata"]["labels"] == {"app": name, "extra": "yes"}
    m = managers(obj)
    assert m[("kubectl-label", "Update")] == {"f:metadata": {"f:labels": {"f:extra": {}}}}
    c1 = m[("kubectl", "Apply")]["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"c1"}']
    assert list(c1["f:env"]) == ['k:{"name":"BAR"}']


def test_field_owned_by_another_applier_stays(corrald, ns):
    name = unique("cm")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1", "b": "2"}}
    apply(corrald, ns, cm)
    apply(corrald, ns, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"b": "2"}},
          "--field-manager=second")
    apply(corrald, ns, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"c": "3"}})
    obj = get(corrald, ns, "configmap", name)
    assert obj["data"] == {"b": "2", "c": "3"}


def test_client_side_apply_still_prunes_removed_env(corrald, ns):
    name = unique("csa")
    d = deployment(name, env=["FOO", "BAR"])
    out = corrald.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(d)).stdout
    assert "created" in out
    obj = get(corrald, ns, "deployment", name)
    assert "kubectl.kubernetes.io/last-applied-configuration" in obj["metadata"]["annotations"]
    m = managers(obj)
    assert ("kubectl-client-side-apply", "Update") in m
    # Update entries own what the create set, defaults included, and `.` marks maps/items.
    f = m[("kubectl-client-side-apply", "Update")]
    assert f["f:metadata"]["f:labels"] == {".": {}, "f:app": {}}
    assert "f:progressDeadlineSeconds" in f["f:spec"]
    corrald.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(deployment(name, env=["BAR"])))
    assert env_names(get(corrald, ns, "deployment", name)) == ["BAR"]


def test_client_side_then_server_side_apply(corrald, ns):
    name = unique("mig")
    corrald.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(deployment(name, replicas=2)))
    # kubectl's own manager may take over what client-side apply set, without conflicts.
    out = apply(corrald, ns, deployment(name, replicas=3)).stdout
    assert "serverside-applied" in out
    obj = get(corrald, ns, "deployment", name)
    assert obj["spec"]["replicas"] == 3
    m = managers(obj)
    assert ("kubectl", "Apply") in m and ("kubectl-client-side-apply", "Update") not in m
    # The last-applied annotation follows the server-side configuration.
    last = json.loads(obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["replicas"] == 3
    # And dropping an env var server-side now removes it.
    apply(corrald, ns, deployment(name, replicas=3, env=["FOO"]))
    assert env_names(get(corrald, ns, "deployment", name)) == ["FOO"]


@pytest.mark.parametrize("ptype,patch", [
    ("json", '[{"op":"add","path":"/metadata/labels/p","value":"j"}]'),
    ("merge", '{"metadata":{"labels":{"p":"m"}}}'),
    ("strategic", '{"metadata":{"labels":{"p":"s"}}}'),
])
def test_patch_records_kubectl_patch_update(corrald, ns, ptype, patch):
    name = unique("pt")
    apply(corrald, ns, deployment(name))
    corrald.kubectl("patch", "deployment", name, "-n", ns, f"--type={ptype}", "-p", patch)
    m = managers(get(corrald, ns, "deployment", name))
    assert m[("kubectl-patch", "Update")] == {"f:metadata": {"f:labels": {"f:p": {}}}}
    assert ("kubectl", "Apply") in m


def test_create_records_update_entry_and_noop_patch_keeps_it(corrald, ns):
    name = unique("cm")
    corrald.kubectl("create", "configmap", name, "-n", ns, "--from-literal=k=v")
    obj = get(corrald, ns, "configmap", name)
    m = managers(obj)
    assert m == {("kubectl-create", "Update"): {"f:data": {".": {}, "f:k": {}}}}
    rv = obj["metadata"]["resourceVersion"]
    corrald.kubectl("patch", "configmap", name, "-n", ns, "--type=merge", "-p", '{"data":{"k":"v"}}')
    again = get(corrald, ns, "configmap", name)
    assert again["metadata"]["resourceVersion"] == rv
    assert managers(again) == m


def test_user_agent_names_the_manager(corrald, ns):
    name = unique("cm")
    s = corrald.session()
    url = f"{corrald.url}/api/v1/namespaces/{ns}/configmaps"
    r = s.post(url, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "1"}},
               headers={"User-Agent": "my-tool/1.2 (linux)"})
    assert r.status_code == 201, r.text
    assert [(e["manager"], e["operation"]) for e in r.json()["metadata"]["managedFields"]] == [("my-tool", "Update")]


def test_apply_rejects_managed_fields_and_wrong_version(corrald, ns):
    s = corrald.session()
    url = f"{corrald.url}/api/v1/namespaces/{ns}/configmaps/{unique('cm')}"
    hdr = {"Content-Type": "application/apply-patch+yaml"}
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"managedFields": [{"manager": "x"}]}}
    r = s.patch(url, params={"fieldManager": "t"}, data=json.dumps(body), headers=hdr)
    assert r.status_code == 400 and r.json()["message"] == "metadata.managedFields must be nil"
    r = s.patch(url, params={"fieldManager": "t"}, data=json.dumps({"apiVersion": "v2", "kind": "ConfigMap"}), headers=hdr)
    assert r.status_code == 400 and "Incorrect version specified in apply patch" in r.json()["message"]
    # apiVersion and kind are required, and must name this resource.
    r = s.patch(url, params={"fieldManager": "t"}, data=json.dumps({"kind": "ConfigMap"}), headers=hdr)
    assert r.status_code == 400 and r.json()["message"] == \
        "Incorrect version specified in apply patch. Specified patch version: , expected: v1", r.json()
    r = s.patch(url, params={"fieldManager": "t"}, data=json.dumps({"apiVersion": "v1", "data": {"a": "b"}}), headers=hdr)
    assert r.status_code == 400 and "Kind" in r.json()["message"] and "ConfigMap" in r.json()["message"], r.json()
    r = s.patch(url, params={"fieldManager": "t"}, data=json.dumps({"apiVersion": "v1", "kind": "Secret"}), headers=hdr)
    assert r.status_code == 400 and "(Secret) does not match" in r.json()["message"], r.json()
    assert s.get(url).status_code == 404, "nothing was created by the refused applies"


def test_apply_refuses_duplicate_list_keys(corrald, ns):
    """structured-merge-diff refuses a configuration that repeats a list-map key (kube
    answers 500 with the list's path), on create as on update; nothing is written."""
    name = unique("dup")
    d = deployment(name, env=["A", "B"])
    d["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "A", "value": "again"})
    p = apply(corrald, ns, d, check=False)
    assert p.returncode != 0
    assert f'.spec.template.spec.containers[name="c1"].env: duplicate entries for key [name="A"]' in p.stderr, p.stderr
    assert corrald.kubectl("get", "deployment", name, "-n", ns, check=False).returncode != 0
    apply(corrald, ns, deployment(name))
    p = apply(corrald, ns, d, check=False)
    assert p.returncode != 0 and 'duplicate entries for key [name="A"]' in p.stderr, p.stderr
    assert env_names(get(corrald, ns, "deployment", name)) == ["FOO", "BAR"]


@pytest.fixture
def dyn(corrald):
    c = config.new_client_from_config(config_file=corrald.kubeconfig)
    yield dynamic.DynamicClient(c)
    c.close()


def test_python_dynamic_client_server_side_apply(corrald, ns, dyn):
    api = dyn.resources.get(api_version="apps/v1", kind="Deployment")
    name = unique("py")
    body = deployment(name)
    body["metadata"]["namespace"] = ns

    # Dry runs write nothing, on create and on update.
    r = api.server_side_apply(body=body, namespace=ns, field_manager="py-ssa", dry_run="All")
    assert r.metadata.managedFields[0].manager == "py-ssa"
    with pytest.raises(ApiException) as e:
        api.get(name=name, namespace=ns)
    assert e.value.status == 404

    api.server_side_apply(body=body, namespace=ns, field_manager="py-ssa")
    live = api.get(name=name, namespace=ns)
    assert [(m.manager, m.operation) for m in live.metadata.managedFields
            if m.manager != "kube-controller-manager"] == [("py-ssa", "Apply")]

    changed = deployment(name, replicas=4)
    api.patch(body=changed, name=name, namespace=ns, content_type="application/apply-patch+yaml",
              field_manager="py-ssa", dry_run="All")
    after = api.get(name=name, namespace=ns)
    # (The deployment controller writes status meanwhile, so compare content, not resourceVersion.)
    assert after.spec.replicas == 2
    mine = lambda o: [(m.manager, m.time) for m in o.metadata.managedFields if m.manager == "py-ssa"]
    assert mine(after) == mine(live)

    # A conflicting manager gets 409; force_conflicts takes over.
    with pytest.raises(ApiException) as e:
        api.server_side_apply(body=changed, namespace=ns, field_manager="py-other")
    assert e.value.status == 409
    assert json.loads(e.value.body)["details"]["causes"][0]["field"] == ".spec.replicas"
    api.server_side_apply(body=changed, namespace=ns, field_manager="py-other", force_conflicts=True)
    assert api.get(name=name, namespace=ns).spec.replicas == 4


def test_status_writes_own_status_fields(corrald, ns):
    name = unique("pod")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    corrald.kubectl("create", "-n", ns, "-f", "-", input=json.dumps(pod))
    s = corrald.session()
    url = f"{corrald.url}/api/v1/namespaces/{ns}/pods/{name}/status"
    r = s.patch(url, params={"fieldManager": "my-ctrl"}, data=json.dumps({"status": {"message": "hi"}}),
                headers={"Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200, r.text
    entries = {(e["manager"], e["operation"], e.get("subresource")): e["fieldsV1"]
               for e in r.json()["metadata"]["managedFields"]}
    assert entries[("my-ctrl", "Update", "status")] == {"f:status": {"f:message": {}}}
    # The creator's entry never owned status (the main resource resets it).
    assert "f:status" not in entries[("kubectl-create", "Update", None)]


@pytest.mark.parametrize("verb", ["create", "patch"])
def test_field_manager_is_validated_like_kube(corrald, ns, verb):
    s = corrald.session()
    base = f"{corrald.url}/api/v1/namespaces/{ns}/configmaps"
    s.post(base, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fm"}})
    long_name = "m" * 129
    if verb == "create":
        r = s.post(base, params={"fieldManager": long_name},
                   json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fm2"}})
        kind = "CreateOptions"
    else:
        r = s.patch(f"{base}/fm", params={"fieldManager": long_name}, data='{"data":{"a":"b"}}',
                    headers={"Content-Type": "application/merge-patch+json"})
        kind = "PatchOptions"
    st = assert_status(r, 422, "Invalid")
    assert st["message"] == f'{kind}.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes', st
    assert st["details"]["causes"][0]["field"] == "fieldManager", st
    # Nothing was written.
    assert "data" not in s.get(f"{base}/fm").json()


def test_controllers_record_their_writes_as_kube_components(corrald, ns):
    """In-process controllers own what they write, under kube's component names: the
    ReplicaSet a Deployment makes and the Deployment's status are the controller
    manager's, as `kubectl get --show-managed-fields` shows on a real cluster."""
    name = unique("own")
    apply(corrald, ns, deployment(name))
    import time
    deadline = time.monotonic() + 20
    rs = []
    while time.monotonic() < deadline and not rs:
        rs = corrald.kubectl_json("get", "rs", "-n", ns, "-l", f"app={name}", "--show-managed-fields")["items"]
        time.sleep(0.2)
    assert rs, "the Deployment controller made a ReplicaSet"
    entries = rs[0]["metadata"]["managedFields"]
    assert [(e["manager"], e["operation"]) for e in entries if "subresource" not in e][:1] == [("kube-controller-manager", "Update")], entries
    owned = json.dumps(entries[0]["fieldsV1"])
    assert "f:ownerReferences" in owned and "f:replicas" in owned and "f:template" in owned, owned
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        d = get(corrald, ns, "deployment", name)
        if any(e["manager"] == "kube-controller-manager" and e.get("subresource") == "status" for e in d["metadata"]["managedFields"]):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(d["metadata"]["managedFields"])
    # The applier's ownership is untouched by the controller's status writes.
    assert ("kubectl", "Apply") in managers(d)
    assert "f:spec" in json.dumps(managers(d)[("kubectl", "Apply")])
