/// Who owns a field set: kube's manager identifier (manager name, operation,
/// subresource, and for updates the apiVersion; appliers keep one entry
/// whatever version they apply with).
public struct ManagerID: Hashable, Sendable {
    public var manager: String
    /// "Apply" or "Update".
    public var operation: String
    /// Empty for Apply managers (not part of their identity).
    public var apiVersion: String
    public var subresource: String

    public init(manager: String, operation: String, apiVersion: String, subresource: String = "") {
        self.manager = manager.isEmpty ? "unknown" : manager
        self.operation = operation
        self.apiVersion = operation == "Apply" ? "" : apiVersion
        self.subresource = subresource
    }

    public var isApply: Bool { operation == "Apply" }

    /// The manager as conflict messages print it: `"name"`, plus
    /// ` with subresource "s"`, plus ` using apps/v1` for update managers.
    public var printed: String {
        var s = goQuoted(manager)
        if !subresource.isEmpty { s += " with subresource \(goQuoted(subresource))" }
        if !isApply { s += " using \(apiVersion)" }
        return s
    }
}

/// One metadata.managedFields entry with its field set decoded.
public struct ManagedFieldsEntry: Equatable, Sendable {
    public var id: ManagerID
    /// The apiVersion the set was recorded with.
    public var apiVersion: String
    /// RFC 3339 time of the last change, if recorded.
    public var time: String?
    public var fields: FieldSet

    public init(id: ManagerID, apiVersion: String, time: String?, fields: FieldSet) {
        self.id = id
        self.apiVersion = apiVersion
        self.time = time
        self.fields = fields
    }
}

/// Decoding, encoding and housekeeping of metadata.managedFields.
public enum ManagedFields {
    /// Decodes a managedFields array; throws on entries kube would reject
    /// (bad operation, missing apiVersion, unknown fieldsType, bad fieldsV1).
    public static func decode(_ v: JSONValue?) throws -> [ManagedFieldsEntry] {
        guard let v, !v.isNull else { return [] }
        guard let items = v.arrayValue else { throw FieldsV1Error.notAnObject }
        var out: [ManagedFieldsEntry] = []
        for item in items {
            let op = item["operation"]?.stringValue ?? ""
            guard op == "Apply" || op == "Update" else { throw ManagedFieldsError.badOperation(op) }
            guard let api = item["apiVersion"]?.stringValue, !api.isEmpty else { throw ManagedFieldsError.missingAPIVersion }
            guard item["fieldsType"]?.stringValue == "FieldsV1" else { throw ManagedFieldsError.badFieldsType }
            let fields = try item["fieldsV1"].map(FieldsV1.decode) ?? FieldSet()
            let id = ManagerID(manager: item["manager"]?.stringValue ?? "", operation: op, apiVersion: api,
                               subresource: item["subresource"]?.stringValue ?? "")
            if let i = out.firstIndex(where: { $0.id == id }) {
                out[i].fields = out[i].fields.union(fields)
            } else {
                out.append(ManagedFieldsEntry(id: id, apiVersion: api, time: item["time"]?.stringValue, fields: fields))
            }
        }
        return out
    }

    /// True for a request that clears managedFields (`[]` or `[{}]`), as kube allows.
    public static func isReset(_ v: JSONValue?) -> Bool {
        guard let items = v?.arrayValue else { return false }
        return items.isEmpty || (items.count == 1 && items[0].objectValue?.isEmpty == true)
    }

    /// Encodes entries (empty sets dropped) in kube's order: Apply before
    /// Update, then by time, manager, apiVersion and subresource. Nil when none remain.
    public static func encode(_ entries: [ManagedFieldsEntry]) -> JSONValue? {
        let kept = entries.filter { !$0.fields.isEmpty }.sorted { p, q in
            if p.id.operation != q.id.operation { return p.id.operation < q.id.operation }
            if (p.time ?? "") != (q.time ?? "") { return (p.time ?? "") < (q.time ?? "") }
            if p.id.manager != q.id.manager { return p.id.manager < q.id.manager }
            if p.apiVersion != q.apiVersion { return p.apiVersion < q.apiVersion }
            return p.id.subresource < q.id.subresource
        }
        if kept.isEmpty { return nil }
        return .array(kept.map { e in
            var o = JSONObject()
            o["manager"] = .string(e.id.manager)
            o["operation"] = .string(e.id.operation)
            o["apiVersion"] = .string(e.apiVersion)
            if let t = e.time { o["time"] = .string(t) }
            o["fieldsType"] = "FieldsV1"
            o["fieldsV1"] = FieldsV1.encode(e.fields)
            if !e.id.subresource.isEmpty { o["subresource"] = .string(e.id.subresource) }
            return .object(o)
        })
    }

    /// The most update managers kept; older ones merge into "ancient-changes".
    public static let maxUpdateManagers = 10

    /// Merges the oldest update entries into per-version "ancient-changes"
    /// buckets until at most `maxUpdateManagers` update entries remain.
    public static func capUpdateManagers(_ entries: [ManagedFieldsEntry]) -> [ManagedFieldsEntry] {
        var updaters = entries.filter { !$0.id.isApply }
        guard updaters.count > maxUpdateManagers else { return entries }
        updaters.sort { ($0.time ?? "", $0.id.manager) < ($1.time ?? "", $1.id.manager) }
        var result = entries
        var firstByVersion: [String: ManagerID] = [:]
        var length = updaters.count
        for u in updaters where length > maxUpdateManagers {
            guard let first = firstByVersion[u.apiVersion] else { firstByVersion[u.apiVersion] = u.id; continue }
            let bucket = ManagerID(manager: "ancient-changes", operation: "Update", apiVersion: u.apiVersion)
            if !result.contains(where: { $0.id == bucket }), let i = result.firstIndex(where: { $0.id == first }) {
                result[i].id = bucket
            }
            guard let b = result.firstIndex(where: { $0.id == bucket }) else { continue }
            result[b].fields = result[b].fields.union(u.fields)
            result[b].time = u.time
            result.removeAll { $0.id == u.id }
            length -= 1
        }
        return result
    }

    /// Fields kube never tracks (type meta and server-set metadata).
    public static let untracked: FieldSet = FieldSet(
        [[.field("apiVersion")], [.field("kind")], [.field("metadata")]]
            + ["name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation",
               "managedFields", "resourceVersion"].map { [.field("metadata"), .field($0)] })
}

/// A managedFields entry kube would refuse.
public enum ManagedFieldsError: Error, CustomStringConvertible, Equatable {
    case badOperation(String)
    case missingAPIVersion
    case badFieldsType

    public var description: String {
        switch self {
        case .badOperation: return "operation must be `Apply` or `Update`"
        case .missingAPIVersion: return "apiVersion must not be empty"
        case .badFieldsType: return "fieldsType must be FieldsV1"
        }
    }
}
