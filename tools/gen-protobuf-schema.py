#!/usr/bin/env python3
"""Generate Sources/CorralModel/Protobuf/ProtobufSchema.swift.

The API server accepts request bodies in Kubernetes' protobuf wire format
(kubectl and client-go send `application/vnd.kubernetes.protobuf` for
built-in types) and turns them into the JSON object the client would have
sent as JSON. For that it needs, per message: field numbers, JSON names and
types. Those facts come from the `generated.proto` files of kubernetes/api
and kubernetes/apimachinery; the Go sources beside them add what the proto
files do not say but the JSON form depends on: whether a field is a Go
pointer, whether its JSON tag has `omitempty`, and whether it is an embedded
struct inlined into its parent's JSON (`json:",inline"`, e.g. Volume's
VolumeSource). Go `type X []T` aliases (authentication's ExtraValue, meta's
Verbs) are messages `{repeated T items = 1}` on the wire but a bare array in
JSON; they are marked as list wrappers.

Usage (git dirs are bare clones, e.g. from the `fetch` tool):

    tools/gen-protobuf-schema.py \\
        --api-git /work/.mirror/kubernetes+api/repo \\
        --apimachinery-git /work/.mirror/kubernetes+apimachinery/repo \\
        --ref v0.32.13 > Sources/CorralModel/Protobuf/ProtobufSchema.swift

Output format (one big string literal, parsed lazily by KubeProtobuf):

    G <apiVersion> <proto package>            group/version served by a package
    M <full.message.Name>[ L]|<field>|<field>...
        L marks a list wrapper (Go slice alias; JSON is the bare array).
        <field> = <number>:<jsonName>:<type>:<flags>
        <type>  = scalar (string int32 int64 uint32 uint64 bool bytes double
                  float fixed32 fixed64 sfixed32 sfixed64 sint32 sint64),
                  or a full message name, prefixed with '*' when repeated,
                  or map<K,V> (V a scalar or a full message name).
        <flags> = any of: p (Go pointer: presence is meaningful),
                  o (JSON omitempty), i (embedded, inlined into parent JSON),
                  x (json:"-": not in the JSON form; well-known types such
                  as RawExtension.raw are decoded by hand),
                  ? (no Go information found; the decoder falls back to
                  heuristics).
"""
import argparse
import re
import subprocess
import sys

API_PACKAGES = {
    # directory in kubernetes/api : apiVersion
    "core/v1": "v1",
    "apps/v1": "apps/v1",
    "batch/v1": "batch/v1",
    "rbac/v1": "rbac.authorization.k8s.io/v1",
    "authentication/v1": "authentication.k8s.io/v1",
    "scheduling/v1": "scheduling.k8s.io/v1",
    "policy/v1": "policy/v1",
    "networking/v1": "networking.k8s.io/v1",
    "coordination/v1": "coordination.k8s.io/v1",
    "storage/v1": "storage.k8s.io/v1",
    "discovery/v1": "discovery.k8s.io/v1",
    # Beyond the minimum: typed-client calls kubectl makes with protobuf
    # bodies (kubectl certificate approve/deny, kubectl autoscale, events).
    "autoscaling/v1": "autoscaling/v1",
    "autoscaling/v2": "autoscaling/v2",
    "certificates/v1": "certificates.k8s.io/v1",
    "events/v1": "events.k8s.io/v1",
}
APIMACHINERY_PACKAGES = {
    "pkg/apis/meta/v1": "meta.k8s.io/v1",
    "pkg/util/intstr": None,
    "pkg/api/resource": None,
    "pkg/runtime": None,
    "pkg/runtime/schema": None,
}
SCALARS = {"string", "int32", "int64", "uint32", "uint64", "bool", "bytes", "double", "float",
           "fixed32", "fixed64", "sfixed32", "sfixed64", "sint32", "sint64"}


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True,
                          capture_output=True, text=True).stdout


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


FIELD_RE = re.compile(r"^(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;$")
MAP_RE = re.compile(r"^map<\s*(\w+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;$")


def parse_proto(text):
    """Returns (package, {message: [(num, protoName, type, repeated)]})."""
    text = strip_comments(text)
    package = re.search(r"^package\s+([\w.]+);", text, re.M).group(1)
    messages = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or re.match(r"^(syntax|import|option|package)\b", line):
            continue
        m = re.match(r"^message\s+(\w+)\s*\{\s*(\})?$", line)
        if m:
            if current is not None:
                sys.exit(f"nested message {m.group(1)} in {package}.{current}: unsupported")
            messages[m.group(1)] = []
            current = None if m.group(2) else m.group(1)
            continue
        if line == "}":
            current = None
            continue
        if current is None:
            sys.exit(f"unexpected line outside message in {package}: {line}")
        m = FIELD_RE.match(line)
        if m:
            label, typ, name, num = m.groups()
            messages[current].append((int(num), name, resolve(typ, package), label == "repeated"))
            continue
        m = MAP_RE.match(line)
        if m:
            k, v, name, num = m.groups()
            messages[current].append((int(num), name, f"map<{k},{resolve(v, package)}>", False))
            continue
        sys.exit(f"unparsed proto line in {package}.{current}: {line}")
    return package, messages


def resolve(typ, package):
    if typ in SCALARS:
        return typ
    if typ.startswith("."):
        return typ[1:]
    if "." in typ:
        sys.exit(f"relative qualified type {typ} in {package}: unsupported")
    return f"{package}.{typ}"


GO_TYPE_RE = re.compile(r"^type\s+(\w+)\s+struct\s*\{")
GO_ALIAS_RE = re.compile(r"^type\s+(\w+)\s+(\[\][\w.*]+|map\[[^\]]+\][\w.*\[\]]+)\s*$")
GO_FIELD_RE = re.compile(r"^\s*(?:(\w+)\s+)?([*\[\]\w.]+(?:\[[^\]]*\][*\w.\[\]]+)?)\s+`([^`]*)`")


def parse_go(files):
    """Returns ({struct: {num: (jsonName, flags)}}, {slice alias names})."""
    structs, aliases = {}, set()
    for text in files:
        current = None
        depth = 0
        for line in text.splitlines():
            if current is None:
                m = GO_TYPE_RE.match(line)
                if m:
                    structs.setdefault(m.group(1), {})
                    if not line.rstrip().endswith("}"):  # `type Patch struct{}` has no body
                        current, depth = m.group(1), 1
                    continue
                m = GO_ALIAS_RE.match(line)
                if m and m.group(2).startswith("[]"):
                    aliases.add(m.group(1))
                continue
            if line.lstrip().startswith("//"):
                continue
            code = re.sub(r"`[^`]*`", "", line).split("//", 1)[0]
            depth += code.count("{") - code.count("}")
            if depth <= 0:
                current = None
                continue
            if depth != 1:
                continue
            m = GO_FIELD_RE.match(line)
            if not m:
                continue
            name, gotype, tag = m.groups()
            pm = re.search(r'protobuf:"([^"]*)"', tag)
            if not pm:
                continue
            parts = pm.group(1).split(",")
            if len(parts) < 2 or not parts[1].isdigit():
                continue  # e.g. `protobuf:"-"`
            num = int(parts[1])
            jm = re.search(r'json:"([^"]*)"', tag)
            jparts = jm.group(1).split(",") if jm else [""]
            flags = ""
            if gotype.startswith("*"):
                flags += "p"
            if "omitempty" in jparts[1:]:
                flags += "o"
            if "inline" in jparts[1:] or (name is None and jparts[0] == ""):
                flags += "i"
            jsonName = jparts[0]
            if jsonName == "-":
                flags += "x"
            structs[current][num] = (jsonName, flags)
    return structs, aliases


def go_sources(gitdir, ref, directory):
    names = git(gitdir, "ls-tree", "--name-only", f"{ref}:{directory}").split()
    out = []
    for n in names:
        if not n.endswith(".go") or n.endswith("_test.go") or n.startswith("zz_generated") \
                or n == "generated.pb.go":
            continue
        out.append(git(gitdir, "show", f"{ref}:{directory}/{n}"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--api-git", required=True)
    ap.add_argument("--apimachinery-git", required=True)
    ap.add_argument("--ref", default="v0.32.13")
    args = ap.parse_args()

    groups = []
    lines = []
    all_messages = {}
    warnings = []
    sources = [(args.api_git, d, v) for d, v in API_PACKAGES.items()] + \
              [(args.apimachinery_git, d, v) for d, v in APIMACHINERY_PACKAGES.items()]
    for gitdir, directory, apiVersion in sources:
        package, messages = parse_proto(git(gitdir, "show", f"{args.ref}:{directory}/generated.proto"))
        structs, aliases = parse_go(go_sources(gitdir, args.ref, directory))
        if apiVersion:
            groups.append(f"G {apiVersion} {package}")
        for msg in sorted(messages):
            fields = messages[msg]
            gofields = structs.get(msg)
            is_list = msg in aliases and [f[1] for f in fields] == ["items"]
            out = []
            for num, pname, typ, repeated in sorted(fields):
                jname, flags = pname, "?"
                if gofields is not None and num in gofields:
                    jname, flags = gofields[num]
                    if "i" in flags or "x" in flags or jname == "":
                        jname = pname  # inline: name unused; no json tag: custom (un)marshaller
                    elif jname != pname:
                        warnings.append(f"{package}.{msg}.{pname}: JSON name {jname}")
                elif gofields is not None or not is_list:
                    if msg not in ("Time", "MicroTime", "Timestamp", "Duration", "IntOrString", "Quantity",
                                   "QuantityValue", "RawExtension", "FieldsV1", "Unknown", "TypeMeta"):
                        warnings.append(f"{package}.{msg}.{pname}: no Go field info")
                out.append(f"{num}:{jname}:{'*' if repeated else ''}{typ}:{flags}")
            full = f"{package}.{msg}"
            all_messages[full] = fields
            lines.append(f"M {full}{' L' if is_list else ''}|" + "|".join(out))

    # Every referenced message must be in the table.
    for full, fields in all_messages.items():
        for _, _, typ, _ in fields:
            t = typ[4:-1].split(",", 1)[1] if typ.startswith("map<") else typ
            if t not in SCALARS and t not in all_messages:
                warnings.append(f"{full}: unresolved type {t}")
    for w in warnings:
        print("warning:", w, file=sys.stderr)

    body = "\n".join(groups + lines)
    assert '"""' not in body and "\\" not in body
    print(f"""// GENERATED by tools/gen-protobuf-schema.py from kubernetes/api and
// kubernetes/apimachinery at {args.ref} (generated.proto plus Go struct tags).
// Do not edit by hand; rerun the script. Format: see the script's docstring.

extension KubeProtobuf {{
    /// The message table, parsed on first use by `ProtobufSchema.shared`.
    static let schemaSource: String = #\"\"\"
{body}
\"\"\"#
}}""")


if __name__ == "__main__":
    main()
