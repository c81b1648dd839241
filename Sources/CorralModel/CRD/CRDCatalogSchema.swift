/// A custom resource version's openAPIV3Schema in the schema catalog's
/// compact form, named as kube-apiserver names CRD schemas in its OpenAPI
/// documents (reversed group, version, kind: com.example.stable.v1.CronTab),
/// with the ObjectMeta/ListMeta references, apiVersion/kind fields and
/// x-kubernetes-group-version-kind that kube adds, so `kubectl explain` and
/// OpenAPI clients see the same document as from a real cluster.
public enum CRDCatalogSchema {
    static let metaPrefix = "io.k8s.apimachinery.pkg.apis.meta.v1."
    static let apiVersionDoc = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
    static let kindDoc = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
    static let metadataDoc = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"

    /// "com.example.stable.v1.CronTab" for stable.example.com/v1 CronTab.
    public static func definitionName(group: String, version: String, kind: String) -> String {
        group.split(separator: ".").reversed().joined(separator: ".") + ".\(version).\(kind)"
    }

    /// The definitions (object and list) to register for `type`, keyed by name.
    public static func definitions(for type: ResourceType) -> [String: SchemaNode] {
        let name = definitionName(group: type.group, version: type.version, kind: type.kind)
        let listName = definitionName(group: type.group, version: type.version, kind: type.listKind)
        var root = compact(type.custom?.schema ?? ["type": "object", "x-kubernetes-preserve-unknown-fields": true])
        var props = root["p"]?.objectValue ?? JSONObject()
        props["apiVersion"] = ["d": .string(apiVersionDoc), "t": "string"]
        props["kind"] = ["d": .string(kindDoc), "t": "string"]
        props["metadata"] = ["$": .string(metaPrefix + "ObjectMeta"), "d": .string(metadataDoc)]
        root["p"] = .object(props)
        root["t"] = "object"
        root["g"] = [[.string(type.group), .string(type.version), .string(type.kind)]]
        let list: JSONValue = [
            "d": .string("\(type.listKind) is a list of \(type.kind)"), "t": "object",
            "p": ["apiVersion": ["d": .string(apiVersionDoc), "t": "string"],
                  "items": ["d": .string("List of \(type.resource). More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"),
                            "t": "array", "i": ["$": .string(name)]],
                  "kind": ["d": .string(kindDoc), "t": "string"],
                  "metadata": ["$": .string(metaPrefix + "ListMeta"), "d": "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"]],
            "r": ["items"], "g": [[.string(type.group), .string(type.version), .string(type.listKind)]],
        ]
        return [name: SchemaNode(root), listName: SchemaNode(list)]
    }

    /// One JSONSchemaProps node in the catalog's compact form (see tools/gen-openapi-schema.py).
    public static func compact(_ s: JSONValue) -> JSONValue {
        guard case .object(let o) = s else { return .object(JSONObject()) }
        var out = JSONObject()
        var ext = JSONObject()
        for (k, v) in o {
            switch k {
            case "description": out["d"] = v
            case "type": out["t"] = v
            case "format": out["f"] = v
            case "default": out["v"] = v
            case "enum": out["e"] = v
            case "required": out["r"] = v
            case "items": if v.objectValue != nil { out["i"] = compact(v) }
            case "properties":
                var p = JSONObject()
                for (name, sub) in v.objectValue ?? JSONObject() { p[name] = compact(sub) }
                out["p"] = .object(p)
            case "additionalProperties":
                if v.boolValue == true { out["a"] = true } else if v.objectValue != nil { out["a"] = compact(v) }
            case _ where k.hasPrefix("x-kubernetes-"):
                ext[String(k.dropFirst("x-kubernetes-".count))] = v
            default:
                break
            }
        }
        if !ext.isEmpty { out["x"] = .object(ext) }
        return .object(out)
    }
}

/// Applies a CRD's serving decision to the registry and the schema catalog in one place.
public enum CustomResourceRegistration {
    /// Serves exactly `types` for the CRD `crdName` (empty: stop serving it), and
    /// publishes their schemas in `catalog` (removing the ones no longer served).
    public static func apply(crdName: String, types: [ResourceType], registry: ResourceRegistry, catalog: SchemaCatalog = .shared) {
        let before = registry.customTypes(forCRD: crdName)
        if before == types { return }
        var gone: [String] = []
        var goneKinds: [(group: String, version: String, kind: String)] = []
        for t in before {
            gone += [CRDCatalogSchema.definitionName(group: t.group, version: t.version, kind: t.kind),
                     CRDCatalogSchema.definitionName(group: t.group, version: t.version, kind: t.listKind)]
            goneKinds += [(t.group, t.version, t.kind), (t.group, t.version, t.listKind)]
        }
        catalog.unregister(definitions: gone, kinds: goneKinds)
        var defs: [String: SchemaNode] = [:]
        var kinds: [(group: String, version: String, kind: String, definition: String)] = []
        for t in types {
            defs.merge(CRDCatalogSchema.definitions(for: t)) { a, _ in a }
            kinds.append((t.group, t.version, t.kind, CRDCatalogSchema.definitionName(group: t.group, version: t.version, kind: t.kind)))
            kinds.append((t.group, t.version, t.listKind, CRDCatalogSchema.definitionName(group: t.group, version: t.version, kind: t.listKind)))
        }
        catalog.register(definitions: defs, kinds: kinds)
        registry.setCustomTypes(types, forCRD: crdName)
    }
}
