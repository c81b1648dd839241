/// Computing patches: the client side of strategic merge patch, as kubectl
/// builds them for `kubectl apply` (client-side) and `kubectl edit`.
extension Patch {
    /// The strategic merge patch that turns `original` into `modified` for
    /// the type under `storageKey`: changed fields, nulls for removed fields,
    /// `$patch: delete` / `$deleteFromPrimitiveList` for removed list items,
    /// `$setElementOrder` to keep list order, `$retainKeys` where the type asks.
    public static func createTwoWayStrategicPatch(original: JSONValue, modified: JSONValue, storageKey: String) throws -> JSONValue {
        let differ = StrategicDiffer(storageKey: storageKey)
        return try differ.run {
            .object(try differ.diffMaps(original.objectValue ?? JSONObject(), modified.objectValue ?? JSONObject(), path: [],
                                        StrategicDiffer.Options(setElementOrder: true)))
        }
    }

    /// kubectl apply's three-way strategic patch: changes from `current` (the
    /// live object) to `modified` (the new configuration), plus deletions of
    /// what `original` (the last applied configuration, nil if none) had and
    /// `modified` dropped. Fields set by others and never applied survive.
    /// Conflicts are not checked (kubectl's default `--overwrite=true`).
    public static func createThreeWayStrategicPatch(original: JSONValue?, modified: JSONValue, current: JSONValue,
                                                    storageKey: String) throws -> JSONValue {
        let differ = StrategicDiffer(storageKey: storageKey)
        return try differ.run {
            let m = modified.objectValue ?? JSONObject()
            let delta = try differ.diffMaps(current.objectValue ?? JSONObject(), m, path: [],
                                            StrategicDiffer.Options(ignoreDeletions: true, setElementOrder: true))
            let deletions = try differ.diffMaps(original?.objectValue ?? JSONObject(), m, path: [],
                                                StrategicDiffer.Options(ignoreChangesAndAdditions: true, setElementOrder: true))
            let combiner = StrategicMerger(storageKey: storageKey, applying: false)
            return .object(try combiner.mergeMap(deletions, delta, path: []))
        }
    }

    /// kubectl apply's three-way JSON merge patch, used for types without
    /// strategic support (custom resources): additions and changes from
    /// `current` to `modified`, plus nulls for what `original` had and
    /// `modified` dropped. Lists are replaced whole.
    public static func createThreeWayMergePatch(original: JSONValue?, modified: JSONValue, current: JSONValue) -> JSONValue {
        let addAndChange = MergePatchFilter.keep(createMergePatch(original: current, modified: modified), nullsOnly: false)
        let deletions = MergePatchFilter.keep(createMergePatch(original: original ?? .object(JSONObject()), modified: modified),
                                              nullsOnly: true)
        return applyMergePatchKeepingNulls(addAndChange, to: deletions)
    }

    /// The patch kubectl apply would send for this type, and its media type:
    /// strategic for built-in types, JSON merge patch otherwise.
    public static func createThreeWayPatch(original: JSONValue?, modified: JSONValue, current: JSONValue,
                                           storageKey: String) throws -> (type: PatchType, patch: JSONValue) {
        if supportsStrategic(storageKey: storageKey) {
            return (.strategic, try createThreeWayStrategicPatch(original: original, modified: modified, current: current, storageKey: storageKey))
        }
        return (.merge, createThreeWayMergePatch(original: original, modified: modified, current: current))
    }

    /// Merges two patches: objects merge, the nulls of `base` stay unless overridden.
    static func applyMergePatchKeepingNulls(_ patch: JSONValue, to base: JSONValue) -> JSONValue {
        guard case .object(let p) = patch, case .object(var b) = base else { return patch }
        for (k, v) in p {
            if case .object = v, let existing = b[k], case .object = existing {
                b[k] = applyMergePatchKeepingNulls(v, to: existing)
            } else {
                b[k] = v
            }
        }
        return .object(b)
    }
}

/// Splits a JSON merge patch into its deletions (nulls) or its additions and changes.
enum MergePatchFilter {
    static func keep(_ v: JSONValue, nullsOnly: Bool) -> JSONValue {
        guard case .object(let o) = v else { return v }
        var out = JSONObject()
        for (k, val) in o {
            switch val {
            case .null:
                if nullsOnly { out[k] = .null }
            case .object(let sub):
                if sub.isEmpty {
                    if !nullsOnly { out[k] = val }  // an explicit empty map is a value
                    continue
                }
                let f = keep(val, nullsOnly: nullsOnly)
                if f.objectValue?.isEmpty == false { out[k] = f }
            default:
                if !nullsOnly { out[k] = val }
            }
        }
        return .object(out)
    }
}

/// The strategic diff engine.
struct StrategicDiffer {
    let storageKey: String

    struct Options {
        var ignoreChangesAndAdditions = false
        var ignoreDeletions = false
        var setElementOrder = false
        var buildRetainKeys = false
    }

    func strategy(_ path: [String]) -> FieldStrategy? { MergeKeys.field(storageKey: storageKey, path: path) }

    func run(_ body: () throws -> JSONValue) throws -> JSONValue {
        do { return try body() } catch let f as PatchFailure { throw f.apiError }
    }

    func diffMaps(_ original: JSONObject, _ modified: JSONObject, path: [String], _ opts: Options) throws -> JSONObject {
        var patch = JSONObject()
        var retain: [String] = []
        for (key, mv) in modified {
            if opts.buildRetainKeys && !mv.isNull { retain.append(key) }
            guard let ov = original[key] else {
                if !opts.ignoreChangesAndAdditions { patch[key] = mv }
                continue
            }
            if key == Directive.marker {
                guard let os = ov.stringValue, let ms = mv.stringValue else {
                    throw PatchFailure(message: "invalid value for special key: \(Directive.marker)")
                }
                if os != ms { patch[key] = mv }
                continue
            }
            let fieldPath = path + [key]
            switch (ov, mv) {
            case let (.object(o), .object(m)):
                let fs = strategy(fieldPath)
                var sub = opts
                sub.buildRetainKeys = fs?.retainKeys ?? false
                let d = try diffMaps(o, m, path: fieldPath, sub)
                if !d.isEmpty { patch[key] = .object(d) }
            case let (.array(o), .array(m)):
                if let fs = strategy(fieldPath), fs.merge {
                    var sub = opts
                    sub.buildRetainKeys = fs.retainKeys
                    let (add, del, order) = try diffLists(o, m, mergeKey: fs.mergeKey, path: fieldPath, sub)
                    if !add.isEmpty { patch[key] = .array(add) }
                    if !del.isEmpty { patch["\(Directive.deleteFromPrimitiveList)/\(key)"] = .array(del) }
                    if !order.isEmpty { patch["\(Directive.setElementOrder)/\(key)"] = .array(order) }
                } else if !opts.ignoreChangesAndAdditions && !JSONEquality.equal(ov, mv) {
                    patch[key] = mv
                }
            default:
                if !opts.ignoreChangesAndAdditions && !JSONEquality.equal(ov, mv) { patch[key] = mv }
            }
        }
        if !opts.ignoreDeletions {
            for key in original.keys where modified[key] == nil { patch[key] = .null }
        }
        let hasDroppedField = original.contains { !$0.value.isNull && modified[$0.key] == nil }
        if !retain.isEmpty && (!patch.isEmpty || hasDroppedField) {
            patch[Directive.retainKeys] = .array(retain.sorted().map { .string($0) })
        }
        return patch
    }

    /// (changed or added items, primitives to delete, `$setElementOrder` list).
    func diffLists(_ original: [JSONValue], _ modified: [JSONValue], mergeKey: String?, path: [String],
                   _ opts: Options) throws -> ([JSONValue], [JSONValue], [JSONValue]) {
        if original.isEmpty {
            if modified.isEmpty || opts.ignoreChangesAndAdditions { return ([], [], []) }
            return (modified, [], [])
        }
        guard let kind = try StrategicMerger.elementKind([original, modified]) else { return ([], [], []) }
        if kind == .object {
            guard let mergeKey, !mergeKey.isEmpty else {
                throw PatchFailure(message: "cannot merge lists without merge key for type struct")
            }
            var (changes, deletions) = try diffListsOfMaps(original, modified, mergeKey: mergeKey, path: path, opts)
            changes = try StrategicMerger.normalizeSliceOrder(changes, order: modified, mergeKey: mergeKey, isMap: true)
            let orderSame = original.count == modified.count && zip(original, modified).allSatisfy {
                JSONEquality.equal($0.objectValue?[mergeKey], $1.objectValue?[mergeKey])
            }
            changes += deletions
            var order: [JSONValue] = []
            if opts.setElementOrder && ((!opts.ignoreChangesAndAdditions && (!changes.isEmpty || !orderSame))
                                        || (!opts.ignoreDeletions && !changes.isEmpty)) {
                order = modified.map { .object(JSONObject([(mergeKey, $0.objectValue?[mergeKey] ?? .null)])) }
            }
            return (changes, [], order)
        }
        var (adds, deletions) = diffListsOfScalars(original, modified, opts)
        adds = try StrategicMerger.normalizeSliceOrder(adds, order: modified, mergeKey: "", isMap: false)
        var order: [JSONValue] = []
        if opts.setElementOrder && ((!opts.ignoreDeletions && !deletions.isEmpty)
                                    || (!opts.ignoreChangesAndAdditions && !JSONEquality.equal(.array(original), .array(modified)))) {
            order = modified
        }
        return (adds, deletions, order)
    }

    /// Set difference of two primitive lists, compared by their printed form.
    func diffListsOfScalars(_ original: [JSONValue], _ modified: [JSONValue], _ opts: Options) -> ([JSONValue], [JSONValue]) {
        let o = original.sorted { GoFormat.string($0) < GoFormat.string($1) }
        let m = modified.sorted { GoFormat.string($0) < GoFormat.string($1) }
        var i = 0, k = 0
        var adds: [JSONValue] = [], deletions: [JSONValue] = []
        while i < o.count || k < m.count {
            let os = i < o.count ? GoFormat.string(o[i]) : nil
            let ms = k < m.count ? GoFormat.string(m[k]) : nil
            if let os, let ms, os == ms {
                i += 1; k += 1
            } else if let os, ms == nil || os < ms! {
                if !opts.ignoreDeletions { deletions.append(o[i]) }
                i += 1
            } else {
                if !opts.ignoreChangesAndAdditions { adds.append(m[k]) }
                k += 1
            }
        }
        return (adds, StrategicMerger.deduplicated(deletions))
    }

    /// Per-key diffs of two lists of objects: changed items (with their
    /// merge key), added items, and `$patch: delete` items for removed keys.
    func diffListsOfMaps(_ original: [JSONValue], _ modified: [JSONValue], mergeKey: String, path: [String],
                         _ opts: Options) throws -> ([JSONValue], [JSONValue]) {
        func keyed(_ list: [JSONValue]) throws -> [(String, JSONObject, JSONValue)] {
            try list.map { v in
                guard case .object(let o) = v else { throw PatchFailure.badArgType(expected: "map[string]interface {}", v) }
                guard let mv = o[mergeKey] else { throw PatchFailure.noMergeKey(o, mergeKey) }
                return (GoFormat.string(mv), o, mv)
            }.sorted { $0.0 < $1.0 }
        }
        let o = try keyed(original), m = try keyed(modified)
        var changes: [JSONValue] = [], deletions: [JSONValue] = []
        var i = 0, k = 0
        while i < o.count || k < m.count {
            if i < o.count && k < m.count && o[i].0 == m[k].0 {
                var d = try diffMaps(o[i].1, m[k].1, path: path, opts)
                if !d.isEmpty {
                    d[mergeKey] = m[k].2
                    changes.append(.object(d))
                }
                i += 1; k += 1
            } else if i >= o.count || (k < m.count && o[i].0 > m[k].0) {
                if !opts.ignoreChangesAndAdditions { changes.append(.object(m[k].1)) }
                k += 1
            } else {
                if !opts.ignoreDeletions {
                    deletions.append(.object(JSONObject([(mergeKey, o[i].2), (Directive.marker, .string(Directive.delete))])))
                }
                i += 1
            }
        }
        return (changes, deletions)
    }
}
