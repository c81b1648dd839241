import CorralModel
import Foundation

/// Records metadata.managedFields for the writes clients make through the
/// REST handlers (create, update, non-apply patch, scale): the fields a
/// write changed become owned by its field manager, as kube-apiserver does.
/// In-process writers (controllers, the node agent) are recorded under the
/// manager `ObjectService.internalManager` names for their task.
struct ManagedFieldsRecorder {
    let type: ResourceType
    /// "" for the main resource, else "status" or "scale".
    let subresource: String
    let manager: String
    let now: Date

    init(_ ctx: RequestContext, subresource: String? = nil) {
        self.init(type: ctx.type, subresource: subresource ?? ctx.info.subresource ?? "", manager: Self.manager(ctx))
    }

    init(type: ResourceType, subresource: String, manager: String) {
        self.type = type
        self.subresource = subresource
        self.manager = manager
        now = Date()
    }

    /// `?fieldManager=`, else what kube derives from the User-Agent: the
    /// product name before the first "/", printable characters only, at most 128 bytes.
    static func manager(_ ctx: RequestContext) -> String {
        if let m = ctx.param("fieldManager"), !m.isEmpty { return m }
        return userAgentPrefix(ctx.request.headers.first(name: "User-Agent") ?? "")
    }

    /// kube's ValidateFieldManager on `?fieldManager=`: at most 128 bytes, printable
    /// characters only; a 422 naming the verb's options kind (CreateOptions, ...).
    static func validateFieldManager(_ ctx: RequestContext) throws {
        guard let m = ctx.param("fieldManager"), !m.isEmpty else { return }
        let optionsKind = ["create": "CreateOptions", "update": "UpdateOptions", "patch": "PatchOptions"][ctx.info.verb] ?? "Options"
        var causes: [FieldCause] = []
        if m.utf8.count > 128 {
            causes.append(FieldCause(reason: "FieldValueTooLong", field: "fieldManager", message: "Too long: may not be more than 128 bytes"))
        }
        for (i, ch) in m.unicodeScalars.enumerated() where ch.properties.generalCategory == .control {
            let code = "U+" + String(format: "%04X", ch.value)
            causes.append(.invalid("fieldManager", .string(m), "invalid character \(code) (at position \(i))"))
        }
        guard !causes.isEmpty else { return }
        let list = causes.map(\.rendered)
        let joined = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        throw APIError(code: 422, reason: "Invalid", message: "\(optionsKind).meta.k8s.io \"\" is invalid: \(joined)",
                       name: "", group: "meta.k8s.io", kind: optionsKind, causes: causes)
    }

    static func userAgentPrefix(_ ua: String) -> String {
        var out = ""
        for ch in ua.prefix(while: { $0 != "/" }) where !ch.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            if out.utf8.count + String(ch).utf8.count > 128 { break }
            out.append(ch)
        }
        return out
    }

    /// The field manager of this write's type and endpoint.
    func fieldManager() -> FieldManager {
        FieldManager(schema: ApplySchema.forKind(storageKey: type.storageKey, group: type.group, version: type.version, kind: type.kind),
                     apiVersion: type.apiVersion, subresource: subresource,
                     hasStatusSubresource: type.subresources.contains("status"), now: ObjectLifecycle.timestamp(now))
    }

    /// The write hook for ObjectService: `new` (about to be stored) with
    /// managedFields updated for the change from `old` (nil on create).
    /// Never fails the write: on a bookkeeping error the previous entries stay.
    var hook: ObjectService.WriteHook {
        { old, new in self.record(old: old, new: new) }
    }

    func record(old: JSONValue?, new: JSONValue) -> JSONValue {
        let (baseJSON, base) = baseEntries(old: old, new: new)
        var out = new
        do {
            let entries = try fieldManager().update(live: old, new: new, managed: base, manager: manager)
            // Unchanged ownership keeps the stored JSON as is, so a no-op write stays a no-op.
            out.set(path: ["metadata", "managedFields"], to: entries == base ? baseJSON : ManagedFields.encode(entries))
        } catch {
            out.set(path: ["metadata", "managedFields"], to: old?[path: ["metadata", "managedFields"]])
        }
        return out
    }

    /// The entries to start from: the request's own managedFields when it
    /// sets them (a reset with `[]` clears them), else the stored ones.
    func baseEntries(old: JSONValue?, new: JSONValue) -> (JSONValue?, [ManagedFieldsEntry]) {
        let stored = old?[path: ["metadata", "managedFields"]]
        let sent = new[path: ["metadata", "managedFields"]]
        if subresource.isEmpty {
            if ManagedFields.isReset(sent) { return (nil, []) }
            if let sent, let entries = try? ManagedFields.decode(sent), !entries.isEmpty { return (sent, entries) }
        }
        return (stored, (try? ManagedFields.decode(stored)) ?? [])
    }
}
