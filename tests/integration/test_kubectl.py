"""Unmodified kubectl against corrald (issue 2, first "Done means" bullet)."""
from __future__ import annotations

import json
import os
import re
import socket
import threading
import time

import pytest
import yaml

from conftest import unique

# (plural, group/version, namespaced, kind, kubectl name)
RESOURCES = [
    ("namespaces", "v1", False, "Namespace", "namespaces"),
    ("pods", "v1", True, "Pod", "pods"),
    ("services", "v1", True, "Service", "services"),
    ("endpoints", "v1", True, "Endpoints", "endpoints"),
    ("configmaps", "v1", True, "ConfigMap", "configmaps"),
    ("secrets", "v1", True, "Secret", "secrets"),
    ("serviceaccounts", "v1", True, "ServiceAccount", "serviceaccounts"),
    ("persistentvolumes", "v1", False, "PersistentVolume", "persistentvolumes"),
    ("persistentvolumeclaims", "v1", True, "PersistentVolumeClaim", "persistentvolumeclaims"),
    ("nodes", "v1", False, "Node", "nodes"),
    ("events", "v1", True, "Event", "events"),
    ("deployments", "apps/v1", True, "Deployment", "deployments.apps"),
    ("replicasets", "apps/v1", True, "ReplicaSet", "replicasets.apps"),
    ("statefulsets", "apps/v1", True, "StatefulSet", "statefulsets.apps"),
    ("daemonsets", "apps/v1", True, "DaemonSet", "daemonsets.apps"),
    ("jobs", "batch/v1", True, "Job", "jobs.batch"),
    ("endpointslices", "discovery.k8s.io/v1", True, "EndpointSlice", "endpointslices.discovery.k8s.io"),
    ("networkpolicies", "networking.k8s.io/v1", True, "NetworkPolicy", "networkpolicies.networking.k8s.io"),
    ("roles", "rbac.authorization.k8s.io/v1", True, "Role", "roles.rbac.authorization.k8s.io"),
    ("rolebindings", "rbac.authorization.k8s.io/v1", True, "RoleBinding", "rolebindings.rbac.authorization.k8s.io"),
    ("clusterroles", "rbac.authorization.k8s.io/v1", False, "ClusterRole", "clusterroles.rbac.authorization.k8s.io"),
    ("clusterrolebindings", "rbac.authorization.k8s.io/v1", False, "ClusterRoleBinding",
     "clusterrolebindings.rbac.authorization.k8s.io"),
    ("leases", "coordination.k8s.io/v1", True, "Lease", "leases.coordination.k8s.io"),
    ("storageclasses", "storage.k8s.io/v1", False, "StorageClass", "storageclasses.storage.k8s.io"),
    ("events", "events.k8s.io/v1", True, "Event", "events.events.k8s.io"),
    ("virtualmachines", "kubevirt.io/v1", True, "VirtualMachine", "virtualmachines.kubevirt.io"),
    ("virtualmachineinstances", "kubevirt.io/v1", True, "VirtualMachineInstance",
     "virtualmachineinstances.kubevirt.io"),
    ("virtualmachineinstancereplicasets", "kubevirt.io/v1", True, "VirtualMachineInstanceReplicaSet",
     "virtualmachineinstancereplicasets.kubevirt.io"),
    ("datavolumes", "cdi.kubevirt.io/v1beta1", True, "DataVolume", "datavolumes.cdi.kubevirt.io"),
    ("network-attachment-definitions", "k8s.cni.cncf.io/v1", True, "NetworkAttachmentDefinition",
     "network-attachment-definitions.k8s.cni.cncf.io"),
]

# Short names kubectl users type, as Kubernetes / KubeVirt / CDI / Multus define them.
SHORT_NAMES = {
    "po": "pods", "svc": "services", "ep": "endpoints", "cm": "configmaps",
    "sa": "serviceaccounts", "pv": "persistentvolumes", "pvc": "persistentvolumeclaims",
    "no": "nodes", "ns": "namespaces", "deploy": "deployments", "rs": "replicasets",
    "sts": "statefulsets", "ds": "daemonsets", "netpol": "networkpolicies",
    "sc": "storageclasses", "vm": "virtualmachines", "vmi": "virtualmachineinstances",
    "vmirs": "virtualmachineinstancereplicasets", "dv": "datavolumes",
    "net-attach-def": "network-attachment-definitions",
}


# --------------------------------------------------------------------------- helpers

def parse_table(text: str) -> list[dict]:
    """Parse kubectl's fixed-width table output into dicts keyed by header."""
    lines = [l for l in text.splitlines() if l.strip()]
    assert lines, f"empty table output: {text!r}"
    header = lines[0]
    starts = []
    i = 0
    while i < len(header):
        if header[i] != " " and (i == 0 or header[i - 1] == " "):
            # Headers like "NOMINATED NODE" contain one space; columns are separated by >= 2.
            if i >= 2 and header[i - 1] == " " and header[i - 2] != " ":
                i += 1
                continue
            starts.append(i)
        i += 1
    names = [header[s:(starts[k + 1] if k + 1 < len(starts) else None)].strip()
             for k, s in enumerate(starts)]
    rows = []
    for line in lines[1:]:
        row = {}
        for k, s in enumerate(starts):
            e = starts[k + 1] if k + 1 < len(starts) else None
            row[names[k]] = line[s:e].strip()
        rows.append(row)
    return rows


def names_in(k, *args) -> set[str]:
    out = k.kubectl(*args, "-o", "jsonpath={.items[*].metadata.name}").stdout
    return set(out.split())


def mk_cm(k, ns, name, data=None, labels=None):
    """Create a ConfigMap through `kubectl create -f -` (JSON) for test setup."""
    meta = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = dict(labels)
    k.kubectl("create", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data or {"k": "v"}}))


def mk_ns(k, name):
    k.kubectl("create", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))


def write_manifest(tmp_path, name: str, obj) -> str:
    p = tmp_path / name
    if isinstance(obj, str):
        p.write_text(obj)
    else:
        p.write_text(yaml.safe_dump(obj, sort_keys=False))
    return str(p)


def wait_until(pred, timeout=20.0, interval=0.25, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def exists(k, kind, name, ns=None) -> bool:
    args = ["get", kind, name, "--ignore-not-found", "-o", "name"]
    if ns:
        args += ["-n", ns]
    return bool(k.kubectl(*args).stdout.strip())


def get_json(k, kind, name, ns=None):
    args = ["get", kind, name]
    if ns:
        args += ["-n", ns]
    return k.kubectl_json(*args)


def deployment(name, labels, replicas=0):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)},
                         "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                                  "command": ["sleep", "3600"]}]}},
        },
    }


def replicaset(name, labels, owner=None, finalizers=None):
    meta = {"name": name, "labels": dict(labels)}
    if owner is not None:
        meta["ownerReferences"] = [{
            "apiVersion": "apps/v1", "kind": "Deployment", "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True,
        }]
    if finalizers:
        meta["finalizers"] = list(finalizers)
    return {
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta,
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)},
                         "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}},
        },
    }


POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"containers": [{"name": "web", "image": "busybox:1.36", "command": ["sleep", "3600"]}]},
}
SERVICE = {
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
}
CONFIGMAP = {
    "apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "cfg", "labels": {"app": "web"}},
    "data": {"greeting": "hello", "multi": "line1\nline2\n"},
}
VM = {
    "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
    "metadata": {"name": "vm1", "labels": {"app": "legacy"}},
    "spec": {
        "runStrategy": "Halted",
        "template": {
            "metadata": {"labels": {"kubevirt.io/vm": "vm1"}},
            "spec": {
                "domain": {
                    "cpu": {"cores": 1},
                    "resources": {"requests": {"memory": "128Mi"}},
                    "devices": {"disks": [{"name": "root", "disk": {"bus": "virtio"}}],
                                "interfaces": [{"name": "default", "masquerade": {}}]},
                },
                "networks": [{"name": "default", "pod": {}}],
                "volumes": [{"name": "root", "dataVolume": {"name": "dv1"}}],
            },
        },
    },
}
DATAVOLUME = {
    "apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume",
    "metadata": {"name": "dv1"},
    "spec": {"source": {"blank": {}},
             "storage": {"resources": {"requests": {"storage": "1Gi"}}}},
}
NAD = {
    "apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
    "metadata": {"name": "br-lan"},
    "spec": {"config": '{"cniVersion":"0.3.1","name":"br-lan","type":"bridge","bridge":"br-lan"}'},
}


# --------------------------------------------------------------------------- discovery

def test_version(corrald):
    out = corrald.kubectl("version").stdout
    assert "Client Version:" in out and "Server Version: v" in out, out
    v = json.loads(corrald.kubectl("version", "-o", "json").stdout)
    sv = v.get("serverVersion")
    assert isinstance(sv, dict), v
    nine = ["major", "minor", "gitVersion", "gitCommit", "gitTreeState", "buildDate",
            "goVersion", "compiler", "platform"]
    missing = [f for f in nine if not isinstance(sv.get(f), str) or not sv.get(f)]
    assert not missing, f"serverVersion lacks {missing}: {sv}"
    assert sv["gitVersion"].startswith("v"), sv
    assert sv["major"].isdigit(), sv
    assert sv["minor"].rstrip("+").isdigit(), sv
    assert "/" in sv["platform"], sv


def test_api_resources(corrald):
    out = corrald.kubectl("api-resources").stdout
    rows = parse_table(out)
    assert set(rows[0]) >= {"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"}, rows[0]
    by_key = {(r["NAME"], r["APIVERSION"]): r for r in rows}
    problems = []
    for plural, gv, namespaced, kind, _ in RESOURCES:
        r = by_key.get((plural, gv))
        if r is None:
            problems.append(f"{plural} ({gv}) not listed")
            continue
        if r["KIND"] != kind:
            problems.append(f"{plural}: kind {r['KIND']!r} != {kind!r}")
        if r["NAMESPACED"] != ("true" if namespaced else "false"):
            problems.append(f"{plural}: namespaced {r['NAMESPACED']!r}")
    for short, plural in SHORT_NAMES.items():
        if not any(r["NAME"] == plural and short in r["SHORTNAMES"].split(",") for r in rows):
            problems.append(f"short name {short!r} not on {plural}")
    assert not problems, "\n".join(problems) + "\n" + out

    # Verbs are served (kubectl api-resources -o wide shows them).
    wide = parse_table(corrald.kubectl("api-resources", "-o", "wide").stdout)
    verbs = {r["NAME"] + "/" + r["APIVERSION"]: r.get("VERBS", "") for r in wide}
    cm_verbs = verbs.get("configmaps/v1", "")
    for verb in ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"):
        assert verb in cm_verbs, f"configmaps verbs {cm_verbs!r} lack {verb}"

    # Category 'all' (kubectl get all) is advertised for pods, services, deployments.
    cat_all = set(corrald.kubectl("api-resources", "--categories=all", "-o", "name").stdout.split())
    for name in ("pods", "services", "deployments.apps", "replicasets.apps"):
        assert name in cat_all, f"{name} not in category all: {sorted(cat_all)}"
    assert "configmaps" not in cat_all, cat_all

    cluster = set(corrald.kubectl("api-resources", "--namespaced=false", "-o", "name").stdout.split())
    for name in ("nodes", "namespaces", "persistentvolumes", "storageclasses.storage.k8s.io",
                 "clusterroles.rbac.authorization.k8s.io"):
        assert name in cluster, f"{name} not cluster-scoped: {sorted(cluster)}"
    assert "pods" not in cluster


def test_api_versions(corrald):
    got = set(corrald.kubectl("api-versions").stdout.split())
    want = {"v1", "apps/v1", "batch/v1", "discovery.k8s.io/v1", "networking.k8s.io/v1",
            "rbac.authorization.k8s.io/v1", "coordination.k8s.io/v1", "storage.k8s.io/v1",
            "events.k8s.io/v1", "kubevirt.io/v1", "cdi.kubevirt.io/v1beta1", "k8s.cni.cncf.io/v1"}
    assert want <= got, f"missing {sorted(want - got)}; got {sorted(got)}"


@pytest.mark.parametrize("res", RESOURCES, ids=lambda r: r[4])
def test_get_every_type_all_namespaces(corrald, res):
    plural, gv, namespaced, kind, kname = res
    p = corrald.kubectl("get", kname, "-A", check=False)
    assert p.returncode == 0, f"kubectl get {kname} -A: rc={p.returncode} {p.stderr}"
    assert "error" not in p.stderr.lower(), p.stderr
    if p.stdout.strip():
        first = p.stdout.splitlines()[0].split()
        assert first[0] == ("NAMESPACE" if namespaced else "NAME"), p.stdout
    else:
        assert "No resources found" in p.stderr, p.stderr
    # And as JSON: a List whose items are of the right kind.
    data = corrald.kubectl_json("get", kname, "-A")
    assert data["kind"] == "List" and isinstance(data["items"], list), data
    for it in data["items"]:
        assert it["kind"] == kind and it["apiVersion"] == gv, it


@pytest.mark.parametrize("short", sorted(SHORT_NAMES))
def test_get_by_short_name(corrald, short):
    p = corrald.kubectl("get", short, "-A", "-o", "json", check=False)
    assert p.returncode == 0, f"kubectl get {short}: {p.stderr}"
    assert json.loads(p.stdout)["kind"] == "List"


def test_default_namespaces(corrald):
    out = corrald.kubectl("get", "namespaces", "default", "kube-system", "kube-public").stdout
    rows = parse_table(out)
    assert sorted(r["NAME"] for r in rows) == ["default", "kube-public", "kube-system"], out
    assert all(r["STATUS"] == "Active" for r in rows), out


def test_get_nodes_one_node_with_host_capacity(corrald):
    out = corrald.kubectl("get", "nodes").stdout
    rows = parse_table(out)
    assert len(rows) == 1, out
    assert rows[0]["NAME"], out
    data = corrald.kubectl_json("get", "nodes")
    assert len(data["items"]) == 1, data
    node = data["items"][0]
    host = socket.gethostname().lower()
    assert node["metadata"]["name"] in (host, host.split(".")[0]), (node["metadata"]["name"], host)
    cap = node["status"]["capacity"]
    assert str(cap["cpu"]) == str(os.cpu_count()), f"capacity.cpu {cap.get('cpu')!r} != {os.cpu_count()}"
    assert "memory" in cap and cap["memory"] not in ("", "0"), cap
    assert "allocatable" in node["status"], node["status"]
    desc = corrald.kubectl("describe", "node", node["metadata"]["name"]).stdout
    assert "Capacity:" in desc and "cpu:" in desc, desc


# --------------------------------------------------------------------------- create -f

def test_create_f_all_kinds_and_get_back(corrald, ns, tmp_path):
    cases = [
        (POD, "pod/web created", "pod"),
        (deployment("web", {"app": "webd"}), "deployment.apps/web created", "deployment"),
        (SERVICE, "service/web created", "service"),
        (CONFIGMAP, "configmap/cfg created", "configmap"),
        (VM, "virtualmachine.kubevirt.io/vm1 created", "virtualmachine"),
        (DATAVOLUME, "datavolume.cdi.kubevirt.io/dv1 created", "datavolume"),
        (NAD, "networkattachmentdefinition.k8s.cni.cncf.io/br-lan created",
         "network-attachment-definitions"),
    ]
    rvs = []
    for obj, expect, kind in cases:
        path = write_manifest(tmp_path, f"{obj['kind']}.yaml", obj)
        out = corrald.kubectl("create", "-f", path, "-n", ns).stdout.strip()
        assert out == expect, out
        got = get_json(corrald, kind, obj["metadata"]["name"], ns)
        assert got["kind"] == obj["kind"] and got["apiVersion"] == obj["apiVersion"], got
        md = got["metadata"]
        assert md["name"] == obj["metadata"]["name"] and md["namespace"] == ns, md
        assert md.get("uid") and md.get("creationTimestamp"), md
        assert md["resourceVersion"].isdigit(), md
        rvs.append(int(md["resourceVersion"]))
        for key, val in obj["metadata"].get("labels", {}).items():
            assert md["labels"][key] == val, md
        # Everything we sent in spec/data is there as sent (server may add defaults).
        if "data" in obj:
            assert got["data"] == obj["data"], got
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs), rvs

    pod = get_json(corrald, "pod", "web", ns)
    assert pod["spec"]["containers"][0]["image"] == "busybox:1.36"
    assert pod["spec"]["containers"][0]["command"] == ["sleep", "3600"]
    vm = get_json(corrald, "vm", "vm1", ns)
    assert vm["spec"]["runStrategy"] == "Halted", vm["spec"]
    assert vm["spec"]["template"]["spec"]["volumes"] == VM["spec"]["template"]["spec"]["volumes"]
    nad = get_json(corrald, "net-attach-def", "br-lan", ns)
    assert nad["spec"]["config"] == NAD["spec"]["config"], nad
    dv = get_json(corrald, "dv", "dv1", ns)
    assert dv["spec"]["storage"] == DATAVOLUME["spec"]["storage"], dv
    dep = get_json(corrald, "deployment", "web", ns)
    assert dep["metadata"]["generation"] == 1, dep["metadata"]

    # Creating the same object again is AlreadyExists.
    again = corrald.kubectl("create", "-f", str(tmp_path / "ConfigMap.yaml"), "-n", ns, check=False)
    assert again.returncode != 0 and "AlreadyExists" in again.stderr, again.stderr


def test_create_applies_kubernetes_defaults(corrald, ns, tmp_path):
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "pod.yaml", POD), "-n", ns)
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "svc.yaml", SERVICE), "-n", ns)
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "dep.yaml", deployment("d", {"a": "b"})),
                    "-n", ns)
    pod = get_json(corrald, "pod", "web", ns)["spec"]
    assert pod.get("restartPolicy") == "Always", pod
    assert pod.get("dnsPolicy") == "ClusterFirst", pod
    assert pod.get("terminationGracePeriodSeconds") == 30, pod
    svc = get_json(corrald, "svc", "web", ns)["spec"]
    assert svc.get("type") == "ClusterIP", svc
    assert svc["ports"][0].get("protocol") == "TCP", svc
    dep = get_json(corrald, "deploy", "d", ns)["spec"]
    assert dep.get("strategy", {}).get("type") == "RollingUpdate", dep


def test_unknown_field_round_trips(corrald, ns, tmp_path):
    future = {
        "nested": {"deeper": {"list": [1, -2, 0.5, "x", None, True, False, {}, []]}},
        "bigInt": 9007199254740993,
        "text": "h\u00e9llo \u2713 \"quoted\" \\ back\nslash",
        "emptyObject": {},
        "emptyList": [],
        "zero": 0,
    }
    vm = json.loads(json.dumps(VM))
    vm["metadata"]["name"] = "future"
    vm["spec"]["someFutureField"] = future
    vm["spec"]["template"]["spec"]["domain"]["someFutureDomainKnob"] = {"level": 3}
    path = tmp_path / "vm.json"
    path.write_text(json.dumps(vm))
    corrald.kubectl("create", "-f", str(path), "-n", ns, "--validate=false")
    got = get_json(corrald, "vm", "future", ns)
    assert got["spec"]["someFutureField"] == future, got["spec"].get("someFutureField")
    assert type(got["spec"]["someFutureField"]["bigInt"]) is int
    assert got["spec"]["template"]["spec"]["domain"]["someFutureDomainKnob"] == {"level": 3}
    # The raw bytes too: the big integer must not have gone through a double.
    raw = corrald.kubectl("get", "vm", "future", "-n", ns, "-o", "json").stdout
    assert "9007199254740993" in raw


# --------------------------------------------------------------------------- output formats

@pytest.fixture
def out_ns(corrald, ns, tmp_path):
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "pod.yaml", POD), "-n", ns)
    return ns


def test_output_wide(corrald, out_ns):
    out = corrald.kubectl("get", "pods", "-n", out_ns, "-o", "wide").stdout
    hdr = out.splitlines()[0].split()
    assert hdr[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"], out
    rows = parse_table(out)
    assert [r["NAME"] for r in rows] == ["web"], out


def test_output_default_pod_columns(corrald, out_ns):
    out = corrald.kubectl("get", "pods", "-n", out_ns).stdout
    assert out.splitlines()[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], out
    row = parse_table(out)[0]
    assert row["NAME"] == "web" and row["READY"].endswith("/1"), out


def test_output_yaml(corrald, out_ns):
    doc = yaml.safe_load(corrald.kubectl("get", "pod", "web", "-n", out_ns, "-o", "yaml").stdout)
    assert doc["kind"] == "Pod" and doc["apiVersion"] == "v1"
    assert doc["metadata"]["name"] == "web" and doc["metadata"]["namespace"] == out_ns
    assert doc["spec"]["containers"][0]["image"] == "busybox:1.36"
    lst = yaml.safe_load(corrald.kubectl("get", "pods", "-n", out_ns, "-o", "yaml").stdout)
    assert lst["kind"] == "List" and [i["metadata"]["name"] for i in lst["items"]] == ["web"]


def test_output_json(corrald, out_ns):
    doc = json.loads(corrald.kubectl("get", "pod", "web", "-n", out_ns, "-o", "json").stdout)
    assert doc["kind"] == "Pod" and doc["metadata"]["labels"] == {"app": "web"}


def test_output_jsonpath(corrald, out_ns):
    out = corrald.kubectl("get", "pod", "web", "-n", out_ns, "-o",
                          "jsonpath={.metadata.name}/{.spec.containers[0].image}").stdout
    assert out == "web/busybox:1.36", repr(out)
    out = corrald.kubectl("get", "pods", "-n", out_ns, "-o",
                          "jsonpath={range .items[*]}{.metadata.name}:{.metadata.labels.app}{\"\\n\"}{end}").stdout
    assert out == "web:web\n", repr(out)


def test_output_custom_columns(corrald, out_ns):
    out = corrald.kubectl("get", "pods", "-n", out_ns, "-o",
                          "custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image,NS:.metadata.namespace").stdout
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "IMAGE", "NS"], out
    assert lines[1].split() == ["web", "busybox:1.36", out_ns], out
    assert len(lines) == 2, out


def test_table_columns_per_type(corrald, ns, tmp_path):
    for obj in (deployment("web", {"app": "webd"}), SERVICE, VM, DATAVOLUME):
        corrald.kubectl("create", "-f", write_manifest(tmp_path, obj["kind"] + ".yaml", obj), "-n", ns)
    dep = corrald.kubectl("get", "deployments", "-n", ns).stdout
    assert dep.splitlines()[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], dep
    assert parse_table(dep)[0]["READY"] == "0/0", dep
    svc = corrald.kubectl("get", "services", "-n", ns).stdout
    assert svc.splitlines()[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], svc
    row = parse_table(svc)[0]
    assert row["TYPE"] == "ClusterIP" and row["PORT(S)"] == "80/TCP", svc
    vm = corrald.kubectl("get", "vm", "-n", ns).stdout
    assert vm.splitlines()[0].split() == ["NAME", "AGE", "STATUS", "READY"], vm
    dv = corrald.kubectl("get", "dv", "-n", ns).stdout
    hdr = dv.splitlines()[0].split()
    assert hdr[0] == "NAME" and "PHASE" in hdr and "PROGRESS" in hdr and "AGE" in hdr, dv


# --------------------------------------------------------------------------- selectors

@pytest.fixture
def sel_ns(corrald, ns):
    spec = {"a": "app=web,tier=fe", "b": "app=web,tier=be", "c": "app=db", "d": None}
    for name, labels in spec.items():
        mk_cm(corrald, ns, name, {"k": "v"})
        lab = ["suite=sel"] + (labels.split(",") if labels else [])
        corrald.kubectl("label", "configmap", name, "-n", ns, *lab)
    return ns


@pytest.mark.parametrize("selector,expected", [
    ("app=web", {"a", "b"}),
    ("app==web", {"a", "b"}),
    ("app!=web", {"c", "d"}),
    ("tier in (fe,be)", {"a", "b"}),
    ("app in (db,nothing)", {"c"}),
    ("app notin (web)", {"c", "d"}),
    ("tier", {"a", "b"}),
    ("!tier", {"c", "d"}),
    ("app=web,tier=fe", {"a"}),
    ("app=web,tier notin (fe)", {"b"}),
    ("app=nothing", set()),
])
def test_label_selectors(corrald, sel_ns, selector, expected):
    got = names_in(corrald, "get", "configmaps", "-n", sel_ns, "-l", "suite=sel," + selector)
    assert got == expected, f"-l {selector!r}: {got}"


def test_field_selectors(corrald, sel_ns):
    assert names_in(corrald, "get", "cm", "-n", sel_ns, "--field-selector", "metadata.name=b") == {"b"}
    got = names_in(corrald, "get", "cm", "-n", sel_ns, "-l", "suite=sel",
                   "--field-selector", "metadata.name!=b")
    assert got == {"a", "c", "d"}, got
    out = corrald.kubectl("get", "cm", "-A", "-l", "suite=sel", "--field-selector",
                          f"metadata.namespace={sel_ns}", "-o",
                          "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}").stdout
    assert set(out.split()) == {f"{sel_ns}/{n}" for n in "abcd"}, out
    # Combined label + field selectors.
    got = names_in(corrald, "get", "cm", "-n", sel_ns, "-l", "app=web",
                   "--field-selector", "metadata.name=a")
    assert got == {"a"}, got
    # An unsupported field is a BadRequest, as in Kubernetes.
    bad = corrald.kubectl("get", "cm", "-n", sel_ns, "--field-selector", "spec.nothing=x", check=False)
    assert bad.returncode != 0 and "BadRequest" in bad.stderr, bad.stderr


def test_pod_field_selectors(corrald, out_ns):
    assert names_in(corrald, "get", "pods", "-n", out_ns, "--field-selector", "spec.nodeName=no-such-node") == set()
    phase = corrald.kubectl("get", "pod", "web", "-n", out_ns, "-o", "jsonpath={.status.phase}").stdout
    assert phase, "pod has no status.phase"
    assert names_in(corrald, "get", "pods", "-n", out_ns, "--field-selector", f"status.phase={phase}") == {"web"}
    assert names_in(corrald, "get", "pods", "-n", out_ns, "--field-selector", "status.phase=Bogus") == set()


def test_show_labels(corrald, sel_ns):
    out = corrald.kubectl("get", "cm", "a", "d", "-n", sel_ns, "--show-labels").stdout
    rows = {r["NAME"]: r for r in parse_table(out)}
    assert "LABELS" in rows["a"], out
    assert set(rows["a"]["LABELS"].split(",")) == {"app=web", "tier=fe", "suite=sel"}, out
    assert rows["d"]["LABELS"] == "suite=sel", out


# --------------------------------------------------------------------------- watch

class LineReader:
    def __init__(self, stream):
        self.lines: list[str] = []
        self._t = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._t.start()

    def _run(self, stream):
        for line in iter(stream.readline, ""):
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pred, timeout=15):
        return wait_until(lambda: pred(list(self.lines)), timeout=timeout,
                          what="watch output", interval=0.1)


def test_get_watch(corrald, ns):
    mk_cm(corrald, ns, "sentinel", {"x": "1"})
    ev = corrald.popen_kubectl("get", "configmaps", "-n", ns, "-w", "--output-watch-events")
    plain = corrald.popen_kubectl("get", "configmaps", "-n", ns, "-w")
    try:
        er, pr = LineReader(ev.stdout), LineReader(plain.stdout)
        er.wait_for(lambda ls: any("sentinel" in l for l in ls))
        pr.wait_for(lambda ls: any("sentinel" in l for l in ls))
        time.sleep(0.5)
        mk_cm(corrald, ns, "w1", {"a": "1"})
        corrald.kubectl("label", "configmap", "w1", "-n", ns, "changed=yes")
        corrald.kubectl("delete", "configmap", "w1", "-n", ns)

        def events(ls):
            return [tuple(l.split()[:2]) for l in ls if len(l.split()) >= 2 and l.split()[1] == "w1"]
        er.wait_for(lambda ls: len(events(ls)) >= 3)
        assert events(er.lines)[:3] == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")], er.lines
        assert er.lines[0].split()[:2] == ["EVENT", "NAME"], er.lines
        pr.wait_for(lambda ls: sum(1 for l in ls if l.split()[:1] == ["w1"]) >= 3)
        assert plain.poll() is None and ev.poll() is None, "kubectl get -w exited early"
    finally:
        for p in (ev, plain):
            p.terminate()
            try:
                p.wait(timeout=5)
            except Exception:
                p.kill()


# --------------------------------------------------------------------------- describe

def test_describe(corrald, ns, tmp_path):
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "pod.yaml", POD), "-n", ns)
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "cm.yaml", CONFIGMAP), "-n", ns)
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "vm.yaml", VM), "-n", ns)
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "dep.yaml", deployment("web", {"app": "x"})),
                    "-n", ns)
    cm = corrald.kubectl("describe", "configmap", "cfg", "-n", ns).stdout
    assert re.search(rf"^Namespace:\s+{ns}$", cm, re.M), cm
    for needle in ("Name:", "cfg", "Labels:", "app=web", "Data", "greeting", "hello"):
        assert needle in cm, f"{needle!r} not in describe output:\n{cm}"
    pod = corrald.kubectl("describe", "pod", "web", "-n", ns).stdout
    for needle in ("Name:", "web", "Containers:", "busybox:1.36", "Status:"):
        assert needle in pod, f"{needle!r} not in:\n{pod}"
    vm = corrald.kubectl("describe", "vm", "vm1", "-n", ns).stdout
    for needle in ("Name:", "vm1", "API Version:", "kubevirt.io/v1", "Kind:", "VirtualMachine",
                   "Run Strategy:", "Halted"):
        assert needle in vm, f"{needle!r} not in:\n{vm}"
    dep = corrald.kubectl("describe", "deployment", "web", "-n", ns).stdout
    for needle in ("Name:", "web", "Replicas:", "Selector:", "app=x"):
        assert needle in dep, f"{needle!r} not in:\n{dep}"
    # Describe by label selector.
    many = corrald.kubectl("describe", "configmaps", "-n", ns, "-l", "app=web").stdout
    assert "cfg" in many


# --------------------------------------------------------------------------- create namespace/configmap/secret

def test_create_namespace_configmap_secret(corrald):
    name = unique("cr")
    try:
        assert corrald.kubectl("create", "namespace", name).stdout.strip() == f"namespace/{name} created"
        nsobj = get_json(corrald, "namespace", name)
        assert nsobj["status"]["phase"] == "Active", nsobj
        out = corrald.kubectl("create", "configmap", "app-config", "-n", name,
                              "--from-literal=mode=prod", "--from-literal=level=3").stdout
        assert out.strip() == "configmap/app-config created"
        cm = get_json(corrald, "configmap", "app-config", name)
        assert cm["data"] == {"mode": "prod", "level": "3"}, cm
        out = corrald.kubectl("create", "secret", "generic", "db-pass", "-n", name,
                              "--from-literal=password=hunter2").stdout
        assert out.strip() == "secret/db-pass created"
        sec = get_json(corrald, "secret", "db-pass", name)
        assert sec["type"] == "Opaque", sec
        assert sec["data"] == {"password": "aHVudGVyMg=="}, sec
        dup = corrald.kubectl("create", "namespace", name, check=False)
        assert dup.returncode != 0 and "AlreadyExists" in dup.stderr, dup.stderr
    finally:
        corrald.kubectl("delete", "namespace", name, "--wait=false", check=False)


# --------------------------------------------------------------------------- replace / label / annotate

def test_replace_and_stale_conflict(corrald, ns):
    mk_cm(corrald, ns, "rep", {"k": "v1"})
    v1 = get_json(corrald, "cm", "rep", ns)
    rv1 = int(v1["metadata"]["resourceVersion"])
    uid = v1["metadata"]["uid"]

    v2 = json.loads(json.dumps(v1))
    v2["data"]["k"] = "v2"
    out = corrald.kubectl("replace", "-f", "-", input=json.dumps(v2)).stdout
    assert out.strip() == "configmap/rep replaced", out
    now = get_json(corrald, "cm", "rep", ns)
    assert now["data"] == {"k": "v2"}, now
    assert int(now["metadata"]["resourceVersion"]) > rv1, now["metadata"]
    assert now["metadata"]["uid"] == uid
    assert now["metadata"]["creationTimestamp"] == v1["metadata"]["creationTimestamp"]

    stale = json.loads(json.dumps(v1))
    stale["data"]["k"] = "v3"
    p = corrald.kubectl("replace", "-f", "-", input=json.dumps(stale), check=False)
    assert p.returncode != 0, p.stdout
    assert "Conflict" in p.stderr, p.stderr
    assert get_json(corrald, "cm", "rep", ns)["data"] == {"k": "v2"}

    # Without a resourceVersion, a ConfigMap update is unconditional.
    blind = json.loads(json.dumps(v1))
    del blind["metadata"]["resourceVersion"]
    blind["data"]["k"] = "v4"
    corrald.kubectl("replace", "-f", "-", input=json.dumps(blind))
    assert get_json(corrald, "cm", "rep", ns)["data"] == {"k": "v4"}

    # Replacing something that does not exist is NotFound.
    ghost = json.loads(json.dumps(blind))
    ghost["metadata"]["name"] = "ghost"
    p = corrald.kubectl("replace", "-f", "-", input=json.dumps(ghost), check=False)
    assert p.returncode != 0 and "NotFound" in p.stderr, p.stderr


def test_generation_bumps_on_spec_change_only(corrald, ns):
    corrald.kubectl("create", "-f", "-", "-n", ns, input=json.dumps(deployment("gen", {"g": "1"})))
    d = get_json(corrald, "deploy", "gen", ns)
    assert d["metadata"]["generation"] == 1
    corrald.kubectl("label", "deploy", "gen", "-n", ns, "extra=1")
    d = get_json(corrald, "deploy", "gen", ns)
    assert d["metadata"]["generation"] == 1, "label change bumped generation"
    d["spec"]["replicas"] = 0
    d["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.37"
    corrald.kubectl("replace", "-f", "-", input=json.dumps(d))
    d = get_json(corrald, "deploy", "gen", ns)
    assert d["metadata"]["generation"] == 2, d["metadata"]


def test_label_and_annotate(corrald, ns):
    mk_cm(corrald, ns, "lab", {"k": "v"})
    assert corrald.kubectl("label", "cm", "lab", "-n", ns, "env=prod").stdout.strip() == "configmap/lab labeled"
    assert get_json(corrald, "cm", "lab", ns)["metadata"]["labels"] == {"env": "prod"}
    p = corrald.kubectl("label", "cm", "lab", "-n", ns, "env=dev", check=False)
    assert p.returncode != 0 and "already has a value" in p.stderr, p.stderr
    corrald.kubectl("label", "cm", "lab", "-n", ns, "env=dev", "team=a", "--overwrite")
    assert get_json(corrald, "cm", "lab", ns)["metadata"]["labels"] == {"env": "dev", "team": "a"}
    assert corrald.kubectl("label", "cm", "lab", "-n", ns, "env-").stdout.strip() == "configmap/lab unlabeled"
    assert get_json(corrald, "cm", "lab", ns)["metadata"]["labels"] == {"team": "a"}

    out = corrald.kubectl("annotate", "cm", "lab", "-n", ns, "note=hello world",
                          "example.com/owner=ops").stdout
    assert out.strip() == "configmap/lab annotated", out
    ann = get_json(corrald, "cm", "lab", ns)["metadata"]["annotations"]
    assert ann["note"] == "hello world" and ann["example.com/owner"] == "ops", ann
    corrald.kubectl("annotate", "cm", "lab", "-n", ns, "note-")
    ann = get_json(corrald, "cm", "lab", ns)["metadata"].get("annotations") or {}
    assert "note" not in ann and ann.get("example.com/owner") == "ops", ann
    # Label many at once by selector.
    mk_cm(corrald, ns, "lab2", {"k": "v"})
    corrald.kubectl("label", "cm", "lab2", "-n", ns, "team=a")
    corrald.kubectl("label", "cm", "-n", ns, "-l", "team=a", "bulk=yes")
    assert names_in(corrald, "get", "cm", "-n", ns, "-l", "bulk=yes") == {"lab", "lab2"}


# --------------------------------------------------------------------------- delete

def test_delete_single_selector_all(corrald, ns):
    other = unique("keep")
    mk_ns(corrald, other)
    try:
        for n in ("one", "x1", "x2", "y1", "z1"):
            mk_cm(corrald, ns, n, {"k": "v"})
        corrald.kubectl("label", "cm", "x1", "x2", "-n", ns, "grp=x")
        corrald.kubectl("label", "cm", "y1", "-n", ns, "grp=y")
        mk_cm(corrald, other, "survivor", {"k": "v"})

        out = corrald.kubectl("delete", "configmap", "one", "-n", ns).stdout
        assert out.strip() == 'configmap "one" deleted', out
        p = corrald.kubectl("get", "cm", "one", "-n", ns, check=False)
        assert p.returncode != 0 and "NotFound" in p.stderr and 'configmaps "one" not found' in p.stderr, p.stderr
        p = corrald.kubectl("delete", "cm", "one", "-n", ns, check=False)
        assert p.returncode != 0 and "NotFound" in p.stderr, p.stderr

        out = corrald.kubectl("delete", "cm", "-n", ns, "-l", "grp=x").stdout
        assert sorted(out.strip().splitlines()) == ['configmap "x1" deleted', 'configmap "x2" deleted'], out
        mine = names_in(corrald, "get", "cm", "-n", ns) - {"kube-root-ca.crt"}
        assert mine == {"y1", "z1"}, mine

        corrald.kubectl("delete", "cm", "--all", "-n", ns)
        assert names_in(corrald, "get", "cm", "-n", ns) - {"kube-root-ca.crt"} == set()
        assert "survivor" in names_in(corrald, "get", "cm", "-n", other)
    finally:
        corrald.kubectl("delete", "namespace", other, "--wait=false", check=False)


def _owner_and_dependent(k, ns, tag, finalizers=None):
    labels = {"cascade": tag}
    k.kubectl("create", "-f", "-", "-n", ns, input=json.dumps(deployment(f"d-{tag}", labels)))
    owner = get_json(k, "deployment", f"d-{tag}", ns)
    k.kubectl("create", "-f", "-", "-n", ns,
              input=json.dumps(replicaset(f"rs-{tag}", labels, owner, finalizers)))
    rs = get_json(k, "rs", f"rs-{tag}", ns)
    assert rs["metadata"]["ownerReferences"][0]["uid"] == owner["metadata"]["uid"], rs["metadata"]
    return owner, rs


def test_delete_cascade_background(corrald, ns):
    owner, rs = _owner_and_dependent(corrald, ns, "bg")
    out = corrald.kubectl("delete", "deployment", "d-bg", "-n", ns, "--cascade=background").stdout
    assert out.strip() == 'deployment.apps "d-bg" deleted', out
    assert not exists(corrald, "deployment", "d-bg", ns)
    wait_until(lambda: not exists(corrald, "rs", "rs-bg", ns), timeout=30,
               what="garbage collection of the dependent ReplicaSet")


def test_delete_cascade_foreground(corrald, ns):
    owner, rs = _owner_and_dependent(corrald, ns, "fg", finalizers=["example.com/hold"])
    out = corrald.kubectl("delete", "deployment", "d-fg", "-n", ns, "--cascade=foreground",
                          "--wait=false").stdout
    assert out.strip() == 'deployment.apps "d-fg" deleted', out
    # The owner stays, marked for deletion with the foregroundDeletion finalizer,
    # while its blocking dependent is being deleted.
    d = get_json(corrald, "deployment", "d-fg", ns)
    assert d["metadata"].get("deletionTimestamp"), d["metadata"]
    assert "foregroundDeletion" in d["metadata"].get("finalizers", []), d["metadata"]
    r = wait_until(lambda: (lambda o: o if o["metadata"].get("deletionTimestamp") else None)(
        get_json(corrald, "rs", "rs-fg", ns)), timeout=30, what="dependent marked for deletion")
    time.sleep(1)
    assert exists(corrald, "deployment", "d-fg", ns), "owner went away before its blocking dependent"
    # Release the dependent: now both must go.
    r = get_json(corrald, "rs", "rs-fg", ns)
    r["metadata"]["finalizers"] = []
    corrald.kubectl("replace", "-f", "-", input=json.dumps(r))
    wait_until(lambda: not exists(corrald, "rs", "rs-fg", ns), timeout=30, what="dependent gone")
    wait_until(lambda: not exists(corrald, "deployment", "d-fg", ns), timeout=30, what="owner gone")


def test_delete_cascade_foreground_waits(corrald, ns):
    _owner_and_dependent(corrald, ns, "fw")
    out = corrald.kubectl("delete", "deployment", "d-fw", "-n", ns, "--cascade=foreground",
                          "--timeout=60s", timeout=90).stdout
    assert out.strip() == 'deployment.apps "d-fw" deleted', out
    assert not exists(corrald, "deployment", "d-fw", ns)
    assert not exists(corrald, "rs", "rs-fw", ns), "foreground delete finished but the dependent remains"


def test_delete_cascade_orphan(corrald, ns):
    owner, rs = _owner_and_dependent(corrald, ns, "or")
    out = corrald.kubectl("delete", "deployment", "d-or", "-n", ns, "--cascade=orphan",
                          "--timeout=60s", timeout=90).stdout
    assert out.strip() == 'deployment.apps "d-or" deleted', out
    assert not exists(corrald, "deployment", "d-or", ns)
    time.sleep(3)  # give a (wrong) garbage collector time to strike
    r = get_json(corrald, "rs", "rs-or", ns)
    refs = r["metadata"].get("ownerReferences") or []
    assert all(ref.get("uid") != owner["metadata"]["uid"] for ref in refs), \
        f"orphaned dependent still points at its deleted owner: {refs}"


# --------------------------------------------------------------------------- wait

def test_wait_for_delete(corrald, ns):
    mk_cm(corrald, ns, "wd", {"k": "v"})
    p = corrald.popen_kubectl("wait", "--for=delete", "configmap/wd", "-n", ns, "--timeout=45s")
    try:
        time.sleep(1.5)
        assert p.poll() is None, f"kubectl wait returned early: {p.communicate()}"
        corrald.kubectl("delete", "configmap", "wd", "-n", ns, "--wait=false")
        out, err = p.communicate(timeout=50)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert "configmap/wd condition met" in out, (out, err)


def test_wait_for_jsonpath(corrald, ns):
    mk_cm(corrald, ns, "wj", {"k": "v1"})
    p = corrald.popen_kubectl("wait", "--for=jsonpath={.data.k}=v2", "configmap/wj", "-n", ns,
                              "--timeout=45s")
    try:
        time.sleep(1.5)
        assert p.poll() is None, f"kubectl wait returned early: {p.communicate()}"
        cm = get_json(corrald, "cm", "wj", ns)
        cm["data"]["k"] = "v2"
        corrald.kubectl("replace", "-f", "-", input=json.dumps(cm))
        out, err = p.communicate(timeout=50)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert "configmap/wj condition met" in out, (out, err)
    # Already true: returns at once. Never true: times out with an error.
    corrald.kubectl("wait", "--for=jsonpath={.data.k}=v2", "configmap/wj", "-n", ns, "--timeout=10s")
    t0 = time.monotonic()
    neg = corrald.kubectl("wait", "--for=jsonpath={.data.k}=never", "configmap/wj", "-n", ns,
                          "--timeout=2s", check=False)
    assert neg.returncode != 0 and "timed out" in neg.stderr, neg.stderr
    assert time.monotonic() - t0 < 20


# --------------------------------------------------------------------------- get all / namespaces

def test_get_all(corrald, ns, tmp_path):
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "pod.yaml", POD), "-n", ns)
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "svc.yaml", SERVICE), "-n", ns)
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "cm.yaml", CONFIGMAP), "-n", ns)
    _owner_and_dependent(corrald, ns, "all")
    out = corrald.kubectl("get", "all", "-n", ns).stdout
    for needle in ("pod/web", "service/web", "deployment.apps/d-all", "replicaset.apps/rs-all"):
        assert needle in out, f"{needle} missing from `get all`:\n{out}"
    assert "configmap" not in out, out
    names = set(corrald.kubectl("get", "all", "-n", ns, "-o", "name").stdout.split())
    assert {"pod/web", "service/web", "deployment.apps/d-all", "replicaset.apps/rs-all"} <= names, names


def test_namespace_deletion_removes_contents(corrald, tmp_path):
    name = unique("gone")
    mk_ns(corrald, name)
    mk_cm(corrald, name, "c1", {"k": "v"})
    corrald.kubectl("create", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s1", "namespace": name}, "stringData": {"k": "v"}}))
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "pod.yaml", POD), "-n", name)
    corrald.kubectl("create", "-f", write_manifest(tmp_path, "vm.yaml", VM), "-n", name)
    corrald.kubectl("create", "-f", "-", "-n", name, input=json.dumps(deployment("d1", {"x": "y"})))
    out = corrald.kubectl("delete", "namespace", name, "--timeout=90s", timeout=120).stdout
    assert out.strip() == f'namespace "{name}" deleted', out
    p = corrald.kubectl("get", "namespace", name, check=False)
    assert p.returncode != 0 and "NotFound" in p.stderr, (p.stdout, p.stderr)
    for kind in ("configmaps", "secrets", "pods", "virtualmachines", "deployments"):
        left = corrald.kubectl_json("get", kind, "-A", "--field-selector", f"metadata.namespace={name}")
        assert left["items"] == [], f"{kind} left in deleted namespace: {left['items']}"
    # Re-creating the namespace does not bring anything back.
    mk_ns(corrald, name)
    try:
        assert names_in(corrald, "get", "cm", "-n", name) - {"kube-root-ca.crt"} == set()
        assert names_in(corrald, "get", "pods,vm,deploy", "-n", name) == set()
    finally:
        corrald.kubectl("delete", "namespace", name, "--wait=false", check=False)


def test_subresource_discovery_verbs_and_kinds(corrald):
    """Subresources say what they answer, as kube-apiserver 1.32 does
    (RBAC tooling and `kubectl auth can-i` read these)."""
    s = corrald.session()
    legacy = {r["name"]: r for r in s.get(f"{corrald.url}/api/v1").json()["resources"]}
    assert legacy["pods/exec"]["verbs"] == ["create", "get"] and legacy["pods/exec"]["kind"] == "PodExecOptions"
    assert legacy["pods/log"]["verbs"] == ["get"] and legacy["pods/log"]["kind"] == "Pod"
    assert legacy["pods/binding"]["verbs"] == ["create"] and legacy["pods/binding"]["kind"] == "Binding"
    assert legacy["pods/status"]["verbs"] == ["get", "patch", "update"]
    token = legacy["serviceaccounts/token"]
    assert (token["group"], token["version"], token["kind"], token["verbs"]) == \
        ("authentication.k8s.io", "v1", "TokenRequest", ["create"]), token
    assert "group" not in legacy["pods/status"]
    agg = s.get(f"{corrald.url}/api", headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"}).json()
    pods = next(r for r in agg["items"][0]["versions"][0]["resources"] if r["resource"] == "pods")
    subs = {x["subresource"]: x for x in pods["subresources"]}
    assert subs["portforward"]["verbs"] == ["create", "get"]
    assert subs["portforward"]["responseKind"]["kind"] == "PodPortForwardOptions"
