/// The structural merge of an applied configuration onto a live object, and
/// the removal of field paths from an object (structured-merge-diff's
/// `Merge` and `RemoveItems`).
public enum ApplyMerge {
    /// `config` merged onto `live`: config values win at leaves, atomic lists
    /// and maps are replaced whole, maps merge member by member, and
    /// associative lists merge item by item (live order, new items placed
    /// next to the config items they follow). A null in the config removes
    /// the member.
    public static func merge(_ live: JSONValue, _ config: JSONValue, schema: ApplySchema) throws -> JSONValue {
        try merge(Optional(live), Optional(config), schema) ?? .object(JSONObject())
    }

    private static func merge(_ lhs: JSONValue?, _ rhs: JSONValue?, _ schema: ApplySchema) throws -> JSONValue? {
        guard let rhs else { return lhs }
        if rhs.isNull { return nil }
        switch (lhs, rhs) {
        case (.object(let l)?, .object(let r)) where !schema.isAtomicMap:
            var out = l
            for (k, v) in r {
                out[k] = try merge(l[k], v, schema.field(k))
            }
            return .object(out)
        case (.array(let l)?, .array(let r)) where schema.list != .atomic:
            return .array(try mergeItems(l, r, schema))
        default:
            // Scalars, atomic values, new members and type changes: the configuration wins.
            return withoutNulls(rhs)
        }
    }

    private static func mergeItems(_ l: [JSONValue], _ r: [JSONValue], _ schema: ApplySchema) throws -> [JSONValue] {
        let lpe = try l.enumerated().map { try schema.itemElement($0.element, index: $0.offset) }
        let rpe = try r.enumerated().map { try schema.itemElement($0.element, index: $0.offset) }
        var rIndex: [PathElement: Int] = [:]
        for (i, pe) in rpe.enumerated() {
            if rIndex[pe] != nil { throw ApplyError.duplicateKey(path: schema.patchPath.map { .field($0) }, element: pe) }
            rIndex[pe] = i
        }
        let lKeys = Set(lpe)
        var out: [JSONValue] = []
        var emitted = Set<Int>()
        // Config-only items that precede a shared item are emitted just before it.
        func emitNewItems(upTo j: Int) {
            for i in 0..<j where !emitted.contains(i) && !lKeys.contains(rpe[i]) {
                emitted.insert(i)
                out.append(withoutNulls(r[i]))
            }
        }
        for (i, item) in l.enumerated() {
            if let j = rIndex[lpe[i]] {
                emitNewItems(upTo: j)
                emitted.insert(j)
                if let m = try merge(item, r[j], schema.item()) { out.append(m) }
            } else {
                out.append(item)
            }
        }
        emitNewItems(upTo: r.count)
        return out
    }

    /// A value with null members dropped (they mean "unset" in a configuration).
    static func withoutNulls(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o):
            var out = JSONObject()
            for (k, x) in o where !x.isNull { out[k] = withoutNulls(x) }
            return .object(out)
        case .array(let a): return .array(a.map(withoutNulls))
        default: return v
        }
    }

    /// `value` without the paths of `set` (each with everything below it).
    /// Maps and lists left empty by a removal are dropped too.
    public static func removing(_ set: FieldSet, from value: JSONValue, schema: ApplySchema) throws -> JSONValue {
        try remove(set, value, schema) ?? .object(JSONObject())
    }

    private static func remove(_ set: FieldSet, _ value: JSONValue, _ schema: ApplySchema) throws -> JSONValue? {
        if set.isEmpty { return value }
        switch value {
        case .object(let o):
            if schema.isAtomicMap { return value }
            var out = JSONObject()
            for (k, v) in o {
                let pe = PathElement.field(k)
                if set.members.contains(pe) { continue }
                if let sub = set.children[pe] {
                    if let kept = try remove(sub, v, schema.field(k)) { out[k] = kept }
                } else {
                    out[k] = v
                }
            }
            return out.isEmpty && !o.isEmpty ? nil : .object(out)
        case .array(let items):
            if schema.list == .atomic { return value }
            var out: [JSONValue] = []
            for (i, item) in items.enumerated() {
                let pe = try schema.itemElement(item, index: i)
                if set.members.contains(pe) { continue }
                if let sub = set.children[pe] {
                    if let kept = try remove(sub, item, schema.item()) { out.append(kept) }
                } else {
                    out.append(item)
                }
            }
            return out.isEmpty && !items.isEmpty ? nil : .array(out)
        default:
            return value
        }
    }
}
