import CorralModel
import Foundation

/// OpenAPI v3 documents: an index at /openapi/v3 and one document per
/// group-version with every path and operation of the served kinds, their
/// group-version-kind, the write parameters kubectl probes
/// (`fieldValidation`), the patch content types each kind accepts, and the
/// field schemas from `SchemaCatalog` (what `kubectl explain` and
/// client-side apply read). Documents are built once per registry state.
enum OpenAPI {
    static func gvPath(_ group: String, _ version: String) -> String {
        group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
    }

    /// Stable per-document hash so clients can cache.
    static func hash(_ doc: JSONValue) -> String {
        var h: UInt64 = 1469598103934665603
        for b in doc.serialized() { h = (h ^ UInt64(b)) &* 1099511628211 }
        return String(format: "%016llX", h)
    }

    static func index(_ registry: ResourceRegistry) -> JSONValue {
        var paths = JSONObject()
        for g in registry.groups {
            for v in registry.versions(of: g) {
                let p = gvPath(g, v)
                paths[p] = ["serverRelativeURL": .string("/openapi/v3/\(p)?hash=\(cache.entry(registry, group: g, version: v).hash)")]
            }
        }
        return ["paths": .object(paths)]
    }

    /// The group-version document (cached).
    static func document(_ registry: ResourceRegistry, group: String, version: String) -> JSONValue {
        cache.entry(registry, group: group, version: version).doc
    }

    /// Schema name as kube-apiserver publishes it: the catalog's, else a name in its style.
    static func schemaName(_ t: ResourceType, kind: String? = nil) -> String {
        let kind = kind ?? t.kind
        if let n = SchemaCatalog.shared.definitionName(group: t.group, version: t.version, kind: kind) { return n }
        switch t.group {
        case "": return "io.k8s.api.core.v1.\(kind)"
        case "kubevirt.io": return "io.kubevirt.\(t.version).\(kind)"
        case "cdi.kubevirt.io": return "io.kubevirt.cdi.\(t.version).\(kind)"
        case "k8s.cni.cncf.io": return "io.cncf.cni.k8s.\(t.version).\(kind)"
        default:
            let g = t.group.replacingOccurrences(of: ".k8s.io", with: "").replacingOccurrences(of: ".", with: "_")
            return "io.k8s.api.\(g).\(t.version).\(kind)"
        }
    }

    static let meta = "io.k8s.apimachinery.pkg.apis.meta.v1."
    static let scaleSchema = "io.k8s.api.autoscaling.v1.Scale"

    static func gvk(_ t: ResourceType, kind: String? = nil) -> JSONValue {
        ["group": .string(t.group), "kind": .string(kind ?? t.kind), "version": .string(t.version)]
    }

    static func param(_ name: String, _ desc: String, type: String = "string") -> JSONValue {
        ["description": .string(desc), "in": "query", "name": .string(name), "schema": ["type": .string(type), "uniqueItems": true]]
    }

    static let writeParams = [
        param("dryRun", "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed"),
        param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint."),
        param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered."),
    ]

    static func ref(_ name: String) -> JSONValue { ["$ref": .string(OpenAPISchemaRenderer.refPrefix + name)] }

    static func operation(_ t: ResourceType, _ action: String, _ id: String, response: String, kind: String? = nil,
                          params: [JSONValue] = [], body: [String: String] = [:]) -> JSONValue {
        var content = JSONObject()
        for ct in ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"] { content[ct] = ["schema": ref(response)] }
        var op: JSONValue = ["operationId": .string(id), "responses": ["200": ["description": "OK", "content": .object(content)]],
                             "x-kubernetes-action": .string(action), "x-kubernetes-group-version-kind": gvk(t, kind: kind)]
        if !params.isEmpty { op["parameters"] = .array(params) }
        if !body.isEmpty {
            var bodyContent = JSONObject()
            for (ct, schema) in body.sorted(by: { $0.key < $1.key }) { bodyContent[ct] = ["schema": ref(schema)] }
            op["requestBody"] = ["content": .object(bodyContent), "required": true]
        }
        return op
    }

    /// Patch content types a kind accepts: strategic merge only for built-in kinds, as for CRDs in kube.
    static func patchTypes(_ t: ResourceType) -> [String] {
        var types = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
        if Patch.supportsStrategic(storageKey: t.storageKey) { types.append("application/strategic-merge-patch+json") }
        return types
    }

    static func paths(_ t: ResourceType) -> [(String, JSONValue)] {
        let name = schemaName(t)
        let base = "/" + gvPath(t.group, t.version) + (t.namespaced ? "/namespaces/{namespace}" : "") + "/\(t.resource)"
        let writes = Dictionary(uniqueKeysWithValues: ["application/json", "application/yaml"].map { ($0, name) })
        let patchBody = Dictionary(uniqueKeysWithValues: patchTypes(t).map { ($0, meta + "Patch") })
        let patchParams = writeParams + [param("force", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.", type: "boolean")]
        var collection = JSONObject()
        collection["post"] = operation(t, "post", "create\(t.kind)", response: name, params: writeParams, body: writes)
        guard t.verbs.contains("get") else { return [(base, .object(collection))] }
        collection["get"] = operation(t, "list", "list\(t.kind)", response: schemaName(t, kind: t.listKind), kind: t.kind)
        collection["delete"] = operation(t, "deletecollection", "deletecollection\(t.kind)", response: meta + "Status")
        var out: [(String, JSONValue)] = [(base, .object(collection))]
        out.append((base + "/{name}", [
            "get": operation(t, "get", "read\(t.kind)", response: name),
            "put": operation(t, "put", "replace\(t.kind)", response: name, params: writeParams, body: writes),
            "patch": operation(t, "patch", "patch\(t.kind)", response: name, params: patchParams, body: patchBody),
            "delete": operation(t, "delete", "delete\(t.kind)", response: meta + "Status"),
        ]))
        for sub in t.subresources where sub == "status" || sub == "scale" {
            let (schema, kind) = sub == "scale" ? (scaleSchema, "Scale") : (name, t.kind)
            let scaleType = sub == "scale" ? ResourceType(group: "autoscaling", version: "v1", kind: "Scale", resource: "scale") : t
            let body = Dictionary(uniqueKeysWithValues: ["application/json", "application/yaml"].map { ($0, schema) })
            out.append((base + "/{name}/\(sub)", [
                "get": operation(scaleType, "get", "read\(t.kind)\(sub.capitalized)", response: schema, kind: kind),
                "put": operation(scaleType, "put", "replace\(t.kind)\(sub.capitalized)", response: schema, kind: kind, params: writeParams, body: body),
                "patch": operation(scaleType, "patch", "patch\(t.kind)\(sub.capitalized)", response: schema, kind: kind, params: patchParams, body: patchBody),
            ]))
        }
        return out
    }

    static func build(_ registry: ResourceRegistry, group: String, version: String) -> JSONValue {
        var paths = JSONObject()
        var roots = [meta + "Status", meta + "DeleteOptions", meta + "Patch"]
        var open = JSONObject()
        for t in registry.types(group: group, version: version) {
            for (p, v) in Self.paths(t) { paths[p] = v }
            if t.subresources.contains("scale") { roots.append(scaleSchema) }
            for kind in [t.kind, t.listKind] {
                if SchemaCatalog.shared.definitionName(group: t.group, version: t.version, kind: kind) != nil {
                    roots.append(schemaName(t, kind: kind))
                } else {
                    // A kind without a published schema (e.g. a future CRD without one): keep every field.
                    open[schemaName(t, kind: kind)] = ["type": "object", "x-kubernetes-preserve-unknown-fields": true,
                                                       "x-kubernetes-group-version-kind": [gvk(t, kind: kind)]]
                }
            }
        }
        var schemas = OpenAPISchemaRenderer.components(roots)
        for (k, v) in open { schemas[k] = v }
        return ["components": ["schemas": .object(schemas)], "info": ["title": "Kubernetes", "version": "v1.32.0+corral"],
                "openapi": "3.0.0", "paths": .object(paths)]
    }

    /// Built documents by group-version, rebuilt when the set of served types changes.
    final class Cache: @unchecked Sendable {
        struct Entry { let doc: JSONValue; let hash: String }
        private var entries: [String: Entry] = [:]
        private var fingerprints: [String: String] = [:]
        private let lock = NSLock()

        func entry(_ registry: ResourceRegistry, group: String, version: String) -> Entry {
            let types = registry.types(group: group, version: version)
            let print = types.map { "\($0)" }.joined(separator: "|")
            let key = "\(group)/\(version)"
            lock.lock()
            if let e = entries[key], fingerprints[key] == print { lock.unlock(); return e }
            lock.unlock()
            let doc = build(registry, group: group, version: version)
            let e = Entry(doc: doc, hash: hash(doc))
            lock.lock()
            entries[key] = e
            fingerprints[key] = print
            lock.unlock()
            return e
        }
    }

    static let cache = Cache()
}
