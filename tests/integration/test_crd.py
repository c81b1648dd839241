"""CustomResourceDefinitions: a CRD makes corrald serve a new resource the way
kube-apiserver does (discovery, REST, watch, status/scale, pruning, schema
validation, printer columns, OpenAPI), checked with kubectl 1.32 and the
Python client."""
from __future__ import annotations

import json
import time

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from conftest import assert_status, open_watch, unique, watch_events


def crd_manifest(group: str, plural: str = "crontabs", kind: str = "CronTab", scope: str = "Namespaced",
                 columns: bool = True, short: list[str] | None = None) -> dict:
    version = {
        "name": "v1", "served": True, "storage": True,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
            "spec": {"type": "object", "required": ["cronSpec"], "properties": {
                "cronSpec": {"type": "string", "pattern": r"^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$"},
                "image": {"type": "string"},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
                "policy": {"type": "string", "enum": ["Allow", "Forbid"], "default": "Allow"},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            }},
            "status": {"type": "object", "properties": {
                "replicas": {"type": "integer"}, "labelSelector": {"type": "string"},
                "conditions": {"type": "array", "items": {"type": "object", "properties": {
                    "type": {"type": "string"}, "status": {"type": "string"}}}},
            }},
        }}},
        "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                 "statusReplicasPath": ".status.replicas",
                                                 "labelSelectorPath": ".status.labelSelector"}},
    }
    if columns:
        version["additionalPrinterColumns"] = [
            {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
            {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
            {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
        ]
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{plural}.{group}"},
            "spec": {"group": group, "scope": scope, "versions": [version],
                     "names": {"plural": plural, "singular": kind.lower(), "kind": kind,
                               "shortNames": short or [], "categories": ["corral-test"]}}}


def install(d, manifest: dict):
    d.kubectl("apply", "-f", "-", input=yaml.safe_dump(manifest))
    d.kubectl("wait", "--for", "condition=established", "--timeout=20s", f"crd/{manifest['metadata']['name']}")


def cron(name: str, group: str, **spec) -> dict:
    return {"apiVersion": f"{group}/v1", "kind": "CronTab", "metadata": {"name": name},
            "spec": {"cronSpec": "*/5 * * * *", "image": "img", **spec}}


def wait_until(check, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def group(corrald):
    g = f"{unique('g')}.example.com"
    yield g
    corrald.kubectl("delete", "crd", f"crontabs.{g}", "--wait=false", "--ignore-not-found", check=False)


def test_kubectl_crontab_workflow(corrald, ns, group):
    install(corrald, crd_manifest(group, short=["ct"]))
    res = corrald.kubectl("api-resources", "--api-group", group).stdout
    assert "crontabs" in res and "ct" in res and "CronTab" in res, res
    corrald.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(cron("c1", group, replicas=2)))
    out = corrald.kubectl("get", f"crontabs.{group}", "-n", ns).stdout.splitlines()
    assert out[0].split() == ["NAME", "SPEC", "REPLICAS", "READY", "AGE"], out
    assert out[1].split()[:6] == ["c1", "*/5", "*", "*", "*", "*"] and out[1].split()[6] == "2", out
    obj = corrald.kubectl_json("get", f"crontab.{group}", "c1", "-n", ns)
    assert obj["spec"]["policy"] == "Allow" and obj["metadata"]["generation"] == 1, obj  # schema default

    # Strict (kubectl's default): the unknown field is named; --validate=false prunes it.
    bad = cron("c2", group, foo="bar", extra={"kept": {"deep": 1}})
    p = corrald.kubectl("apply", "-n", ns, "-f", "-", input=yaml.safe_dump(bad), check=False)
    assert p.returncode != 0 and 'unknown field "spec.foo"' in p.stderr, p.stderr
    corrald.kubectl("apply", "-n", ns, "--validate=false", "-f", "-", input=yaml.safe_dump(bad))
    got = corrald.kubectl_json("get", f"crontab.{group}", "c2", "-n", ns)
    assert "foo" not in got["spec"] and got["spec"]["extra"] == {"kept": {"deep": 1}}, got["spec"]

    # Scale through the declared paths, and the status subresource.
    corrald.kubectl("scale", f"crontab.{group}", "c1", "-n", ns, "--replicas=3")
    assert corrald.kubectl_json("get", f"crontab.{group}", "c1", "-n", ns)["spec"]["replicas"] == 3
    corrald.kubectl("patch", f"crontab.{group}", "c1", "-n", ns, "--subresource=status", "--type=merge", "-p",
                    json.dumps({"status": {"replicas": 3, "labelSelector": "app=c1",
                                           "conditions": [{"type": "Ready", "status": "True"}]}}))
    scale = json.loads(corrald.kubectl("get", "--raw", f"/apis/{group}/v1/namespaces/{ns}/crontabs/c1/scale").stdout)
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 3 and scale["status"] == {"replicas": 3, "selector": "app=c1"}
    # A main-resource write cannot change status when the status subresource is on.
    corrald.kubectl("patch", f"crontab.{group}", "c1", "-n", ns, "--type=merge", "-p",
                    json.dumps({"spec": {"image": "new"}, "status": {"replicas": 9}}))
    obj = corrald.kubectl_json("get", f"crontab.{group}", "c1", "-n", ns)
    assert obj["status"]["replicas"] == 3 and obj["spec"]["image"] == "new" and obj["metadata"]["generation"] == 3, obj
    row = corrald.kubectl("get", f"crontab.{group}", "c1", "-n", ns, "--no-headers").stdout.split()
    assert row[7] == "True", row  # the Ready column's filter expression

    explain = corrald.kubectl("explain", f"crontabs.{group}.spec").stdout
    assert "cronSpec" in explain and "-required-" in explain and "replicas" in explain, explain


def test_invalid_crd_is_422_with_field_paths(corrald):
    bad = crd_manifest("nodot", plural="widgets", kind="Widget")
    bad["metadata"]["name"] = "gadgets.nodot"
    del bad["spec"]["versions"][0]["schema"]
    bad["spec"]["versions"].append({"name": "v2", "served": True, "storage": True,
                                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                        "spec": {"properties": {"a": {"type": "string"}}}}}}})
    r = corrald.session().post(corrald.url + "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json=bad, timeout=10)
    st = assert_status(r, 422, "Invalid")
    fields = {c["field"] for c in st["details"]["causes"]}
    assert {"metadata.name", "spec.group", "spec.versions[0].schema.openAPIV3Schema", "spec.versions",
            "spec.versions[1].schema.openAPIV3Schema.properties[spec].type"} <= fields, st
    assert st["message"].startswith('CustomResourceDefinition.apiextensions.k8s.io "gadgets.nodot" is invalid'), st
    assert 'should be a domain with at least one dot' in st["message"] and "exactly one version marked as storage" in st["message"]


def test_schema_validation_causes(corrald, ns, group):
    install(corrald, crd_manifest(group))
    s = corrald.session()
    url = f"{corrald.url}/apis/{group}/v1/namespaces/{ns}/crontabs"
    r = s.post(url, json={"apiVersion": f"{group}/v1", "kind": "CronTab", "metadata": {"name": "x"},
                          "spec": {"cronSpec": "nope", "replicas": 0, "policy": "Maybe", "image": 5}}, timeout=10)
    st = assert_status(r, 422, "Invalid")
    causes = {c["field"]: c for c in st["details"]["causes"]}
    assert set(causes) == {"spec.cronSpec", "spec.replicas", "spec.policy", "spec.image"}, causes
    assert causes["spec.replicas"]["message"] == "Invalid value: 0: spec.replicas in body should be greater than or equal to 1"
    assert causes["spec.policy"]["reason"] == "FieldValueNotSupported"
    assert causes["spec.image"]["message"] == 'Invalid value: "integer": spec.image in body must be of type string: "integer"'
    assert st["message"].startswith(f'CronTab.{group} "x" is invalid'), st
    r = s.post(url, json={"apiVersion": f"{group}/v1", "kind": "CronTab", "metadata": {"name": "y"}, "spec": {}}, timeout=10)
    assert assert_status(r, 422)["details"]["causes"] == [{"reason": "FieldValueRequired", "message": "Required value", "field": "spec.cronSpec"}]


def test_python_custom_objects_api(corrald, ns, group):
    install(corrald, crd_manifest(group))
    cluster_group = f"c{group}"
    install(corrald, crd_manifest(cluster_group, plural="clustertabs", kind="ClusterTab", scope="Cluster", columns=False))
    api_client = config.new_client_from_config(config_file=corrald.kubeconfig)
    try:
        co = client.CustomObjectsApi(api_client)
        made = co.create_namespaced_custom_object(group, "v1", ns, "crontabs", cron("py", group, replicas=1))
        assert made["metadata"]["uid"] and made["spec"]["replicas"] == 1
        assert co.get_namespaced_custom_object(group, "v1", ns, "crontabs", "py")["metadata"]["name"] == "py"
        lst = co.list_namespaced_custom_object(group, "v1", ns, "crontabs")
        assert lst["kind"] == "CronTabList" and [i["metadata"]["name"] for i in lst["items"]] == ["py"]
        co.patch_namespaced_custom_object(group, "v1", ns, "crontabs", "py", {"spec": {"replicas": 4}})
        co.patch_namespaced_custom_object_status(group, "v1", ns, "crontabs", "py", {"status": {"replicas": 4}})
        st = co.get_namespaced_custom_object_status(group, "v1", ns, "crontabs", "py")
        assert st["spec"]["replicas"] == 4 and st["status"]["replicas"] == 4
        sc = co.get_namespaced_custom_object_scale(group, "v1", ns, "crontabs", "py")
        assert sc["spec"]["replicas"] == 4 and sc["status"]["replicas"] == 4
        co.delete_namespaced_custom_object(group, "v1", ns, "crontabs", "py")
        with pytest.raises(ApiException) as e:
            co.get_namespaced_custom_object(group, "v1", ns, "crontabs", "py")
        assert e.value.status == 404
        # Cluster-scoped: no namespace in the path, none stored, default printer columns.
        obj = cron("ct1", cluster_group)
        obj["kind"] = "ClusterTab"
        made = co.create_cluster_custom_object(cluster_group, "v1", "clustertabs", obj)
        assert "namespace" not in made["metadata"]
        assert co.get_cluster_custom_object(cluster_group, "v1", "clustertabs", "ct1")["spec"]["image"] == "img"
        r = corrald.session().get(f"{corrald.url}/apis/{cluster_group}/v1/namespaces/{ns}/clustertabs", timeout=10)
        assert_status(r, 404)
        head = corrald.kubectl("get", f"clustertabs.{cluster_group}").stdout.splitlines()[0].split()
        assert head == ["NAME", "AGE"], head
    finally:
        api_client.close()
        corrald.kubectl("delete", "crd", f"clustertabs.{cluster_group}", "--wait=false", check=False)


def test_watch_sees_custom_resource_events(corrald, ns, group):
    install(corrald, crd_manifest(group))
    s = corrald.session()
    base = f"{corrald.url}/apis/{group}/v1/namespaces/{ns}/crontabs"
    rv = s.get(base, timeout=10).json()["metadata"]["resourceVersion"]
    resp = open_watch(corrald, f"/apis/{group}/v1/namespaces/{ns}/crontabs", {"resourceVersion": rv})
    try:
        assert s.post(base, json=cron("w", group), timeout=10).status_code == 201
        assert s.patch(base + "/w", data=json.dumps({"spec": {"image": "i2"}}),
                       headers={"Content-Type": "application/merge-patch+json"}, timeout=10).status_code == 200
        assert s.delete(base + "/w", timeout=10).status_code == 200
        seen = []
        for ev in watch_events(resp):
            seen.append((ev["type"], ev["object"]["kind"], ev["object"]["spec"]["image"]))
            if len(seen) == 3:
                break
        assert seen == [("ADDED", "CronTab", "img"), ("MODIFIED", "CronTab", "i2"), ("DELETED", "CronTab", "i2")], seen
    finally:
        resp.close()


def test_deleting_crd_removes_instances_and_resource(corrald, ns, group):
    install(corrald, crd_manifest(group))
    s = corrald.session()
    base = f"{corrald.url}/apis/{group}/v1/namespaces/{ns}/crontabs"
    held = cron("held", group)
    held["metadata"]["finalizers"] = ["example.com/hold"]
    for body in (cron("a", group), held):
        assert s.post(base, json=body, timeout=10).status_code == 201
    corrald.kubectl("delete", "crd", f"crontabs.{group}", "--wait=false")
    crd_url = f"{corrald.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/crontabs.{group}"

    def terminating():
        crd = s.get(crd_url, timeout=10).json()
        conds = {c["type"]: c for c in crd.get("status", {}).get("conditions", [])}
        return (crd["metadata"].get("finalizers") == ["customresourcecleanup.apiextensions.k8s.io"]
                and conds.get("Terminating", {}).get("status") == "True")
    wait_until(terminating, what="CRD Terminating with the cleanup finalizer")
    # While terminating: instances are still readable, creates are refused.
    wait_until(lambda: s.get(base + "/a", timeout=10).status_code == 404, what="instance a deleted")
    assert s.get(base + "/held", timeout=10).json()["metadata"]["deletionTimestamp"]
    assert_status(s.post(base, json=cron("late", group), timeout=10), 405, "MethodNotAllowed")
    s.patch(base + "/held", data=json.dumps({"metadata": {"finalizers": None}}),
            headers={"Content-Type": "application/merge-patch+json"}, timeout=10).raise_for_status()
    wait_until(lambda: s.get(crd_url, timeout=10).status_code == 404, what="CRD removed")
    assert_status(s.get(base, timeout=10), 404)
    assert group not in {g["name"] for g in s.get(corrald.url + "/apis", timeout=10).json()["groups"]}
    agg = s.get(corrald.url + "/apis", headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"},
                timeout=10).json()
    assert group not in {i["metadata"]["name"] for i in agg["items"]}
    # A new CRD of the same name starts empty.
    install(corrald, crd_manifest(group))
    assert s.get(base, timeout=10).json()["items"] == []


def test_name_conflict_is_not_accepted(corrald, group):
    install(corrald, crd_manifest(group, plural="crontabs", kind="CronTab"))
    other = crd_manifest(group, plural="crontabs2", kind="CronTab")
    other["spec"]["names"].update(singular="crontab2", listKind="CronTab2List")  # only the kind collides
    corrald.kubectl("apply", "-f", "-", input=yaml.safe_dump(other))
    s = corrald.session()
    url = f"{corrald.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/crontabs2.{group}"

    def conds():
        return {c["type"]: c for c in s.get(url, timeout=10).json().get("status", {}).get("conditions", [])}
    try:
        wait_until(lambda: "NamesAccepted" in conds(), what="NamesAccepted on the second CRD")
        c = conds()
        assert c["NamesAccepted"]["status"] == "False" and c["NamesAccepted"]["reason"] == "KindConflict", c
        assert c["NamesAccepted"]["message"] == '"CronTab" is already in use'
        assert c["Established"]["status"] == "False", c
        assert_status(s.get(f"{corrald.url}/apis/{group}/v1/crontabs2", timeout=10), 404)
    finally:
        corrald.kubectl("delete", "crd", f"crontabs2.{group}", "--wait=false", check=False)


def test_openapi_v3_publishes_crd_schema(corrald, group):
    install(corrald, crd_manifest(group))
    s = corrald.session()
    index = s.get(corrald.url + "/openapi/v3", timeout=10).json()["paths"]
    assert f"apis/{group}/v1" in index and "apis/apiextensions.k8s.io/v1" in index
    doc = s.get(corrald.url + index[f"apis/{group}/v1"]["serverRelativeURL"], timeout=10).json()
    name = ".".join(reversed(group.split("."))) + ".v1.CronTab"
    schema = doc["components"]["schemas"][name]
    assert schema["x-kubernetes-group-version-kind"] == [{"group": group, "kind": "CronTab", "version": "v1"}]
    assert schema["properties"]["spec"]["required"] == ["cronSpec"]
    assert f"/apis/{group}/v1/namespaces/{{namespace}}/crontabs/{{name}}/scale" in doc["paths"]
    crd_doc = s.get(corrald.url + index["apis/apiextensions.k8s.io/v1"]["serverRelativeURL"], timeout=10).json()
    assert "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition" in crd_doc["components"]["schemas"]
    assert "CustomResourceDefinitionSpec" in corrald.kubectl("explain", "crd.spec").stdout


def test_crds_and_objects_survive_kill9(corrald_factory):
    d = corrald_factory()
    group = f"{unique('r')}.example.com"
    install(d, crd_manifest(group, short=["rt"]))
    d.kubectl("apply", "-n", "default", "-f", "-", input=yaml.safe_dump(cron("keep", group, replicas=5)))
    d.kill9()
    d.start()
    # Served as soon as the daemon is ready, without waiting for the controller.
    obj = d.kubectl_json("get", f"crontabs.{group}", "keep", "-n", "default")
    assert obj["spec"]["replicas"] == 5
    assert "rt" in d.kubectl("api-resources", "--api-group", group).stdout
    p = d.kubectl("apply", "-n", "default", "-f", "-", input=yaml.safe_dump(cron("new", group, foo=1)), check=False)
    assert 'unknown field "spec.foo"' in p.stderr, p.stderr


def test_rbac_applies_to_custom_resources(corrald, ns, group):
    install(corrald, crd_manifest(group))
    corrald.kubectl("create", "serviceaccount", "reader", "-n", ns)
    corrald.kubectl("create", "role", "tabs", "-n", ns, "--verb=get,list,watch", f"--resource=crontabs.{group}")
    corrald.kubectl("create", "rolebinding", "tabs", "-n", ns, "--role=tabs", f"--serviceaccount={ns}:reader")
    token = corrald.kubectl("create", "token", "reader", "-n", ns).stdout.strip()
    s = corrald.anonymous_session()
    s.headers["Authorization"] = f"Bearer {token}"
    base = f"{corrald.url}/apis/{group}/v1/namespaces/{ns}/crontabs"
    assert s.get(base, timeout=10).status_code == 200
    st = assert_status(s.post(base, json=cron("x", group), timeout=10), 403, "Forbidden")
    assert st["message"] == (f'crontabs.{group} is forbidden: User "system:serviceaccount:{ns}:reader" cannot create '
                             f'resource "crontabs" in API group "{group}" in the namespace "{ns}"'), st
    assert_status(s.get(f"{corrald.url}/apis/{group}/v1/crontabs", timeout=10), 403)


def test_server_side_apply_merges_custom_list_maps(corrald, ns, group):
    """A CRD's `x-kubernetes-list-type: map` list is merged item by item by server-side
    apply: two managers own one item each, and a manager dropping its item removes only
    that one. An atomic list (the default) is owned whole and replaced."""
    m = crd_manifest(group)
    spec = m["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    spec["ports"] = {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                     "items": {"type": "object", "required": ["name"],
                               "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}}
    spec["tags"] = {"type": "array", "items": {"type": "string"}}
    install(corrald, m)
    name = unique("ct")

    def apply(manager, **s):
        body = cron(name, group, **s)
        return corrald.kubectl("apply", "--server-side", f"--field-manager={manager}", "-n", ns, "-f", "-",
                               input=json.dumps(body), check=False)

    assert apply("alice", ports=[{"name": "http", "port": 80}], tags=["a"]).returncode == 0
    p = apply("bob", ports=[{"name": "metrics", "port": 9090}])
    assert p.returncode == 0, p.stderr
    obj = corrald.kubectl_json("get", f"crontabs.{group}", name, "-n", ns, "--show-managed-fields")
    assert [x["name"] for x in obj["spec"]["ports"]] == ["http", "metrics"], obj["spec"]
    owned = {e["manager"]: json.dumps(e["fieldsV1"]) for e in obj["metadata"]["managedFields"]}
    assert 'k:{\\"name\\":\\"metrics\\"}' in owned["bob"] and 'k:{\\"name\\":\\"http\\"}' not in owned["bob"], owned
    # An item with the same key and another value is a conflict, named like kube names it.
    p = apply("bob", ports=[{"name": "metrics", "port": 9090}, {"name": "http", "port": 8080}])
    assert p.returncode != 0 and '.spec.ports[name="http"].port' in p.stderr, p.stderr
    # alice stops applying her port: only hers goes.
    assert apply("alice", tags=["a"]).returncode == 0
    obj = corrald.kubectl_json("get", f"crontabs.{group}", name, "-n", ns)
    assert obj["spec"]["ports"] == [{"name": "metrics", "port": 9090}], obj["spec"]
    # The atomic list changes hands whole when forced.
    p = corrald.kubectl("apply", "--server-side", "--field-manager=bob", "--force-conflicts", "-n", ns, "-f", "-",
                        input=json.dumps(cron(name, group, ports=[{"name": "metrics", "port": 9090}], tags=["b"])), check=False)
    assert p.returncode == 0, p.stderr
    assert corrald.kubectl_json("get", f"crontabs.{group}", name, "-n", ns)["spec"]["tags"] == ["b"]
