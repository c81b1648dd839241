#!/usr/bin/env python3
"""Generate Sources/CorralModel/Schema/SchemaData.swift.

The API server publishes OpenAPI v3 documents (kubectl explain, client-side
apply's patch computation) and checks request bodies for unknown fields
(fieldValidation=Strict|Warn). Both need the field schema of every served
kind: field names, types, descriptions, required fields, list-map keys and
patch strategies. Those facts come from the upstream API descriptions:

  --k8s FILE        Kubernetes 1.32 definitions. Any JSON with the
                    definitions under "definitions", "$defs" or
                    "components.schemas" works: the kube-apiserver swagger,
                    or the `_definitions.json` of the kubernetes-validate
                    PyPI package (v1.32.0-local-strict), which is the 1.32
                    swagger with strictness added (nullable types,
                    additionalProperties=false, apiVersion/kind enums); the
                    script strips those additions again.
  --k8s-v3 FILE     an OpenAPI v3 document of kube-apiserver (client-go's
                    openapitest testdata api__v1_openapi.json): supplies the
                    v3 forms of Quantity and IntOrString, which JSON-schema
                    converters rewrite.
  --kubevirt FILE   KubeVirt's api/openapi-spec/swagger.json (v1.5.x).
  --cdi FILE        CDI's api/openapi-spec/swagger.json (v1.61.x).
  --nad-crd FILE    network-attachment-definition-client's
                    artifacts/networks-crd.yaml.

Example:

    tools/gen-openapi-schema.py --k8s /tmp/oa/k8s-1.32-defs.json \\
        --k8s-v3 /tmp/oa/clientgo-api-v1.json --kubevirt /tmp/oa/kubevirt.json \\
        --cdi /tmp/oa/cdi.json --nad-crd /tmp/oa/nad-crd.yaml \\
        > Sources/CorralModel/Schema/SchemaData.swift

Output: one string literal of lines, parsed lazily by SchemaCatalog.

    K <TAB> group <TAB> version <TAB> kind <TAB> definition name
    D <TAB> definition name <TAB> node (compact JSON, below)

Only the definitions reachable from the served kinds (ROOTS) are written.
Definition names are the ones kube-apiserver publishes: io.k8s.api.core.v1.Pod
for built-ins, and for custom resources the reversed group, version and kind
(io.kubevirt.v1.VirtualMachine, io.kubevirt.cdi.v1beta1.DataVolume,
io.cncf.cni.k8s.v1.NetworkAttachmentDefinition); the CRD kinds' nested types
keep their own names under the same prefix.

A node is an object with these keys (all optional):
    d description   t type   f format   v default   e enum
    $ name of a referenced definition
    p properties {name: node}   r required [names]
    i items (node)   a additionalProperties (node, or true for any value)
    u oneOf [nodes]
    g [[group, version, kind]] (x-kubernetes-group-version-kind)
    x {suffix: value} for each x-kubernetes-<suffix> extension (list-type,
      list-map-keys, patch-merge-key, patch-strategy, map-type,
      preserve-unknown-fields, int-or-string, embedded-resource, unions)
"""
import argparse
import json
import sys

import yaml

# (group, version, kind) of every kind the server registers, plus the kinds
# its documents refer to (lists, Status, Scale, Patch, DeleteOptions).
SERVED = [
    ("", "v1", k) for k in ["Namespace", "Pod", "Service", "Endpoints", "ConfigMap", "Secret", "ServiceAccount",
                           "PersistentVolume", "PersistentVolumeClaim", "Node", "Event"]
] + [("apps", "v1", k) for k in ["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"]] + [
    ("batch", "v1", "Job"),
    ("discovery.k8s.io", "v1", "EndpointSlice"),
    ("networking.k8s.io", "v1", "NetworkPolicy"),
] + [("rbac.authorization.k8s.io", "v1", k) for k in ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]] + [
    ("authentication.k8s.io", "v1", "TokenReview"),
    ("authentication.k8s.io", "v1", "SelfSubjectReview"),
] + [("authorization.k8s.io", "v1", k) for k in ["SelfSubjectAccessReview", "SelfSubjectRulesReview",
                                                  "SubjectAccessReview", "LocalSubjectAccessReview"]] + [
    ("coordination.k8s.io", "v1", "Lease"),
    ("storage.k8s.io", "v1", "StorageClass"),
    ("events.k8s.io", "v1", "Event"),
    ("autoscaling", "v1", "Scale"),
    ("kubevirt.io", "v1", "VirtualMachine"),
    ("kubevirt.io", "v1", "VirtualMachineInstance"),
    ("kubevirt.io", "v1", "VirtualMachineInstanceReplicaSet"),
    ("cdi.kubevirt.io", "v1beta1", "DataVolume"),
    ("k8s.cni.cncf.io", "v1", "NetworkAttachmentDefinition"),
]
LISTLESS = {"TokenReview", "SelfSubjectReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview",
            "SubjectAccessReview", "LocalSubjectAccessReview", "Scale"}
META = "io.k8s.apimachinery.pkg.apis.meta.v1."
EXTRA_DEFS = [META + "Status", META + "DeleteOptions", META + "Patch", META + "WatchEvent"]
# Reversed-group prefixes kube-apiserver gives custom resources.
CRD_PREFIX = {"kubevirt.io": "io.kubevirt", "cdi.kubevirt.io": "io.kubevirt.cdi", "k8s.cni.cncf.io": "io.cncf.cni.k8s"}
EXTENSIONS = ["list-type", "list-map-keys", "patch-merge-key", "patch-strategy", "map-type",
              "preserve-unknown-fields", "int-or-string", "embedded-resource", "unions"]


def definitions(doc):
    for key in ("definitions", "$defs"):
        if key in doc:
            return doc[key]
    return doc["components"]["schemas"]


def convert(node, rename, top_level_kind=False):
    """One schema node (swagger v2, JSON schema or OpenAPI v3) in the compact form."""
    out = {}
    if "$ref" in node:
        out["$"] = rename(node["$ref"].split("/")[-1])
    elif len(node.get("allOf", [])) == 1 and "$ref" in node["allOf"][0]:
        out["$"] = rename(node["allOf"][0]["$ref"].split("/")[-1])
    if "description" in node:
        out["d"] = node["description"]
    t = node.get("type")
    if isinstance(t, list):
        t = [x for x in t if x != "null"]
        t = t[0] if len(t) == 1 else None
    if t:
        out["t"] = t
    if "format" in node:
        out["f"] = node["format"]
    if "default" in node:
        out["v"] = node["default"]
    if "enum" in node and not top_level_kind:
        out["e"] = node["enum"]
    if "properties" in node:
        out["p"] = {k: convert(v, rename, k in ("apiVersion", "kind")) for k, v in sorted(node["properties"].items())}
    if node.get("required"):
        out["r"] = node["required"]
    if "items" in node:
        out["i"] = convert(node["items"], rename)
    ap = node.get("additionalProperties")
    if isinstance(ap, dict):
        out["a"] = convert(ap, rename) if ap else True
    elif ap is True:
        out["a"] = True
    if "oneOf" in node:
        out["u"] = [convert(x, rename) for x in node["oneOf"]]
    if "x-kubernetes-group-version-kind" in node:
        out["g"] = [[g["group"], g["version"], g["kind"]] for g in node["x-kubernetes-group-version-kind"]]
    x = {e: node["x-kubernetes-" + e] for e in EXTENSIONS if "x-kubernetes-" + e in node}
    if x:
        out["x"] = x
    return out


def refs(node, acc):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$":
                acc.add(v)
            else:
                refs(v, acc)
    elif isinstance(node, list):
        for v in node:
            refs(v, acc)


def k8s_table(path, v3_path):
    raw = definitions(json.load(open(path)))
    table = {name: convert(d, lambda n: n) for name, d in raw.items()}
    v3 = definitions(json.load(open(v3_path)))
    for name in ("io.k8s.apimachinery.pkg.api.resource.Quantity", "io.k8s.apimachinery.pkg.util.intstr.IntOrString"):
        table[name] = convert(v3[name], lambda n: n)
    return table


def crd_rename(k8s, cdi_names, own_prefix):
    """Maps a KubeVirt/CDI swagger name to the published name."""
    def rename(n):
        if n.startswith("k8s.io."):
            return "io.k8s." + n[len("k8s.io."):]
        head, _, kind = n.rpartition(".")
        if head == "resource":
            return "io.k8s.apimachinery.pkg.api.resource." + kind
        if head == "runtime":
            return "io.k8s.apimachinery.pkg.runtime." + kind
        if head == "api":
            return "io.kubevirt.controller-lifecycle-operator-sdk.api." + kind
        if head == "v1beta1" and kind in cdi_names:
            return "io.kubevirt.cdi.v1beta1." + kind
        if own_prefix == "io.kubevirt.cdi" and head == "v1":
            # CDI's swagger names core and meta types alike "v1.X".
            for cand in ("io.k8s.api.core.v1." + kind, META + kind):
                if cand in k8s:
                    return cand
        return f"{own_prefix}.{head}.{kind}"
    return rename


# KubeVirt's lists keyed by name: corrald's strategic merge keys them by name
# (CorralModel/Patch/MergeKeys.swift), so the schema says so too, and kubectl's
# client-side apply computes `$patch: delete` for a removed disk instead of
# sending the whole list.
NAME_KEYED = {"io.kubevirt.v1.Devices": ["disks", "interfaces", "gpus", "hostDevices"],
              "io.kubevirt.v1.VirtualMachineInstanceSpec": ["networks", "volumes"]}
NAME_KEYED_EXT = {"list-type": "map", "list-map-keys": ["name"], "patch-merge-key": "name", "patch-strategy": "merge"}


def overlay_name_keyed(table):
    for definition, fields in NAME_KEYED.items():
        for f in fields:
            table[definition]["p"][f]["x"] = dict(NAME_KEYED_EXT)
    return table


def crd_table(path, k8s, cdi_names, prefix):
    raw = definitions(json.load(open(path)))
    rename = crd_rename(k8s, cdi_names, prefix)
    # Types that are Kubernetes' own come from the 1.32 table, not the vendored copy.
    table = {rename(n): convert(d, rename) for n, d in raw.items() if not rename(n).startswith("io.k8s.")}
    return overlay_name_keyed(table) if prefix == "io.kubevirt" else table


def nad_table(path, k8s):
    crd = yaml.safe_load(open(path))
    version = crd["spec"]["versions"][0]
    schema = version["schema"]["openAPIV3Schema"]
    node = convert(schema, lambda n: n)
    pod = k8s["io.k8s.api.core.v1.Pod"]["p"]
    # kube-apiserver adds the standard apiVersion/kind/metadata fields to every CRD's published schema.
    node.setdefault("p", {})
    node["p"]["apiVersion"] = pod["apiVersion"]
    node["p"]["kind"] = pod["kind"]
    node["p"]["metadata"] = {"$": META + "ObjectMeta", "d": pod["metadata"]["d"]}
    node["p"] = dict(sorted(node["p"].items()))
    name = "io.cncf.cni.k8s.v1.NetworkAttachmentDefinition"
    plural = crd["spec"]["names"]["plural"]
    # kube-apiserver publishes a list schema for every CRD kind; the CRD itself has none.
    listed = {"d": "NetworkAttachmentDefinitionList is a list of NetworkAttachmentDefinition", "t": "object", "p": {
        "apiVersion": pod["apiVersion"],
        "items": {"d": f"List of {plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md",
                  "t": "array", "i": {"$": name}},
        "kind": pod["kind"],
        "metadata": {"$": META + "ListMeta", "d": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"},
    }, "r": ["items"]}
    return {name: node, name + "List": listed}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for a in ("--k8s", "--k8s-v3", "--kubevirt", "--cdi", "--nad-crd"):
        ap.add_argument(a, required=True)
    args = ap.parse_args()
    k8s = k8s_table(args.k8s, args.k8s_v3)
    cdi_raw = definitions(json.load(open(args.cdi)))
    cdi_names = {n.split(".", 1)[1] for n in cdi_raw if n.startswith("v1beta1.")}
    table = dict(k8s)
    table.update(crd_table(args.kubevirt, k8s, cdi_names, "io.kubevirt"))
    table.update(crd_table(args.cdi, k8s, cdi_names, "io.kubevirt.cdi"))  # CDI's own copy wins
    table.update(nad_table(args.nad_crd, k8s))

    by_gvk = {}
    for name, node in table.items():
        for g in node.get("g", []):
            by_gvk.setdefault(tuple(g), name)
    index = []
    for group, version, kind in SERVED:
        kinds = [kind] if kind in LISTLESS else [kind, kind + "List"]
        for k in kinds:
            name = by_gvk.get((group, version, k))
            if name is None and group in CRD_PREFIX:
                name = f"{CRD_PREFIX[group]}.{version}.{k}"
                if name not in table:
                    continue  # e.g. no NetworkAttachmentDefinitionList schema in the CRD
                table[name]["g"] = [[group, version, k]]
            if name is None:
                sys.exit(f"no definition for {group}/{version} {k}")
            index.append((group, version, k, name))

    keep, stack = set(), [n for *_, n in index] + EXTRA_DEFS
    while stack:
        n = stack.pop()
        if n in keep:
            continue
        if n not in table:
            sys.exit(f"dangling reference {n}")
        keep.add(n)
        acc = set()
        refs(table[n], acc)
        stack.extend(acc)

    lines = [f"K\t{g}\t{v}\t{k}\t{n}" for g, v, k, n in index]
    for n in sorted(keep):
        lines.append(f"D\t{n}\t" + json.dumps(table[n], separators=(",", ":"), ensure_ascii=False, sort_keys=False))
    body = "\n".join(lines)
    assert '"""#' not in body and "\\#" not in body, "raw string delimiter inside the data"
    sys.stdout.write(
        "// GENERATED by tools/gen-openapi-schema.py from the Kubernetes 1.32 API definitions,\n"
        "// KubeVirt v1.5.3 and CDI v1.61.5 swagger.json, and the NetworkAttachmentDefinition CRD.\n"
        "// Do not edit by hand; rerun the script. Format: see the script's docstring.\n\n"
        "extension SchemaCatalog {\n"
        "    /// The schema table, parsed on first use by `SchemaCatalog.shared`.\n"
        "    static let source: String = #\"\"\"\n" + body + "\n\"\"\"#\n}\n")
    print(f"{len(index)} kinds, {len(keep)} definitions, {len(body)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
