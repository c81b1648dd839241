/// A value whose JSON type is not the one its schema declares.
public struct TypeMismatch: Equatable, Sendable {
    public var path: FieldPath
    /// The schema's type ("string", "integer", "array", …).
    public var expected: String
    /// The JSON type found ("string", "number", "boolean", "array", "object").
    public var found: String
    /// The field's Go type as kube's decoder names it ("int32", "[]v1.Container").
    public var goType: String
    /// The Go struct holding the field ("DeploymentSpec"), when known.
    public var goStruct: String?
}

/// What a scan of a request body found.
public struct FieldScan: Equatable, Sendable {
    /// Members the schema does not declare, in document order.
    public var unknown: [FieldPath] = []
    /// Values of the wrong JSON type.
    public var mismatches: [TypeMismatch] = []
    /// The body with the unknown members removed (what kube-apiserver keeps).
    public var pruned: JSONValue = .null
}

/// Walks a request body against a kind's schema and reports unknown fields
/// and type mismatches, the way kube-apiserver's strict decoding sees them.
/// Pure: the schema comes from a catalog, nothing else is read.
public struct FieldValidator {
    public let catalog: SchemaCatalog
    /// The body is a strategic merge patch: `$patch`, `$retainKeys`,
    /// `$setElementOrder/…` and `$deleteFromPrimitiveList/…` members are directives, not fields.
    public var strategicPatch = false

    public init(catalog: SchemaCatalog = .shared, strategicPatch: Bool = false) {
        self.catalog = catalog
        self.strategicPatch = strategicPatch
    }

    /// Scans `value` against `schema` (usually a kind's top-level definition,
    /// named by `definition` so type errors can name the Go struct).
    public func scan(_ value: JSONValue, schema: SchemaNode, definition: String? = nil, at path: FieldPath = FieldPath()) -> FieldScan {
        var out = FieldScan()
        out.pruned = walk(value, schema, path, owner: definition.map { String($0.split(separator: ".").last ?? "") }, &out)
        return out
    }

    private func walk(_ value: JSONValue, _ declared: SchemaNode, _ path: FieldPath, owner: String?, _ out: inout FieldScan) -> JSONValue {
        if case .null = value { return value }
        let node = catalog.resolve(declared)
        if node.preservesUnknownFields || node.isEmbeddedResource { return value }
        if let m = mismatch(value, node, declared: declared, path: path, owner: owner) {
            out.mismatches.append(m)
            return value
        }
        // Members of a referenced struct belong to that struct (Go names it in decode errors).
        let owner = declared.ref.map { String($0.split(separator: ".").last ?? "") } ?? owner
        switch value {
        case .object(let obj):
            if node.properties.isEmpty {
                guard let valueSchema = node.additionalProperties else { return value }
                var kept = JSONObject()
                for (k, v) in obj { kept[k] = walk(v, valueSchema, path.appending(.member(k)), owner: owner, &out) }
                return .object(kept)
            }
            var kept = JSONObject()
            for (k, v) in obj {
                if strategicPatch && k.hasPrefix("$") {
                    kept[k] = v
                } else if let p = node.property(k) {
                    kept[k] = walk(v, p, path.appending(.member(k)), owner: owner, &out)
                } else if let a = node.additionalProperties {
                    kept[k] = walk(v, a, path.appending(.member(k)), owner: owner, &out)
                } else if node.allowsAnyMember {
                    kept[k] = v
                } else {
                    out.unknown.append(path.appending(.member(k)))
                }
            }
            return .object(kept)
        case .array(let items):
            guard let itemSchema = node.items else { return value }
            let keys = declared.listMapKeys.isEmpty ? node.listMapKeys : declared.listMapKeys
            var kept: [JSONValue] = []
            for (i, item) in items.enumerated() {
                let keyValues: [(String, JSONValue)] = keys.compactMap { k in item[k].map { (k, $0) } }
                kept.append(walk(item, itemSchema, path.appending(.element(i, keys: keyValues)), owner: owner, &out))
            }
            return .array(kept)
        default:
            return value
        }
    }

    /// The mismatch of `value` against `node`'s declared type, if any.
    private func mismatch(_ value: JSONValue, _ node: SchemaNode, declared: SchemaNode, path: FieldPath, owner: String?) -> TypeMismatch? {
        let accepted: Set<String>
        if node.format == "int-or-string" || node.extensions["int-or-string"]?.boolValue == true {
            accepted = ["integer", "string"]
        } else if !node.oneOf.isEmpty {
            accepted = Set(node.oneOf.compactMap(\.type))
        } else if let t = node.type {
            accepted = [t]
        } else {
            return nil
        }
        if accepted.isEmpty { return nil }
        let found = Self.jsonType(value)
        if accepted.contains(found) { return nil }
        if found == "integer" && accepted.contains("number") { return nil }
        if case .double(let d) = value, accepted.contains("integer"), d.rounded() == d { return nil }
        return TypeMismatch(path: path, expected: node.type ?? accepted.sorted().joined(separator: "|"),
                            found: found == "integer" || found == "number" ? "number" : found,
                            goType: goType(declared), goStruct: owner)
    }

    static func jsonType(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The Go type kube's decoder would name for a field of this schema.
    func goType(_ declared: SchemaNode) -> String {
        if let r = declared.ref {
            let parts = r.split(separator: ".")
            return parts.suffix(2).joined(separator: ".")
        }
        switch declared.type {
        case "string": return "string"
        case "boolean": return "bool"
        case "number": return "float64"
        case "integer": return declared.format == "int32" ? "int32" : (declared.format == "int64" ? "int64" : "int")
        case "array": return "[]" + (declared.items.map(goType) ?? "interface {}")
        case "object": return declared.additionalProperties.map { "map[string]" + goType($0) } ?? "map[string]interface {}"
        default: return "interface {}"
        }
    }
}
