/// List merging for strategic merge patch.
extension StrategicMerger {
    /// Merges a patch list into a live list whose field merges: primitives as
    /// a set (or, for a `$deleteFromPrimitiveList`, by removal), objects by
    /// `mergeKey` with `$patch: delete|replace` elements. The result keeps
    /// the patch's relative order for patched items and the live order for
    /// the rest, interleaved as kube-apiserver does.
    func mergeSlice(_ original: [JSONValue], _ patch: [JSONValue], mergeKey: String?, isDeleteList: Bool,
                    path: [String]) throws -> [JSONValue] {
        if original.isEmpty && patch.isEmpty { return original }
        guard let kind = try Self.elementKind([original, patch]) else { return original }
        var original = original
        var patch = patch
        let merged: [JSONValue]
        let isMap = kind == .object
        if !isMap {
            if mergeParallelList && isDeleteList { return Self.deleteFromSlice(original, patch) }
            merged = Self.deduplicated(original + patch)
        } else {
            guard let mergeKey, !mergeKey.isEmpty else {
                throw PatchFailure(message: "cannot merge lists without merge key for type struct")
            }
            (original, patch) = try mergeSpecialElements(original, patch, mergeKey: mergeKey, path: path)
            merged = try mergePlainElements(original, patch, mergeKey: mergeKey, path: path)
        }
        let key = isMap ? (mergeKey ?? "") : ""
        let (patchItems, serverOnly) = try Self.partition(merged, by: patch, mergeKey: key, isMap: isMap)
        return try Self.normalizeElementOrder(patchItems, serverOnly, patchOrder: patch, serverOrder: original,
                                              mergeKey: key, isMap: isMap)
    }

    /// Executes `$patch: delete` elements (removing live elements with that
    /// key) and `$patch: replace` (the list becomes the patch's other
    /// elements). Returns the live list and the patch without those elements.
    func mergeSpecialElements(_ original: [JSONValue], _ patch: [JSONValue], mergeKey: String,
                              path: [String]) throws -> ([JSONValue], [JSONValue]) {
        var original = original
        var rest: [JSONValue] = []
        var replace = false
        for v in patch {
            guard var o = v.objectValue, let d = o[Directive.marker] else { rest.append(v); continue }
            switch d.stringValue {
            case Directive.delete?:
                guard let mv = o[mergeKey] else { throw PatchFailure.noMergeKey(o, mergeKey) }
                original.removeAll { JSONEquality.equal($0.objectValue?[mergeKey], mv) }
            case Directive.replace?:
                replace = true
            case Directive.merge? where applying:
                // Merging is the default; a merge-marked element merges as any other.
                o[Directive.marker] = nil
                if o[mergeKey] != nil { rest.append(.object(o)) }
            default:
                throw PatchFailure.badPatchType(d, o)
            }
        }
        if replace {
            let replaced = applying ? try rest.map { try fresh($0, path: path) } : rest
            return (replaced, [])
        }
        return (original, rest)
    }

    /// Merges each patch element into the live element with the same merge
    /// key, or appends it.
    func mergePlainElements(_ original: [JSONValue], _ patch: [JSONValue], mergeKey: String,
                            path: [String]) throws -> [JSONValue] {
        var original = original
        for v in patch {
            guard case .object(let p) = v else { throw PatchFailure.badArgType(expected: "map[string]interface {}", v) }
            guard let mv = p[mergeKey] else { throw PatchFailure.noMergeKey(p, mergeKey) }
            if let i = original.firstIndex(where: { JSONEquality.equal($0.objectValue?[mergeKey], mv) }),
               case .object(let o) = original[i] {
                original[i] = .object(try mergeMap(o, p, path: path))
            } else {
                original.append(applying ? .object(try mergeMap(nil, p, path: path)) : v)
            }
        }
        return original
    }

    /// The common kind of all elements (nil when there are none).
    static func elementKind(_ lists: [[JSONValue]]) throws -> JSONEquality.Kind? {
        var kind: JSONEquality.Kind?
        for l in lists {
            for v in l {
                let k = JSONEquality.kind(v)
                if let prev = kind {
                    if prev != k {
                        throw PatchFailure(message: "list element types are not identical: \(GoFormat.string(.array(lists.map { .array($0) })))")
                    }
                } else {
                    if k == .array { throw PatchFailure.noListOfLists }
                    kind = k
                }
            }
        }
        return kind
    }

    static func deleteFromSlice(_ current: [JSONValue], _ toDelete: [JSONValue]) -> [JSONValue] {
        current.filter { c in !toDelete.contains { JSONEquality.equal($0, c) } }
    }

    static func deduplicated(_ list: [JSONValue]) -> [JSONValue] {
        var out: [JSONValue] = []
        for v in list where !out.contains(where: { JSONEquality.equal($0, v) }) { out.append(v) }
        return out
    }

    /// Splits `merged` into the items present in `list` and the rest.
    static func partition(_ merged: [JSONValue], by list: [JSONValue], mergeKey: String,
                          isMap: Bool) throws -> (present: [JSONValue], absent: [JSONValue]) {
        var present: [JSONValue] = [], absent: [JSONValue] = []
        for v in merged {
            let found: Bool
            if isMap {
                guard case .object(let o) = v else { throw PatchFailure.badArgType(expected: "map[string]interface {}", v) }
                guard let mv = o[mergeKey] else { throw PatchFailure.noMergeKey(o, mergeKey) }
                found = try list.contains { item in
                    guard case .object(let io) = item else {
                        throw PatchFailure(message: "value for key \(GoFormat.string(item)) is not a map.")
                    }
                    return io[mergeKey].map { JSONEquality.equal($0, mv) } ?? false
                }
            } else {
                found = list.contains { JSONEquality.equal($0, v) }
            }
            if found { present.append(v) } else { absent.append(v) }
        }
        return (present, absent)
    }

    /// Orders patched items by `patchOrder` and server-only items by
    /// `serverOrder`, then interleaves them keeping both relative orders:
    /// a server-only item goes before a patched item when the live list had
    /// it first.
    static func normalizeElementOrder(_ patchItems: [JSONValue], _ serverOnly: [JSONValue], patchOrder: [JSONValue],
                                      serverOrder: [JSONValue], mergeKey: String, isMap: Bool) throws -> [JSONValue] {
        let p = try normalizeSliceOrder(patchItems, order: patchOrder, mergeKey: mergeKey, isMap: isMap)
        let s = try normalizeSliceOrder(serverOnly, order: serverOrder, mergeKey: mergeKey, isMap: isMap)
        var out: [JSONValue] = []
        out.reserveCapacity(p.count + s.count)
        var i = 0, j = 0
        while i < s.count || j < p.count {
            if i >= s.count {
                out.append(p[j]); j += 1
            } else if j >= p.count {
                out.append(s[i]); i += 1
            } else {
                let li = index(of: s[i], in: serverOrder, mergeKey: mergeKey, isMap: isMap)
                let ri = index(of: p[j], in: serverOrder, mergeKey: mergeKey, isMap: isMap)
                if let li, let ri, li < ri {
                    out.append(s[i]); i += 1
                } else {
                    out.append(p[j]); j += 1
                }
            }
        }
        return out
    }

    /// Sorts `items` by their position in `order` (stable; items not in it
    /// keep their relative order after the rest). `$patch: delete` items go last.
    static func normalizeSliceOrder(_ items: [JSONValue], order: [JSONValue], mergeKey: String,
                                    isMap: Bool) throws -> [JSONValue] {
        var toSort = items
        var deletions: [JSONValue] = []
        if isMap {
            for list in [items, order] {
                for v in list {
                    guard case .object(let o) = v else { throw PatchFailure.badArgType(expected: "map[string]interface {}", v) }
                    if o[mergeKey] == nil { throw PatchFailure.noMergeKey(o, mergeKey) }
                }
            }
            (toSort, deletions) = try splitDeletions(items)
        }
        let keyed = toSort.enumerated().map { (pos: $0.offset, at: index(of: $0.element, in: order, mergeKey: mergeKey, isMap: isMap) ?? Int.max, v: $0.element) }
        let sorted = keyed.sorted { $0.at != $1.at ? $0.at < $1.at : $0.pos < $1.pos }
        return sorted.map(\.v) + deletions
    }

    /// Elements without and with `$patch: delete`.
    static func splitDeletions(_ list: [JSONValue]) throws -> (kept: [JSONValue], deletions: [JSONValue]) {
        var kept: [JSONValue] = [], deletions: [JSONValue] = []
        for v in list {
            guard case .object(let o) = v else { throw PatchFailure.badArgType(expected: "map[string]interface {}", v) }
            if o[Directive.marker]?.stringValue == Directive.delete { deletions.append(v) } else { kept.append(v) }
        }
        return (kept, deletions)
    }

    /// Position of `value` in `list`, matching objects by merge key.
    static func index(of value: JSONValue, in list: [JSONValue], mergeKey: String, isMap: Bool) -> Int? {
        if isMap {
            let want = value.objectValue?[mergeKey]
            return list.firstIndex { JSONEquality.equal($0.objectValue?[mergeKey], want) }
        }
        return list.firstIndex { JSONEquality.equal($0, value) }
    }
}
