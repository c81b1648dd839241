/// One field-level problem, as `details.causes[]` of an Invalid Status.
public struct FieldCause: Equatable, Sendable {
    /// Kubernetes' cause type: FieldValueRequired, FieldValueInvalid, FieldValueDuplicate,
    /// FieldValueNotSupported, FieldValueTooLong, FieldValueForbidden, FieldValueTypeInvalid.
    public var reason: String
    /// JSON path of the field, e.g. `spec.containers[0].image`.
    public var field: String
    /// The detail after the field, e.g. `Required value` or `Invalid value: "x": must be ...`.
    public var message: String

    public init(reason: String, field: String, message: String) {
        self.reason = reason
        self.field = field
        self.message = message
    }

    public static func required(_ field: String, _ detail: String = "") -> FieldCause {
        FieldCause(reason: "FieldValueRequired", field: field, message: detail.isEmpty ? "Required value" : "Required value: \(detail)")
    }

    public static func invalid(_ field: String, _ value: JSONValue, _ detail: String) -> FieldCause {
        FieldCause(reason: "FieldValueInvalid", field: field, message: "Invalid value: \(value.jsonString()): \(detail)")
    }

    public static func notSupported(_ field: String, _ value: JSONValue, _ allowed: [String]) -> FieldCause {
        FieldCause(reason: "FieldValueNotSupported", field: field,
                   message: "Unsupported value: \(value.jsonString()): supported values: \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
    }

    public static func duplicate(_ field: String, _ value: JSONValue) -> FieldCause {
        FieldCause(reason: "FieldValueDuplicate", field: field, message: "Duplicate value: \(value.jsonString())")
    }

    public static func forbidden(_ field: String, _ detail: String) -> FieldCause {
        FieldCause(reason: "FieldValueForbidden", field: field, message: "Forbidden: \(detail)")
    }

    public static func typeInvalid(_ field: String, _ value: JSONValue, _ detail: String) -> FieldCause {
        FieldCause(reason: "FieldValueTypeInvalid", field: field, message: "Invalid value: \(value.jsonString()): \(detail)")
    }

    /// "field: message", the way kube-apiserver joins them in the Status message.
    public var rendered: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// An API failure, rendered as a `metav1.Status` in exactly one place (the
/// API server's response writer). Every error path in the project ends here.
public struct APIError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Int
    public var reason: String
    public var message: String
    public var name: String?
    public var group: String?
    /// `details.kind`: the resource plural for NotFound/AlreadyExists/Conflict, the Kind for Invalid.
    public var kind: String?
    public var causes: [FieldCause] = []
    public var retryAfterSeconds: Int?

    public init(code: Int, reason: String, message: String, name: String? = nil, group: String? = nil,
                kind: String? = nil, causes: [FieldCause] = []) {
        self.code = code
        self.reason = reason
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
    }

    public var description: String { "\(code) \(reason): \(message)" }

    /// The `metav1.Status` body.
    public var status: JSONValue {
        var s: JSONValue = ["kind": "Status", "apiVersion": "v1", "metadata": .object(JSONObject()),
                            "status": "Failure", "message": .string(message), "reason": .string(reason)]
        var details = JSONObject()
        if let name { details["name"] = .string(name) }
        if let group { details["group"] = .string(group) }
        if let kind { details["kind"] = .string(kind) }
        if !causes.isEmpty {
            details["causes"] = .array(causes.map {
                ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)]
            })
        }
        if let retryAfterSeconds { details["retryAfterSeconds"] = .int(Int64(retryAfterSeconds)) }
        if !details.isEmpty { s["details"] = .object(details) }
        s["code"] = .int(Int64(code))
        return s
    }

    // MARK: constructors worded as kube-apiserver words them

    public static func notFound(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(type.qualifiedResource) \"\(name)\" not found",
                 name: name, group: type.group.isEmpty ? nil : type.group, kind: type.resource)
    }

    public static func alreadyExists(_ type: ResourceType, _ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists", message: "\(type.qualifiedResource) \"\(name)\" already exists",
                 name: name, group: type.group.isEmpty ? nil : type.group, kind: type.resource)
    }

    public static func conflict(_ type: ResourceType, _ name: String, _ detail: String =
                                "the object has been modified; please apply your changes to the latest version and try again") -> APIError {
        APIError(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(type.qualifiedResource) \"\(name)\": \(detail)",
                 name: name, group: type.group.isEmpty ? nil : type.group, kind: type.resource)
    }

    public static func invalid(_ type: ResourceType, _ name: String, _ causes: [FieldCause]) -> APIError {
        let list = causes.map(\.rendered)
        let joined = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        return APIError(code: 422, reason: "Invalid", message: "\(type.kind) \"\(name)\" is invalid: \(joined)",
                        name: name, group: type.group.isEmpty ? nil : type.group, kind: type.kind, causes: causes)
    }

    public static func badRequest(_ message: String, causes: [FieldCause] = []) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message, causes: causes)
    }

    public static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    public static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Gone", message: message)
    }

    public static func unauthorized() -> APIError {
        APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")
    }

    public static func forbidden(user: String, verb: String, type: ResourceType?, resource: String, namespace: String?, name: String?) -> APIError {
        var msg = "User \"\(user)\" cannot \(verb) resource \"\(resource)\""
        if let type { msg += " in API group \"\(type.group)\"" }
        if let namespace { msg += " in the namespace \"\(namespace)\"" } else { msg += " at the cluster scope" }
        let full = (name.map { "\(resource) \"\($0)\" is forbidden: " } ?? "\(resource) is forbidden: ") + msg
        return APIError(code: 403, reason: "Forbidden", message: full, name: name, group: type?.group, kind: resource)
    }

    public static func tooLarge(limit: Int) -> APIError {
        APIError(code: 413, reason: "RequestEntityTooLarge", message: "Request entity too large: limit is \(limit)")
    }

    public static func notFoundPath() -> APIError {
        var e = APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        e.causes = [FieldCause(reason: "UnexpectedServerResponse", field: "", message: "404 page not found")]
        return e
    }

    public static func methodNotAllowed() -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
    }

    public static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got \(contentType))")
    }

    public static func notAcceptable(_ message: String) -> APIError {
        APIError(code: 406, reason: "NotAcceptable", message: message)
    }

    public static func internalError(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }

    public static func timeout(_ message: String) -> APIError {
        APIError(code: 504, reason: "Timeout", message: message)
    }
}
