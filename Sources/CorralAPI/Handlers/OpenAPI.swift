import CorralModel
import Foundation

/// OpenAPI v3 documents: an index at /openapi/v3 and one document per
/// group-version. First cut: every path and operation with its
/// group-version-kind and the PATCH parameters kubectl probes
/// (`fieldValidation`), and an open schema per kind. Full field schemas
/// (for `kubectl explain` and client-side validation) come with the
/// API-semantics issue.
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
                let doc = document(registry, group: g, version: v)
                paths[p] = ["serverRelativeURL": .string("/openapi/v3/\(p)?hash=\(hash(doc))")]
            }
        }
        return ["paths": .object(paths)]
    }

    /// Schema name in Kubernetes' style, e.g. io.k8s.api.apps.v1.Deployment.
    static func schemaName(_ t: ResourceType) -> String {
        switch t.group {
        case "": return "io.k8s.api.core.v1.\(t.kind)"
        case "kubevirt.io": return "io.kubevirt.\(t.version).\(t.kind)"
        case "cdi.kubevirt.io": return "io.kubevirt.cdi.\(t.version).\(t.kind)"
        case "k8s.cni.cncf.io": return "io.cncf.cni.k8s.\(t.version).\(t.kind)"
        default:
            let g = t.group.replacingOccurrences(of: ".k8s.io", with: "").replacingOccurrences(of: ".", with: "_")
            return "io.k8s.api.\(g).\(t.version).\(t.kind)"
        }
    }

    static func gvk(_ t: ResourceType) -> JSONValue {
        ["group": .string(t.group), "version": .string(t.version), "kind": .string(t.kind)]
    }

    static func param(_ name: String, _ desc: String) -> JSONValue {
        ["name": .string(name), "in": "query", "description": .string(desc), "schema": ["type": "string", "uniqueItems": true]]
    }

    static func operation(_ t: ResourceType, _ verb: String, _ id: String, extraParams: [JSONValue] = [], body: [String] = []) -> JSONValue {
        var op: JSONValue = ["operationId": .string(id), "x-kubernetes-action": .string(verb),
                             "x-kubernetes-group-version-kind": gvk(t),
                             "responses": ["200": ["description": "OK", "content": ["application/json": ["schema": ["$ref": .string("#/components/schemas/\(schemaName(t))")]]]]]]
        if !extraParams.isEmpty { op["parameters"] = .array(extraParams) }
        if !body.isEmpty {
            var content = JSONObject()
            for ct in body { content[ct] = ["schema": ["$ref": .string("#/components/schemas/\(schemaName(t))")]] }
            op["requestBody"] = ["content": .object(content), "required": true]
        }
        return op
    }

    static func document(_ registry: ResourceRegistry, group: String, version: String) -> JSONValue {
        var paths = JSONObject()
        var schemas = JSONObject()
        let writeParams = [param("dryRun", "When present, indicates that modifications should not be persisted."),
                           param("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
                           param("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.")]
        for t in registry.types(group: group, version: version) {
            let base = "/" + gvPath(group, version) + (t.namespaced ? "/namespaces/{namespace}" : "") + "/\(t.resource)"
            paths[base] = [
                "get": operation(t, "list", "list\(t.kind)"),
                "post": operation(t, "post", "create\(t.kind)", extraParams: writeParams, body: ["application/json", "application/yaml"]),
                "delete": operation(t, "deletecollection", "deletecollection\(t.kind)"),
            ]
            let patchTypes = ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"]
            paths[base + "/{name}"] = [
                "get": operation(t, "get", "read\(t.kind)"),
                "put": operation(t, "put", "replace\(t.kind)", extraParams: writeParams, body: ["application/json", "application/yaml"]),
                "patch": operation(t, "patch", "patch\(t.kind)", extraParams: writeParams + [param("force", "Force is going to \"force\" Apply requests.")], body: patchTypes),
                "delete": operation(t, "delete", "delete\(t.kind)"),
            ]
            for sub in t.subresources {
                paths[base + "/{name}/\(sub)"] = [
                    "get": operation(t, "get", "read\(t.kind)\(sub.capitalized)"),
                    "patch": operation(t, "patch", "patch\(t.kind)\(sub.capitalized)", extraParams: writeParams, body: patchTypes),
                    "put": operation(t, "put", "replace\(t.kind)\(sub.capitalized)", extraParams: writeParams, body: ["application/json"]),
                ]
            }
            schemas[schemaName(t)] = [
                "type": "object",
                "description": .string("\(t.kind) (\(t.apiVersion)). Field-level schema not published yet; unknown fields are kept."),
                "properties": ["apiVersion": ["type": "string"], "kind": ["type": "string"],
                               "metadata": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
                "x-kubernetes-preserve-unknown-fields": true,
                "x-kubernetes-group-version-kind": [gvk(t)],
            ]
        }
        return ["openapi": "3.0.0", "info": ["title": "Kubernetes", "version": "v1.32.0+corral"],
                "paths": .object(paths), "components": ["schemas": .object(schemas)]]
    }
}
