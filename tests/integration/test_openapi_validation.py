"""OpenAPI v3 field schemas (kubectl explain, client-side apply) and
server-side field validation (fieldValidation=Strict|Warn|Ignore), checked
with the real kubectl 1.32 and raw HTTP, plus the Kubernetes JSON schemas
(kubernetes-validate) against the objects corrald returns."""
from __future__ import annotations

import json

import pytest

from conftest import assert_status, unique

BAD_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
  - name: c
    image: busybox
    imagePullPolicyy: Always
  fooBar: 1
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      containers:
      - name: c
        image: busybox
{extra}"""

VM = """\
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: {name}
spec:
  runStrategy: Halted
{extra}  template:
    metadata:
      labels:
        kubevirt.io/vm: {name}
    spec:
      domain:
        devices:
          disks:
          - name: root
            disk:
              bus: virtio
        resources:
          requests:
            memory: {memory}
      volumes:
      - name: root
        containerDisk:
          image: example.org/disk:latest
"""


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


# -- kubectl explain ----------------------------------------------------------

def test_explain_pod_container_resources(corrald):
    out = corrald.kubectl("explain", "pod.spec.containers.resources").stdout
    assert "FIELD: resources <ResourceRequirements>" in out, out
    assert "limits\t<map[string]Quantity>" in out, out
    assert "Limits describes the maximum amount of compute resources allowed" in out, out
    assert "Compute Resources required by this container" in out, out


def test_explain_kubevirt_disks(corrald):
    out = corrald.kubectl("explain", "vm.spec.template.spec.domain.devices.disks").stdout
    assert "KIND:       VirtualMachine" in out and "GROUP:      kubevirt.io" in out, out
    assert "FIELD: disks <[]Disk>" in out, out
    assert "bootOrder\t<integer>" in out, out
    assert "BootOrder is an integer value > 0" in out, out
    assert "name\t<string> -required-" in out, out


def test_explain_recursive(corrald):
    out = corrald.kubectl("explain", "deployment", "--recursive").stdout
    assert "template\t<PodTemplateSpec> -required-" in out, out[:2000]
    assert "containers\t<[]Container> -required-" in out
    assert "topologySpreadConstraints\t<[]TopologySpreadConstraint>" in out
    assert len(out.splitlines()) > 500


# -- Strict (kubectl's default) ---------------------------------------------

@pytest.mark.parametrize("verb", ["create", "apply", "replace"])
def test_misspelled_field_is_rejected_with_its_path(corrald, ns, tmp_path, verb):
    name = unique("typo")
    if verb == "replace":
        corrald.kubectl("create", "-n", ns, "-f", "-", input=BAD_POD.format(name=name)
                        .replace("    imagePullPolicyy: Always\n", "").replace("  fooBar: 1\n", ""))
    path = write(tmp_path, "pod.yaml", BAD_POD.format(name=name))
    p = corrald.kubectl(verb, "-n", ns, "-f", path, check=False)
    assert p.returncode != 0, p.stdout
    assert "BadRequest" in p.stderr, p.stderr
    assert f'Pod in version "v1" cannot be handled as a Pod: strict decoding error: ' in p.stderr, p.stderr
    assert 'unknown field "spec.containers[0].imagePullPolicyy"' in p.stderr, p.stderr
    assert 'unknown field "spec.fooBar"' in p.stderr, p.stderr
    if verb != "replace":
        assert corrald.kubectl("get", "pod", name, "-n", ns, check=False).returncode != 0, "nothing created"


def test_apply_of_existing_object_with_typo_is_rejected(corrald, ns, tmp_path):
    name = unique("dep")
    good = write(tmp_path, "good.yaml", DEPLOYMENT.format(name=name, replicas=1, extra=""))
    corrald.kubectl("apply", "-n", ns, "-f", good)
    bad = write(tmp_path, "bad.yaml", DEPLOYMENT.format(name=name, replicas=3, extra="        imagee: x\n"))
    p = corrald.kubectl("apply", "-n", ns, "-f", bad, check=False)
    assert p.returncode != 0
    assert 'unknown field "spec.template.spec.containers[0].imagee"' in p.stderr, p.stderr
    assert corrald.kubectl_json("get", "deployment", name, "-n", ns)["spec"]["replicas"] == 1


def test_server_side_apply_rejects_undeclared_fields(corrald, ns, tmp_path):
    name = unique("ssa")
    bad = write(tmp_path, "bad.yaml", DEPLOYMENT.format(name=name, replicas=1, extra="        imagee: x\n"))
    p = corrald.kubectl("apply", "--server-side", "-n", ns, "-f", bad, check=False)
    assert p.returncode != 0
    assert "failed to create typed patch object" in p.stderr, p.stderr
    assert '.spec.template.spec.containers[name="c"].imagee: field not declared in schema' in p.stderr, p.stderr


def test_kubevirt_typo_is_rejected(corrald, ns):
    name = unique("vm")
    p = corrald.kubectl("create", "-n", ns, "-f", "-", check=False,
                        input=VM.format(name=name, memory="64Mi", extra="  runStrategyy: Always\n"))
    assert p.returncode != 0
    assert 'VirtualMachine in version "v1" cannot be handled as a VirtualMachine' in p.stderr, p.stderr
    assert 'unknown field "spec.runStrategyy"' in p.stderr, p.stderr


def test_wrong_type_is_a_decode_error(corrald, ns):
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": unique("t")},
           "spec": {"replicas": "3", "selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    r = corrald.session().post(f"{corrald.url}/apis/apps/v1/namespaces/{ns}/deployments", json=obj, timeout=10)
    st = assert_status(r, 400, "BadRequest")
    assert st["message"] == ('Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
                             'string into Go struct field DeploymentSpec.spec.replicas of type int32'), st


# -- Warn and Ignore ----------------------------------------------------------

def test_validate_warn_creates_with_warnings(corrald, ns, tmp_path):
    name = unique("warn")
    p = corrald.kubectl("create", "--validate=warn", "-n", ns, "-f",
                        write(tmp_path, "pod.yaml", BAD_POD.format(name=name)))
    assert 'Warning: unknown field "spec.containers[0].imagePullPolicyy"' in p.stderr, p.stderr
    assert 'Warning: unknown field "spec.fooBar"' in p.stderr, p.stderr
    pod = corrald.kubectl_json("get", "pod", name, "-n", ns)
    assert "fooBar" not in pod["spec"], "unknown fields are dropped, as kube-apiserver drops them"
    assert "imagePullPolicyy" not in pod["spec"]["containers"][0]


def test_validate_false_accepts_silently(corrald, ns, tmp_path):
    """Ignore stores the body as sent (corral keeps fields newer than its schemas)."""
    name = unique("ign")
    p = corrald.kubectl("create", "--validate=false", "-n", ns, "-f",
                        write(tmp_path, "pod.yaml", BAD_POD.format(name=name)))
    assert "Warning" not in p.stderr, p.stderr
    assert corrald.kubectl_json("get", "pod", name, "-n", ns)["spec"]["fooBar"] == 1


def test_raw_duplicate_and_unknown_fields_per_directive(corrald, ns):
    s = corrald.session()
    url = f"{corrald.url}/api/v1/namespaces/{ns}/configmaps"
    name = unique("dup")
    body = ('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s","name":"%s"},'
            '"data":{"k":"v"},"extra":1}' % (name, name))
    hdr = {"Content-Type": "application/json"}
    st = assert_status(s.post(url, params={"fieldValidation": "Strict"}, data=body, headers=hdr, timeout=10), 400, "BadRequest")
    assert st["message"] == ('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: '
                             'duplicate field "metadata.name", unknown field "extra"'), st
    r = s.post(url, data=body, headers=hdr, timeout=10)  # no parameter: Warn
    assert r.status_code == 201, r.text
    warnings = r.headers.get("Warning", "")
    assert '299 - "duplicate field \\"metadata.name\\""' in warnings, warnings
    assert '299 - "unknown field \\"extra\\""' in warnings, warnings
    assert "extra" not in r.json()
    body2 = body.replace(name, name + "-2")
    r = s.post(url, params={"fieldValidation": "Ignore"}, data=body2, headers=hdr, timeout=10)
    assert r.status_code == 201 and "Warning" not in r.headers, (r.status_code, r.headers)
    st = assert_status(s.post(url, params={"fieldValidation": "strict"}, data=body, headers=hdr, timeout=10), 422, "Invalid")
    assert 'fieldValidation: Unsupported value: "strict"' in st["message"], st


def test_merge_patch_with_unknown_field(corrald, ns):
    s = corrald.session()
    name = unique("cm")
    corrald.kubectl("create", "configmap", name, "-n", ns, "--from-literal=a=b")
    url = f"{corrald.url}/api/v1/namespaces/{ns}/configmaps/{name}"
    hdr = {"Content-Type": "application/merge-patch+json"}
    r = s.patch(url, params={"fieldValidation": "Strict"}, data='{"data":{"c":"d"},"bogus":{"x":1}}', headers=hdr, timeout=10)
    st = assert_status(r, 422, "Invalid")
    assert 'strict decoding error: unknown field "bogus"' in st["message"], st
    assert st["details"]["causes"][0]["field"] == "patch"
    r = s.patch(url, params={"fieldValidation": "Warn"}, data='{"data":{"c":"d"},"bogus":{"x":1}}', headers=hdr, timeout=10)
    assert r.status_code == 200 and r.json()["data"] == {"a": "b", "c": "d"} and "bogus" not in r.json(), r.text
    assert 'unknown field \\"bogus\\"' in r.headers.get("Warning", "")
    r = s.patch(url, params={"fieldValidation": "Strict"}, data='[{"op":"add","path":"/bogus","value":1}]',
                headers={"Content-Type": "application/json-patch+json"}, timeout=10)
    assert 'unknown field "bogus"' in assert_status(r, 422, "Invalid")["message"]


# -- KubeVirt client-side apply, single-node warnings ---------------------------

def test_kubevirt_apply_twice_without_openapi_warning(corrald, ns, tmp_path):
    name = unique("vm")
    path = tmp_path / "vm.yaml"
    path.write_text(VM.format(name=name, memory="64Mi", extra=""))
    first = corrald.kubectl("apply", "-n", ns, "-f", str(path))
    path.write_text(VM.format(name=name, memory="128Mi", extra=""))
    second = corrald.kubectl("apply", "-n", ns, "-f", str(path))
    for p in (first, second):
        assert "openapi" not in p.stderr.lower() and "warning" not in p.stderr.lower(), p.stderr
    assert "configured" in second.stdout, second.stdout
    vm = corrald.kubectl_json("get", "vm", name, "-n", ns)
    assert vm["spec"]["template"]["spec"]["domain"]["resources"]["requests"]["memory"] == "128Mi"


def test_single_node_ignored_fields_warn(corrald, ns, tmp_path):
    name = unique("spread")
    extra = ("      topologySpreadConstraints:\n"
             "      - maxSkew: 1\n        topologyKey: kubernetes.io/hostname\n        whenUnsatisfiable: DoNotSchedule\n"
             "        labelSelector:\n          matchLabels: {app: x}\n")
    text = DEPLOYMENT.format(name=name, replicas=2, extra="").replace("      containers:\n", extra + "      containers:\n")
    p = corrald.kubectl("apply", "-n", ns, "-f", write(tmp_path, "d.yaml", text))
    assert "Warning: spec.template.spec.topologySpreadConstraints: ignored: corral runs on a single node" in p.stderr, p.stderr
    dep = corrald.kubectl_json("get", "deployment", name, "-n", ns)
    assert dep["spec"]["template"]["spec"]["topologySpreadConstraints"][0]["maxSkew"] == 1


# -- the documents themselves ---------------------------------------------------

def _refs(v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "$ref":
                out.append(x)
            else:
                _refs(x, out)
    elif isinstance(v, list):
        for x in v:
            _refs(x, out)
    return out


@pytest.mark.parametrize("gv", ["api/v1", "apis/apps/v1", "apis/kubevirt.io/v1", "apis/cdi.kubevirt.io/v1beta1",
                                "apis/k8s.cni.cncf.io/v1", "apis/rbac.authorization.k8s.io/v1"])
def test_documents_are_closed_and_typed(corrald, gv):
    s = corrald.session()
    index = s.get(corrald.url + "/openapi/v3", timeout=10).json()["paths"]
    doc = s.get(corrald.url + index[gv]["serverRelativeURL"], timeout=30).json()
    schemas = doc["components"]["schemas"]
    for ref in set(_refs(doc, [])):
        assert ref.startswith("#/components/schemas/") and ref.split("/")[-1] in schemas, ref
    kinds = [x for x in schemas.values() if x.get("x-kubernetes-group-version-kind")]
    assert kinds, gv
    for k in kinds:
        assert k.get("type") == "object" and "properties" in k and "x-kubernetes-preserve-unknown-fields" not in k, k
    patches = [op["patch"] for op in doc["paths"].values() if "patch" in op]
    assert patches and all(any(p["name"] == "fieldValidation" for p in op["parameters"]) for op in patches)


def test_returned_objects_validate_against_kubernetes_schemas(corrald, ns):
    try:
        import kubernetes_validate
    except ImportError:
        pytest.fail("kubernetes-validate is missing: .venv/bin/pip install kubernetes-validate", pytrace=False)
    name = unique("v")
    manifests = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "b"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
         "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": "http"}]}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
         "spec": {"containers": [{"name": "c", "image": "busybox", "ports": [{"name": "http", "containerPort": 80}],
                                  "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}}}]}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}},
                               "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}},
    ]
    for m in manifests:
        corrald.kubectl("apply", "-n", ns, "-f", "-", input=json.dumps(m))
    returned = [corrald.kubectl_json("get", m["kind"].lower(), name, "-n", ns) for m in manifests]
    returned.append(corrald.kubectl_json("get", "namespace", ns))
    for obj in returned:
        try:
            kubernetes_validate.validate(obj, "1.32.0", strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{obj['kind']} returned by corrald fails the Kubernetes 1.32 schema: "
                        f"{e.message} at {'.'.join(map(str, e.path))}\n{json.dumps(obj)[:2000]}")
