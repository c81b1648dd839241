/// The annotation client-side `kubectl apply` keeps its last configuration in.
public let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

/// The outcome of a server-side apply.
public struct ApplyResult: Equatable, Sendable {
    /// The merged object (managedFields not set; see `managed`).
    public var object: JSONValue
    /// The managedFields entries to store.
    public var managed: [ManagedFieldsEntry]
    /// Whether the object's content (not just ownership) changed.
    public var changed: Bool
}

extension FieldManager {
    /// Applies `config` as `manager` onto `live` (nil when the object does
    /// not exist yet). Fields another manager owns with a different value are
    /// conflicts unless `force`; fields `manager` applied last time and
    /// dropped now are removed when nobody else owns them. kubectl's own
    /// manager ("kubectl") may take over fields client-side apply recorded
    /// in the last-applied annotation, and keeps that annotation current.
    public func apply(live: JSONValue?, config: JSONValue, managed: [ManagedFieldsEntry], manager: String,
                      force: Bool) throws -> ApplyResult {
        if config[path: ["metadata", "managedFields"]] != nil { throw ApplyError.managedFieldsInPatch }
        do {
            return try applyOnce(live: live, config: config, managed: managed, manager: manager, force: force)
        } catch ApplyError.conflicts(let conflicts) where manager == "kubectl" && !force {
            let allowed = try Self.ownedByLastApplied(live, schema: schema)
            let remaining = conflicts.filter { !allowed.contains($0.path) }
            if !remaining.isEmpty { throw ApplyError.conflicts(remaining) }
            return try applyOnce(live: live, config: config, managed: managed, manager: manager, force: true)
        }
    }

    private func applyOnce(live: JSONValue?, config: JSONValue, managed: [ManagedFieldsEntry], manager: String,
                           force: Bool) throws -> ApplyResult {
        let id = ManagerID(manager: manager, operation: "Apply", apiVersion: apiVersion, subresource: subresource)
        let liveClean = Self.withoutManagedFields(live)
        let fullSet = FieldWalk.filter(try FieldWalk.fieldSet(of: config, schema: schema, rejectingDuplicates: true), ignored)
        let applied = fullSet.difference(ManagedFields.untracked)
        var merged = try ApplyMerge.merge(liveClean, config, schema: schema)

        var entries = managed
        let previous = entries.first { $0.id == id }
        let others = entries.filter { $0.id != id }.reduce(FieldSet()) { $0.union($1.fields) }
        if let last = previous?.fields, !last.isEmpty {
            merged = try ApplyMerge.removing(Self.pruneSet(last: last, keep: fullSet.union(others)), from: merged, schema: schema)
        }

        let cmp = try FieldWalk.compare(liveClean, merged, schema: schema).excluding(ignored)
        let changed = cmp.modified.union(cmp.added)
        var conflicts: [ApplyConflict] = []
        for e in entries.sorted(by: { $0.id.printed < $1.id.printed }) where e.id != id {
            conflicts += e.fields.intersection(changed).paths.map { ApplyConflict(manager: e.id, path: $0) }
        }
        if !conflicts.isEmpty && !force { throw ApplyError.conflicts(conflicts) }
        for i in entries.indices where entries[i].id != id {
            entries[i].fields = entries[i].fields.difference(changed).difference(cmp.removed)
        }
        let contentChanged = !cmp.isSame || merged != liveClean
        let time = contentChanged || previous?.time == nil ? now : previous?.time
        let entry = ManagedFieldsEntry(id: id, apiVersion: apiVersion, time: time, fields: applied)
        if let i = entries.firstIndex(where: { $0.id == id }) { entries[i] = entry } else { entries.append(entry) }

        if manager == "kubectl", let live, Self.hasLastApplied(live) {
            merged.set(path: ["metadata", "annotations", lastAppliedAnnotation], to: .string(Self.lastAppliedText(config)))
        }
        return ApplyResult(object: merged, managed: entries.filter { !$0.fields.isEmpty }, changed: contentChanged)
    }

    /// The paths to remove: every node of the last applied set that no path
    /// of `keep` (the new configuration and all other managers) is at or below.
    /// Metadata itself and untracked fields are never removed.
    static func pruneSet(last: FieldSet, keep: FieldSet) -> FieldSet {
        var out = FieldSet()
        for p in last.allNodes where !keep.containsPrefix(p) {
            if p == [.field("metadata")] || ManagedFields.untracked.contains(p) { continue }
            if (1..<max(p.count, 1)).contains(where: { out.contains(Array(p.prefix($0))) }) { continue }
            out.insert(p)
        }
        return out
    }

    static func hasLastApplied(_ obj: JSONValue) -> Bool {
        !(obj[path: ["metadata", "annotations", lastAppliedAnnotation]]?.stringValue ?? "").isEmpty
    }

    /// The annotation text: the configuration without the annotation, keys sorted (as Go encodes maps).
    static func lastAppliedText(_ config: JSONValue) -> String {
        var c = config
        if c[path: ["metadata", "annotations", lastAppliedAnnotation]] != nil {
            c.set(path: ["metadata", "annotations", lastAppliedAnnotation], to: nil)
        }
        // Go's JSON encoder ends the document with a newline.
        return sortedKeys(c).jsonString() + "\n"
    }

    static func sortedKeys(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o): return .object(JSONObject(o.keys.sorted().map { ($0, sortedKeys(o[$0]!)) }))
        case .array(let a): return .array(a.map(sortedKeys))
        default: return v
        }
    }

    /// Fields client-side apply set (per the last-applied annotation) that
    /// still hold the value it set: kubectl's server-side apply may take them
    /// over without a conflict.
    static func ownedByLastApplied(_ live: JSONValue?, schema: ApplySchema) throws -> FieldSet {
        guard let live, let text = live[path: ["metadata", "annotations", lastAppliedAnnotation]]?.stringValue, !text.isEmpty,
              let last = try? JSONParser.parse(text), last["apiVersion"] == live["apiVersion"] else { return FieldSet() }
        let set = try FieldWalk.fieldSet(of: last, schema: schema)
        let cmp = try FieldWalk.compare(last, withoutManagedFields(live), schema: schema)
        return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed)
    }
}
