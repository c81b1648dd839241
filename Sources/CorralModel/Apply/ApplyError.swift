/// One field another manager owns with a different value than an apply sets.
public struct ApplyConflict: Equatable, Sendable {
    public var manager: ManagerID
    public var path: [PathElement]
}

/// Failures of server-side apply and field-manager bookkeeping.
public enum ApplyError: Error, CustomStringConvertible, Equatable {
    /// A list-map item lacks one of the list's key fields (and it has no default).
    case missingKey(path: [String], index: Int, key: String)
    /// Two items of an applied list-map share a key (`path`: the list, from the root).
    case duplicateKey(path: [PathElement], element: PathElement)
    /// Fields owned by other managers would change (without force).
    case conflicts([ApplyConflict])
    /// The applied configuration carries metadata.managedFields.
    case managedFieldsInPatch
    /// The applied configuration names another apiVersion or kind.
    case versionMismatch(patch: String, expected: String)

    public var description: String {
        switch self {
        case .missingKey(let path, let index, let key):
            let field = path.isEmpty ? "" : "." + path.joined(separator: ".")
            return "\(field): element \(index): associative list with keys has an element that omits key field \"\(key)\" (and doesn't have default value)"
        case .duplicateKey(let path, let pe):
            return "\(path.pathString): duplicate entries for key \(pe.description)"
        case .conflicts(let c): return Self.conflictMessage(c)
        case .managedFieldsInPatch: return "metadata.managedFields must be nil"
        case .versionMismatch(let p, let e):
            return "Incorrect version specified in apply patch. Specified patch version: \(p), expected: \(e)"
        }
    }

    /// The message kube-apiserver words for apply conflicts: one line for a
    /// single conflict, else grouped by manager (sorted).
    static func conflictMessage(_ conflicts: [ApplyConflict]) -> String {
        if conflicts.count == 1 {
            return "Apply failed with 1 conflict: conflict with \(conflicts[0].manager.printed): \(conflicts[0].path.pathString)"
        }
        var byManager: [String: [String]] = [:]
        for c in conflicts { byManager[c.manager.printed, default: []].append(c.path.pathString) }
        var lines: [String] = []
        for m in byManager.keys.sorted() {
            lines.append("conflicts with \(m):")
            lines += byManager[m]!.map { "- \($0)" }
        }
        return "Apply failed with \(conflicts.count) conflicts: " + lines.joined(separator: "\n")
    }

    /// The Status kube-apiserver answers with.
    public var apiError: APIError {
        switch self {
        case .conflicts(let c):
            let causes = c.map {
                FieldCause(reason: "FieldManagerConflict", field: $0.path.pathString, message: "conflict with \($0.manager.printed)")
            }
            return APIError(code: 409, reason: "Conflict", message: description, causes: causes)
        case .managedFieldsInPatch, .versionMismatch:
            return APIError.badRequest(description)
        case .missingKey, .duplicateKey:
            return APIError(code: 500, reason: "InternalError",
                            message: "Internal error occurred: failed to create typed patch object: \(description)")
        }
    }
}
