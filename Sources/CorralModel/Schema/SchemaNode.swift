/// One node of a field schema, in the project's compact form (see
/// tools/gen-openapi-schema.py): a definition, a property, an array's items
/// or a map's values. A node that names a definition (`ref`) stands for that
/// definition; its own `description` is the property's.
public final class SchemaNode: @unchecked Sendable {
    /// (group, version, kind) from `x-kubernetes-group-version-kind`.
    public struct GVK: Equatable, Sendable {
        public var group: String
        public var version: String
        public var kind: String
    }

    public let description: String?
    /// "object", "array", "string", "integer", "number", "boolean", or nil (any/ref/oneOf).
    public let type: String?
    public let format: String?
    /// The referenced definition's name, e.g. io.k8s.api.core.v1.PodSpec.
    public let ref: String?
    /// Declared properties, in the table's (alphabetical) order.
    public let properties: [(name: String, node: SchemaNode)]
    public let required: [String]
    public let items: SchemaNode?
    /// A map's value schema (`additionalProperties`).
    public let additionalProperties: SchemaNode?
    /// `additionalProperties: true`: any member is allowed.
    public let allowsAnyMember: Bool
    public let oneOf: [SchemaNode]
    public let enumValues: [JSONValue]
    public let defaultValue: JSONValue?
    public let gvks: [GVK]
    /// x-kubernetes-* extensions by suffix ("list-type", "patch-merge-key", …).
    public let extensions: JSONObject
    private let byName: [String: Int]

    /// Parses a node of the compact form.
    public init(_ v: JSONValue) {
        description = v["d"]?.stringValue
        type = v["t"]?.stringValue
        format = v["f"]?.stringValue
        ref = v["$"]?.stringValue
        var props: [(String, SchemaNode)] = []
        for (k, p) in v["p"]?.objectValue ?? JSONObject() { props.append((k, SchemaNode(p))) }
        properties = props
        var index: [String: Int] = [:]
        for (i, p) in props.enumerated() { index[p.0] = i }
        byName = index
        required = (v["r"]?.arrayValue ?? []).compactMap(\.stringValue)
        items = v["i"].map(SchemaNode.init)
        if case .bool(true)? = v["a"] {
            additionalProperties = nil
            allowsAnyMember = true
        } else {
            additionalProperties = v["a"].map(SchemaNode.init)
            allowsAnyMember = false
        }
        oneOf = (v["u"]?.arrayValue ?? []).map(SchemaNode.init)
        enumValues = v["e"]?.arrayValue ?? []
        defaultValue = v["v"]
        gvks = (v["g"]?.arrayValue ?? []).compactMap { g in
            guard let a = g.arrayValue, a.count == 3, let gr = a[0].stringValue, let ve = a[1].stringValue,
                  let ki = a[2].stringValue else { return nil }
            return GVK(group: gr, version: ve, kind: ki)
        }
        extensions = v["x"]?.objectValue ?? JSONObject()
    }

    /// The declared property `name`, if any.
    public func property(_ name: String) -> SchemaNode? {
        byName[name].map { properties[$0].node }
    }

    /// `x-kubernetes-preserve-unknown-fields: true`: members beyond the declared ones are kept.
    public var preservesUnknownFields: Bool { extensions["preserve-unknown-fields"]?.boolValue == true }

    /// `x-kubernetes-embedded-resource: true`: a whole object of any kind.
    public var isEmbeddedResource: Bool { extensions["embedded-resource"]?.boolValue == true }

    /// The keys of an associative list (`x-kubernetes-list-map-keys`), empty otherwise.
    public var listMapKeys: [String] {
        guard extensions["list-type"]?.stringValue == "map" else { return [] }
        return (extensions["list-map-keys"]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}
