/// The field set a value sets, and the difference between two values, as
/// structured-merge-diff computes them (`ToFieldSet`, `Compare`).
public enum FieldWalk {
    /// Every field path `value` sets: leaves, list items (`k:`/`v:`), map
    /// entries, atomic lists and maps as a whole, and empty or null members.
    /// `rejectingDuplicates`: an applied configuration may not repeat a list key
    /// (`ApplyError.duplicateKey`); live objects may, and own such items as a whole.
    public static func fieldSet(of value: JSONValue, schema: ApplySchema, rejectingDuplicates: Bool = false) throws -> FieldSet {
        var set = FieldSet()
        try collect(value, schema, [], rejectingDuplicates, into: &set)
        return set
    }

    private static func collect(_ value: JSONValue, _ schema: ApplySchema, _ path: [PathElement], _ strict: Bool,
                                into set: inout FieldSet) throws {
        switch value {
        case .object(let o):
            if schema.isAtomicMap { set.insert(path); return }
            for (k, v) in o {
                let childPath = path + [.field(k)]
                try collect(v, schema.field(k), childPath, strict, into: &set)
                if v.isNull || v.objectValue?.isEmpty == true || !schema.isStructField(k) {
                    set.insert(childPath)
                }
            }
        case .array(let items):
            if schema.list == .atomic { set.insert(path); return }
            let elements = try items.enumerated().map { try schema.itemElement($0.element, index: $0.offset) }
            var seen = Set<PathElement>(), duplicates = Set<PathElement>()
            for pe in elements where !seen.insert(pe).inserted {
                if strict { throw ApplyError.duplicateKey(path: path, element: pe) }
                duplicates.insert(pe)
            }
            for (item, pe) in zip(items, elements) {
                // Duplicated keys are owned as a whole, as upstream does.
                if duplicates.contains(pe) { set.insert(path + [pe]); continue }
                try collect(item, schema.item(), path + [pe], strict, into: &set)
                set.insert(path + [pe])
            }
        default:
            set.insert(path)
        }
    }

    /// What changed from `old` to `new`.
    public struct Comparison: Equatable, Sendable {
        public var added = FieldSet()
        public var modified = FieldSet()
        public var removed = FieldSet()

        /// True when nothing changed.
        public var isSame: Bool { added.isEmpty && modified.isEmpty && removed.isEmpty }

        /// The comparison without the paths `ignored` matches (fields the endpoint resets).
        public func excluding(_ ignored: (([PathElement]) -> Bool)?) -> Comparison {
            guard let ignored else { return self }
            return Comparison(added: FieldWalk.filter(added, ignored), modified: FieldWalk.filter(modified, ignored),
                              removed: FieldWalk.filter(removed, ignored))
        }
    }

    /// The paths added, modified (leaves whose value differs) and removed between two values.
    public static func compare(_ old: JSONValue, _ new: JSONValue, schema: ApplySchema) throws -> Comparison {
        var c = Comparison()
        try compare(old, new, schema, [], &c)
        return c
    }

    private static func compare(_ lhs: JSONValue?, _ rhs: JSONValue?, _ schema: ApplySchema, _ path: [PathElement],
                                _ c: inout Comparison) throws {
        func leaf() {
            guard !path.isEmpty else { return }
            if lhs == nil {
                c.added.insert(path)
            } else if rhs == nil {
                c.removed.insert(path)
            } else if !JSONEquality.equal(lhs, rhs) {
                c.modified.insert(path)
            }
        }
        func container() {
            guard !path.isEmpty else { return }
            if lhs == nil { c.added.insert(path) } else if rhs == nil { c.removed.insert(path) }
        }
        let lo = lhs?.objectValue, ro = rhs?.objectValue
        let la = lhs?.arrayValue, ra = rhs?.arrayValue
        // Both sides (where present) are objects, or both are arrays; anything else is a leaf.
        if (lo != nil || ro != nil) && (lhs == nil || lo != nil) && (rhs == nil || ro != nil) {
            if schema.isAtomicMap || ((lo?.isEmpty ?? true) && (ro?.isEmpty ?? true)) { leaf(); return }
            var keys = lo?.keys ?? []
            for k in ro?.keys ?? [] where lo?[k] == nil { keys.append(k) }
            for k in keys {
                try compare(lo?[k], ro?[k], schema.field(k), path + [.field(k)], &c)
            }
            container()
        } else if (la != nil || ra != nil) && (lhs == nil || la != nil) && (rhs == nil || ra != nil) {
            if schema.list == .atomic || ((la?.isEmpty ?? true) && (ra?.isEmpty ?? true)) { leaf(); return }
            try compareItems(la ?? [], ra ?? [], schema, path, &c)
            container()
        } else {
            leaf()
        }
    }

    private static func compareItems(_ l: [JSONValue], _ r: [JSONValue], _ schema: ApplySchema, _ path: [PathElement],
                                     _ c: inout Comparison) throws {
        var order: [PathElement] = []
        var left: [PathElement: [JSONValue]] = [:], right: [PathElement: [JSONValue]] = [:]
        for (i, v) in l.enumerated() {
            let pe = try schema.itemElement(v, index: i)
            if left[pe] == nil { order.append(pe) }
            left[pe, default: []].append(v)
        }
        for (i, v) in r.enumerated() {
            let pe = try schema.itemElement(v, index: i)
            if left[pe] == nil && right[pe] == nil { order.append(pe) }
            right[pe, default: []].append(v)
        }
        for pe in order {
            let lv = left[pe] ?? [], rv = right[pe] ?? []
            if lv.count <= 1 && rv.count <= 1 {
                try compare(lv.first, rv.first, schema.item(), path + [pe], &c)
            } else if lv.count >= 2 && rv.count >= 2 {
                if !JSONEquality.equal(.array(lv), .array(rv)) { c.modified.insert(path + [pe]) }
            } else if lv.count >= 2 {
                c.removed.insert(path + [pe])
            } else {
                c.added.insert(path + [pe])
            }
        }
    }

    /// `set` without the paths `drop` matches.
    static func filter(_ set: FieldSet, _ drop: ([PathElement]) -> Bool) -> FieldSet {
        FieldSet(set.paths.filter { !drop($0) })
    }
}
