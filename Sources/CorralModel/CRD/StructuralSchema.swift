/// Structural pruning and defaulting of custom resources against a CRD
/// version's `openAPIV3Schema`, as kube-apiserver does on every write:
/// members the schema does not specify are dropped (unless
/// `x-kubernetes-preserve-unknown-fields: true` at that level), `null`s of
/// non-nullable fields are dropped, then `default`s fill what is missing.
/// apiVersion, kind and metadata of the object (and of embedded resources)
/// are always kept.
public enum StructuralSchema {
    /// What pruning removed, and the result.
    public struct Pruned: Equatable, Sendable {
        public var value: JSONValue
        /// Paths of the dropped unknown members ("spec.foo", "spec.items[0].bar"), in document order.
        public var unknown: [String]
    }

    /// Prunes `object` against `schema` (the whole openAPIV3Schema).
    /// `reportNulls` false skips nulls when listing unknown fields (a merge
    /// patch's `null` deletes a member; it does not set one).
    public static func prune(_ object: JSONValue, schema: JSONValue, reportNulls: Bool = true) -> Pruned {
        var unknown: [String] = []
        let v = walk(object, schema, path: "", resourceRoot: true, reportNulls: reportNulls, &unknown)
        return Pruned(value: v, unknown: unknown)
    }

    /// Fills `default`s of missing members, recursively.
    public static func applyDefaults(_ value: JSONValue, schema: JSONValue) -> JSONValue {
        guard case .object(let s) = schema else { return value }
        switch value {
        case .object(var obj):
            for (k, p) in s["properties"]?.objectValue ?? JSONObject() {
                if obj[k] == nil || (obj[k]!.isNull && p["nullable"]?.boolValue != true), let d = p["default"] {
                    obj[k] = d
                }
                if let cur = obj[k] { obj[k] = applyDefaults(cur, schema: p) }
            }
            if let a = s["additionalProperties"], a.objectValue != nil {
                for (k, v) in obj where s["properties"]?[k] == nil { obj[k] = applyDefaults(v, schema: a) }
            }
            return .object(obj)
        case .array(let items):
            guard let i = s["items"], i.objectValue != nil else { return value }
            return .array(items.map { applyDefaults($0, schema: i) })
        default:
            return value
        }
    }

    static func child(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private static func walk(_ value: JSONValue, _ schema: JSONValue, path: String, resourceRoot: Bool, reportNulls: Bool,
                             _ unknown: inout [String]) -> JSONValue {
        guard case .object(let s) = schema else { return value }
        switch value {
        case .object(let obj):
            let props = s["properties"]?.objectValue ?? JSONObject()
            let additional = s["additionalProperties"]
            let preserve = s["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
            let keepMeta = resourceRoot || s["x-kubernetes-embedded-resource"]?.boolValue == true
            var kept = JSONObject()
            for (k, v) in obj {
                if keepMeta && (k == "apiVersion" || k == "kind" || k == "metadata") {
                    kept[k] = v
                } else if let p = props[k] {
                    // A null of a non-nullable field is dropped (defaulting may refill it).
                    if v.isNull && p["nullable"]?.boolValue != true { continue }
                    kept[k] = walk(v, p, path: child(path, k), resourceRoot: false, reportNulls: reportNulls, &unknown)
                } else if let a = additional, a.objectValue != nil {
                    if v.isNull && a["nullable"]?.boolValue != true { continue }
                    kept[k] = walk(v, a, path: child(path, k), resourceRoot: false, reportNulls: reportNulls, &unknown)
                } else if additional?.boolValue == true || preserve {
                    kept[k] = v
                } else if v.isNull && !reportNulls {
                    continue
                } else {
                    unknown.append(child(path, k))
                }
            }
            return .object(kept)
        case .array(let items):
            guard let i = s["items"], i.objectValue != nil else { return value }
            var out: [JSONValue] = []
            out.reserveCapacity(items.count)
            for (n, item) in items.enumerated() {
                out.append(walk(item, i, path: "\(path)[\(n)]", resourceRoot: false, reportNulls: reportNulls, &unknown))
            }
            return .array(out)
        default:
            return value
        }
    }
}
