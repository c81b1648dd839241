/// Server-side field management for one write, the way kube-apiserver's
/// field manager (structured-merge-diff) does it: `apply` merges an applied
/// configuration with ownership, conflicts and removal of fields the
/// applier dropped; `update` records which fields a create/update/patch
/// changed. Pure: the caller passes the time and stores the result.
public struct FieldManager: Sendable {
    public let schema: ApplySchema
    /// The group/version written, e.g. "apps/v1".
    public let apiVersion: String
    /// "" for the main resource, else "status" or "scale".
    public let subresource: String
    /// Whether the type has a status subresource (then the main resource ignores status).
    public let hasStatusSubresource: Bool
    /// RFC 3339 time recorded on changed entries.
    public let now: String

    public init(schema: ApplySchema, apiVersion: String, subresource: String = "", hasStatusSubresource: Bool, now: String) {
        self.schema = schema
        self.apiVersion = apiVersion
        self.subresource = subresource
        self.hasStatusSubresource = hasStatusSubresource
        self.now = now
    }

    /// Fields an endpoint resets and therefore never records (kube's reset fields).
    func ignored(_ path: [PathElement]) -> Bool {
        let inStatus = path.first == .field("status")
        if subresource == "status" { return !inStatus }
        return subresource.isEmpty && hasStatusSubresource && inStatus
    }

    static func withoutManagedFields(_ v: JSONValue?) -> JSONValue {
        var o = v ?? .object(JSONObject())
        if o[path: ["metadata", "managedFields"]] != nil { o.set(path: ["metadata", "managedFields"], to: nil) }
        return o
    }

    // MARK: update

    /// The entries after a non-apply write by `manager` turned `live` (nil on
    /// create) into `new`: changed fields move to `manager`, removed fields
    /// leave every set, and empty entries disappear.
    public func update(live: JSONValue?, new: JSONValue, managed: [ManagedFieldsEntry], manager: String) throws -> [ManagedFieldsEntry] {
        let id = ManagerID(manager: manager, operation: "Update", apiVersion: apiVersion, subresource: subresource)
        let cmp = try FieldWalk.compare(Self.withoutManagedFields(live), Self.withoutManagedFields(new), schema: schema)
            .excluding(ignored)
        let changed = cmp.modified.union(cmp.added)
        var entries = managed.map { e -> ManagedFieldsEntry in
            var e = e
            e.fields = e.fields.difference(changed).difference(cmp.removed)
            return e
        }
        let current = dropStructNodes(changed).difference(ManagedFields.untracked)
        if !current.isEmpty {
            if let i = entries.firstIndex(where: { $0.id == id }) {
                entries[i].fields = entries[i].fields.union(current)
                entries[i].time = now
            } else {
                entries.append(ManagedFieldsEntry(id: id, apiVersion: apiVersion, time: now, fields: current))
            }
        }
        return ManagedFields.capUpdateManagers(entries.filter { !$0.fields.isEmpty })
    }

    /// `set` without members that are struct (or required) fields which also
    /// have members below them. kube compares against a zero-valued typed
    /// object, so such always-present fields are never "added" there.
    func dropStructNodes(_ set: FieldSet) -> FieldSet {
        var out = FieldSet()
        walkNodes(set, schema, []) { path, isMember, hasChildren, parent in
            guard isMember else { return }
            if hasChildren, let last = path.last, last.kind == .field, parent.isStructValue(last.text) { return }
            out.insert(path)
        }
        return out
    }

    private func walkNodes(_ set: FieldSet, _ s: ApplySchema, _ prefix: [PathElement],
                           _ visit: ([PathElement], Bool, Bool, ApplySchema) -> Void) {
        for pe in set.members.union(set.children.keys) {
            let path = prefix + [pe]
            visit(path, set.members.contains(pe), set.children[pe] != nil, s)
            if let sub = set.children[pe] {
                walkNodes(sub, pe.kind == .field ? s.field(pe.text) : s.item(), path, visit)
            }
        }
    }
}

extension ApplySchema {
    /// True when member `name` here is a declared field that a zero-valued Go
    /// object always carries: a struct (not a map or list), or a required field.
    func isStructValue(_ name: String) -> Bool {
        guard let n = node, n.property(name) != nil, let child = field(name).node else { return false }
        if n.required.contains(name) { return true }
        return !child.properties.isEmpty && child.additionalProperties == nil
    }
}
