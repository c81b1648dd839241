/// The `fieldValidation` query parameter of create, update and patch.
public enum FieldValidationDirective: String, Sendable {
    /// Drop unknown fields silently; keep the last of duplicate fields.
    case ignore = "Ignore"
    /// As Ignore, and send a `Warning:` per unknown or duplicate field (the default).
    case warn = "Warn"
    /// Fail the request with every unknown and duplicate field (kubectl's default).
    case strict = "Strict"

    /// The directive named by the parameter: absent or empty is Warn; nil when unsupported.
    public static func parse(_ raw: String?) -> FieldValidationDirective? {
        guard let raw, !raw.isEmpty else { return .warn }
        return FieldValidationDirective(rawValue: raw)
    }

    /// The values kube-apiserver lists when refusing one ("" means the default).
    public static let supportedValues = ["", "Ignore", "Strict", "Warn"]
}

/// kube-apiserver's wording for strict-decoding and decode-type failures.
public enum StrictDecoding {
    /// One error per duplicate and unknown field: `duplicate field "a"`, `unknown field "spec.b"`.
    public static func errors(unknown: [FieldPath], duplicates: [String]) -> [String] {
        duplicates.map { "duplicate field \"\($0)\"" } + unknown.map { "unknown field \"\($0.decoderString)\"" }
    }

    /// `strict decoding error: e1, e2`.
    public static func message(_ errors: [String]) -> String {
        "strict decoding error: " + errors.joined(separator: ", ")
    }

    /// `Pod in version "v1" cannot be handled as a Pod: DETAIL` (a 400 on create and update).
    public static func cannotBeHandled(kind: String, version: String, detail: String) -> String {
        "\(kind) in version \"\(version)\" cannot be handled as a \(kind): \(detail)"
    }

    /// Go's decoder message for a value of the wrong type:
    /// `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`.
    public static func typeErrorDetail(_ m: TypeMismatch) -> String {
        let found = m.found == "boolean" ? "bool" : m.found
        let field = m.path.goFieldString
        if let s = m.goStruct, !field.isEmpty {
            return "json: cannot unmarshal \(found) into Go struct field \(s).\(field) of type \(m.goType)"
        }
        return "json: cannot unmarshal \(found) into Go value of type \(m.goType)"
    }

    /// A custom resource's schema-validation cause for a value of the wrong type.
    public static func typeCause(_ m: TypeMismatch) -> FieldCause {
        let p = m.path.decoderString
        return FieldCause(reason: "FieldValueTypeInvalid", field: p,
                          message: "Invalid value: \"\(m.found)\": \(p) in body must be of type \(m.expected): \"\(m.found)\"")
    }

    /// Server-side apply's refusal of undeclared fields (structured-merge-diff wording).
    public static func notDeclared(_ paths: [FieldPath], namespace: String, name: String, group: String, version: String, kind: String) -> String {
        let lines = paths.map { "\($0.structuredMergeString): field not declared in schema" }
        let detail = lines.count == 1 ? lines[0] : "errors:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
        return "failed to create typed patch object (\(namespace)/\(name); \(group)/\(version), Kind=\(kind)): \(detail)"
    }

    /// A value printed as Go's `%+v` prints a decoded JSON map (`map[a:1 b:[x y]]`),
    /// which kube-apiserver uses to quote a patch in its errors.
    public static func goValueString(_ v: JSONValue) -> String {
        switch v {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.rounded() == d && abs(d) < 1e21 ? String(Int64(d)) : String(d)
        case .string(let s): return s
        case .array(let a): return "[" + a.map(goValueString).joined(separator: " ") + "]"
        case .object(let o):
            return "map[" + o.sorted { $0.key < $1.key }.map { "\($0.key):\(goValueString($0.value))" }.joined(separator: " ") + "]"
        }
    }
}
