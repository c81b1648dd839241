/// How server-side apply merges and tracks a list.
public enum ListSemantics: Equatable, Sendable {
    /// Owned and replaced as a whole.
    case atomic
    /// A set of primitives; items are tracked by value (`v:`).
    case set
    /// An associative list; items are tracked by their key fields (`k:`).
    case map(keys: [String])
}

/// A position in a kind's field schema, as server-side apply needs it:
/// list semantics, atomic maps, and which members are struct fields.
/// Built-in kinds use the OpenAPI catalog (`x-kubernetes-list-type`,
/// `-list-map-keys`, `-map-type`, falling back to the patch strategy as
/// kube-openapi does); kinds without a schema fall back to the strategic
/// merge table (`MergeKeys`) and otherwise treat lists as atomic.
public struct ApplySchema: @unchecked Sendable {
    let catalog: SchemaCatalog
    /// The property node as declared (carries the property's extensions).
    let declared: SchemaNode?
    /// `declared` with references followed.
    let node: SchemaNode?
    let storageKey: String
    /// Field names from the root without list positions (the MergeKeys form).
    let patchPath: [String]

    /// The schema of a kind's objects (an unknown kind still knows ObjectMeta).
    public static func forKind(storageKey: String, group: String, version: String, kind: String,
                               catalog: SchemaCatalog = .shared) -> ApplySchema {
        let root = catalog.schema(group: group, version: version, kind: kind)
        return ApplySchema(catalog: catalog, declared: root, node: root.map(catalog.resolve), storageKey: storageKey, patchPath: [])
    }

    /// The schema of member `name` of an object here.
    public func field(_ name: String) -> ApplySchema {
        var next: SchemaNode?
        if let n = node {
            next = n.property(name) ?? n.additionalProperties
        } else if patchPath.isEmpty && name == "metadata" {
            next = catalog.definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        }
        return ApplySchema(catalog: catalog, declared: next, node: next.map(catalog.resolve), storageKey: storageKey,
                           patchPath: patchPath + [name])
    }

    /// The schema of the items of a list here.
    public func item() -> ApplySchema {
        let next = node?.items
        return ApplySchema(catalog: catalog, declared: next, node: next.map(catalog.resolve), storageKey: storageKey,
                           patchPath: patchPath)
    }

    private func ext(_ name: String) -> JSONValue? {
        declared?.extensions[name] ?? node?.extensions[name]
    }

    /// How a list here is merged and tracked.
    public var list: ListSemantics {
        switch ext("list-type")?.stringValue {
        case "atomic": return .atomic
        case "set": return .set
        case "map":
            let keys = (ext("list-map-keys")?.arrayValue ?? []).compactMap(\.stringValue)
            return keys.isEmpty ? .atomic : .map(keys: keys)
        default: break
        }
        if let strategy = ext("patch-strategy")?.stringValue {
            guard strategy.split(separator: ",").contains("merge") else { return .atomic }
            if let key = ext("patch-merge-key")?.stringValue { return .map(keys: [key]) }
            return .set
        }
        if node == nil, let f = MergeKeys.field(storageKey: storageKey, path: patchPath), f.merge {
            return f.mergeKey.map { .map(keys: [$0]) } ?? .set
        }
        return .atomic
    }

    /// True for maps and structs owned as a whole (`x-kubernetes-map-type: atomic`).
    public var isAtomicMap: Bool { ext("map-type")?.stringValue == "atomic" }

    /// True when `name` is a declared struct field here (not a map key).
    /// Without a schema every member counts as a struct field.
    public func isStructField(_ name: String) -> Bool {
        guard let n = node else { return true }
        if n.property(name) != nil { return true }
        return n.additionalProperties == nil && !n.allowsAnyMember
    }

    /// The default of key field `name` of a list-map item, used when an item omits it
    /// (kube's OpenAPI defaults `protocol` to TCP for ports).
    func keyDefault(_ name: String) -> JSONValue? {
        if let d = item().field(name).declared?.defaultValue { return d }
        return name == "protocol" ? "TCP" : nil
    }

    /// The path element that identifies item `index` (value `item`) of a list here.
    public func itemElement(_ item: JSONValue, index: Int) throws -> PathElement {
        switch list {
        case .atomic:
            return .index(index)
        case .set:
            switch item {
            case .object, .array: return .index(index)
            default: return .value(item)
            }
        case .map(let keys):
            var fields: [(String, JSONValue)] = []
            for k in keys {
                if let v = item[k], !v.isNull {
                    fields.append((k, v))
                } else if let d = keyDefault(k) {
                    fields.append((k, d))
                } else {
                    throw ApplyError.missingKey(path: patchPath, index: index, key: k)
                }
            }
            return .key(fields)
        }
    }
}
