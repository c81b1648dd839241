/// Kubernetes strategic merge patch: a JSON merge patch whose lists merge
/// element-wise where the type says so, steered by `$patch`, `$retainKeys`,
/// `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` directives.
extension Patch {
    /// Applies a strategic merge patch (`application/strategic-merge-patch+json`)
    /// to `doc`, an object of the type stored under `storageKey`. Lists the
    /// type declares as merging (see `MergeKeys`) merge by key; other lists
    /// replace. Only legal for built-in types (`supportsStrategic`); for others
    /// it behaves like a merge patch with directives honoured. Bad directives
    /// are 400 BadRequest worded as kube-apiserver words them.
    public static func applyStrategicMergePatch(_ patch: JSONValue, to doc: JSONValue, storageKey: String) throws -> JSONValue {
        guard case .object(let p) = patch else {
            throw APIError.badRequest("json: cannot unmarshal \(JSONPatchEngine.goJSONKind(patch)) into Go value of type map[string]interface {}")
        }
        let merger = StrategicMerger(storageKey: storageKey, applying: true)
        do {
            return .object(try merger.mergeMap(doc.objectValue, p, path: []))
        } catch let f as PatchFailure {
            throw f.apiError
        }
    }
}

/// Directive names.
enum Directive {
    static let marker = "$patch"
    static let delete = "delete"
    static let replace = "replace"
    static let merge = "merge"
    static let retainKeys = "$retainKeys"
    static let deleteFromPrimitiveList = "$deleteFromPrimitiveList"
    static let setElementOrder = "$setElementOrder"

    /// Whether a member name is a patch directive rather than a field.
    static func isDirective(_ key: String) -> Bool {
        key == marker || key == retainKeys || key.hasPrefix(deleteFromPrimitiveList + "/") || key.hasPrefix(setElementOrder + "/")
    }

    /// The list name after "<prefix>/", or the prefix's format error.
    static func listKey(_ key: String, prefix: String) throws -> String {
        guard let slash = key.firstIndex(of: "/"), key[..<slash] == prefix else {
            throw prefix == deleteFromPrimitiveList ? PatchFailure.badPrimitiveList : PatchFailure.badSetElementOrder
        }
        return String(key[key.index(after: slash)...])
    }
}

/// The merge engine. `applying` is the server's mode (apply a patch to a live
/// object: parallel lists are executed, unmatched nulls dropped, directives
/// consumed); false is the client's mode of combining two patches, where
/// directives and nulls are carried into the result.
struct StrategicMerger {
    let storageKey: String
    let applying: Bool

    var mergeParallelList: Bool { applying }
    var ignoreUnmatchedNulls: Bool { applying }

    func strategy(_ path: [String]) -> FieldStrategy? {
        MergeKeys.field(storageKey: storageKey, path: path)
    }

    /// Merges `patch` into `original` (nil: nothing there yet).
    func mergeMap(_ original: JSONObject?, _ patch: JSONObject, path: [String]) throws -> JSONObject {
        var patch = patch
        if let d = patch[Directive.marker] {
            switch d.stringValue {
            case Directive.replace?:
                patch[Directive.marker] = nil
                return applying ? Self.sanitized(patch) : patch
            case Directive.delete?:
                return JSONObject()
            case Directive.merge? where applying:
                patch[Directive.marker] = nil  // the default; accepted for clarity
            default:
                throw PatchFailure.badPatchType(d, patch)
            }
        }
        var original = original ?? JSONObject()
        try applyRetainKeys(&original, &patch)
        try applySetElementOrder(&original, &patch, path: path)

        for (k, pv) in patch {
            var key = k
            var isDeleteList = false
            if k.hasPrefix(Directive.deleteFromPrimitiveList) {
                if !mergeParallelList { original[k] = pv; continue }
                key = try Directive.listKey(k, prefix: Directive.deleteFromPrimitiveList)
                isDeleteList = true
            }
            if pv.isNull {
                original[key] = nil
                if ignoreUnmatchedNulls { continue }
            }
            let fieldPath = path + [key]
            guard let ov = original[key] else {
                if isDeleteList { continue }  // nothing to delete from
                original[key] = try fresh(pv, path: fieldPath)
                continue
            }
            switch (ov, pv) {
            case let (.object(o), .object(p)):
                original[key] = .object(try mergeMap(o, p, path: fieldPath))
            case let (.array(o), .array(p)):
                if let fs = strategy(fieldPath), fs.merge {
                    original[key] = .array(try mergeSlice(o, p, mergeKey: fs.mergeKey, isDeleteList: isDeleteList, path: fieldPath))
                } else if isDeleteList {
                    original[key] = .array(Self.deleteFromSlice(o, p))
                } else {
                    original[key] = try fresh(pv, path: fieldPath)
                }
            default:
                original[key] = try fresh(pv, path: fieldPath)
            }
        }
        return original
    }

    /// A patch value taken where nothing is merged into it: in applying mode
    /// it is merged into emptiness, so directives and nulls inside are consumed
    /// rather than stored.
    func fresh(_ v: JSONValue, path: [String]) throws -> JSONValue {
        guard applying else { return v }
        switch v {
        case .object(let p):
            return .object(try mergeMap(nil, p, path: path))
        case .array(let a):
            if let fs = strategy(path), fs.merge {
                return .array(try mergeSlice([], a, mergeKey: fs.mergeKey, isDeleteList: false, path: path))
            }
            return .array(a.map(Self.sanitized))
        default:
            return v
        }
    }

    /// Drops directive members and null members, recursively.
    static func sanitized(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o): return .object(sanitized(o))
        case .array(let a): return .array(a.map(sanitized))
        default: return v
        }
    }

    static func sanitized(_ o: JSONObject) -> JSONObject {
        var out = JSONObject()
        for (k, v) in o where !v.isNull && !Directive.isDirective(k) { out[k] = sanitized(v) }
        return out
    }

    /// `$retainKeys`: fields of the original missing from the list are cleared.
    func applyRetainKeys(_ original: inout JSONObject, _ patch: inout JSONObject) throws {
        guard let rk = patch[Directive.retainKeys] else { return }
        patch[Directive.retainKeys] = nil
        if !mergeParallelList {
            if let existing = original[Directive.retainKeys] {
                guard JSONEquality.equal(existing, rk) else {
                    throw PatchFailure(message: "\(GoFormat.string(existing)) and \(GoFormat.string(rk)) are not deep equal: this may happen when calculating the 3-way diff patch")
                }
            } else {
                original[Directive.retainKeys] = rk
            }
            return
        }
        guard case .array(let list) = rk else { throw PatchFailure.badRetainKeys }
        let keep = Set(list.compactMap(\.stringValue))
        for (k, v) in patch where !v.isNull && !k.hasPrefix(Directive.deleteFromPrimitiveList) && !k.hasPrefix(Directive.setElementOrder) {
            guard keep.contains(k) else { throw PatchFailure.badRetainKeys }
        }
        for k in original.keys where !keep.contains(k) { original[k] = nil }
    }

    /// `$setElementOrder/<list>`: merges the named list now and orders it:
    /// the order list first, then the patch's order, then the live order.
    func applySetElementOrder(_ original: inout JSONObject, _ patch: inout JSONObject, path: [String]) throws {
        for k in patch.keys where k.hasPrefix(Directive.setElementOrder) {
            let orderValue = patch[k]!
            if !mergeParallelList {
                if let existing = original[k] {
                    guard JSONEquality.equal(existing, orderValue) else { throw PatchFailure.badSetElementOrder }
                } else {
                    original[k] = orderValue
                }
            }
            patch[k] = nil
            guard case .array(let order) = orderValue else {
                throw PatchFailure.badArgType(expected: "[]interface {}", orderValue)
            }
            let key = try Directive.listKey(k, prefix: Directive.setElementOrder)
            let fieldPath = path + [key]
            guard let fs = strategy(fieldPath), fs.merge else { continue }  // only merging lists have an order to keep
            var origList: [JSONValue]?
            var patchList: [JSONValue]?
            if let ov = original[key], !ov.isNull {
                guard case .array(let a) = ov else { throw PatchFailure.badArgType(expected: "[]interface {}", ov) }
                origList = a
            }
            if let pv = patch[key] {
                if pv.isNull { continue }  // the list is being removed
                guard case .array(let a) = pv else { throw PatchFailure.badArgType(expected: "[]interface {}", pv) }
                patchList = a
            }
            let mergeKey = fs.mergeKey ?? ""
            try Self.validate(patchList: patchList ?? [], order: order, mergeKey: mergeKey)

            let merged: [JSONValue]
            switch (origList, patchList) {
            case let (o?, nil): merged = o
            case let (nil, p?): merged = applying ? try mergeSlice([], p, mergeKey: fs.mergeKey, isDeleteList: false, path: fieldPath) : p
            case let (o?, p?): merged = try mergeSlice(o, p, mergeKey: fs.mergeKey, isDeleteList: false, path: fieldPath)
            case (nil, nil): continue
            }
            guard let kind = try Self.elementKind([origList ?? [], patchList ?? []]) else {
                original[key] = .array(merged)
                patch[key] = nil
                continue
            }
            let isMap = kind == .object
            let (inOrder, serverOnly) = try Self.partition(merged, by: order, mergeKey: mergeKey, isMap: isMap)
            original[key] = .array(try Self.normalizeElementOrder(inOrder, serverOnly, patchOrder: order,
                                                                   serverOrder: origList ?? [], mergeKey: mergeKey, isMap: isMap))
            patch[key] = nil
        }
    }

    /// Checks that the patch list's items appear in the `$setElementOrder`
    /// list, in the same relative order (deletions aside).
    static func validate(patchList: [JSONValue], order: [JSONValue], mergeKey: String) throws {
        if order.isEmpty || patchList.isEmpty { return }
        var items = patchList
        if !mergeKey.isEmpty { items = try splitDeletions(patchList).kept }
        var pi = 0, si = 0
        while pi < items.count && si < order.count {
            if items[pi].objectValue?[Directive.marker] != nil { pi += 1; continue }
            if try mergeKeyValueEqual(items[pi], order[si], mergeKey: mergeKey) { pi += 1 }
            si += 1
        }
        if pi < items.count && si >= order.count {
            throw PatchFailure(message: "The order in patch list:\n\(GoFormat.string(.array(patchList)))\n doesn't match \(Directive.setElementOrder) list:\n\(GoFormat.string(.array(order)))\n")
        }
    }

    static func mergeKeyValueEqual(_ l: JSONValue, _ r: JSONValue, mergeKey: String) throws -> Bool {
        if mergeKey.isEmpty { return JSONEquality.equal(l, r) }
        guard case .object(let lo) = l else { throw PatchFailure.badArgType(expected: "map[string]interface {}", l) }
        guard case .object(let ro) = r else { throw PatchFailure.badArgType(expected: "map[string]interface {}", r) }
        guard let lv = lo[mergeKey] else { throw PatchFailure.noMergeKey(lo, mergeKey) }
        guard let rv = ro[mergeKey] else { throw PatchFailure.noMergeKey(ro, mergeKey) }
        return JSONEquality.equal(lv, rv)
    }
}
