/// Renders catalog nodes as OpenAPI v3 schemas the way kube-apiserver
/// publishes them: references as `#/components/schemas/NAME`, wrapped in
/// `allOf` when the property adds a description or default, and keys in
/// alphabetical order.
public enum OpenAPISchemaRenderer {
    /// The reference prefix of OpenAPI v3 documents.
    public static let refPrefix = "#/components/schemas/"

    /// `components.schemas` for the given definitions and all they reference.
    public static func components(_ names: [String], catalog: SchemaCatalog = .shared) -> JSONObject {
        var out = JSONObject()
        for name in catalog.closure(of: names) {
            if let node = catalog.definition(name) { out[name] = render(node) }
        }
        return out
    }

    /// One node as an OpenAPI v3 schema object.
    public static func render(_ node: SchemaNode) -> JSONValue {
        var pairs: [(String, JSONValue)] = []
        if let ref = node.ref {
            let target: JSONValue = ["$ref": .string(refPrefix + ref)]
            if node.description == nil && node.defaultValue == nil { return target }
            pairs.append(("allOf", [target]))
        }
        if let a = node.additionalProperties {
            pairs.append(("additionalProperties", render(a)))
        } else if node.allowsAnyMember {
            pairs.append(("additionalProperties", true))
        }
        if let v = node.defaultValue { pairs.append(("default", v)) }
        if let d = node.description { pairs.append(("description", .string(d))) }
        if !node.enumValues.isEmpty { pairs.append(("enum", .array(node.enumValues))) }
        if let f = node.format { pairs.append(("format", .string(f))) }
        if let i = node.items { pairs.append(("items", render(i))) }
        if !node.oneOf.isEmpty { pairs.append(("oneOf", .array(node.oneOf.map(render)))) }
        if !node.properties.isEmpty {
            pairs.append(("properties", .object(JSONObject(node.properties.map { ($0.name, render($0.node)) }))))
        }
        if !node.required.isEmpty { pairs.append(("required", .array(node.required.map { .string($0) }))) }
        if let t = node.type { pairs.append(("type", .string(t))) }
        for (k, v) in node.extensions { pairs.append(("x-kubernetes-" + k, v)) }
        if !node.gvks.isEmpty {
            pairs.append(("x-kubernetes-group-version-kind", .array(node.gvks.map {
                ["group": .string($0.group), "kind": .string($0.kind), "version": .string($0.version)]
            })))
        }
        pairs.sort { $0.0 < $1.0 }
        return .object(JSONObject(pairs))
    }
}
