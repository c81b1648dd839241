import Foundation

/// The checks kube-apiserver makes on a CRD version's `openAPIV3Schema`:
/// the schema must be structural (every specified field typed, object at
/// the root, metadata limited to name/generateName) and use only the
/// supported subset of OpenAPI v3.
enum CRDSchemaRules {
    static let types: Set<String> = ["array", "boolean", "integer", "number", "object", "string"]
    static let unsupported = [("id", "id"), ("additionalItems", "additionalItems"), ("patternProperties", "patternProperties"),
                              ("definitions", "definitions"), ("dependencies", "dependencies"), ("$ref", "$ref")]
    /// Members the root may hold when the status subresource is enabled.
    static let allowedAtRootWithStatus: Set<String> = [
        "description", "type", "format", "title", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf", "required",
        "items", "properties", "externalDocs", "example", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations",
    ]
    static let allowedNames = "[Description Type Format Title Maximum ExclusiveMaximum Minimum ExclusiveMinimum MaxLength MinLength Pattern MaxItems MinItems UniqueItems MultipleOf Required Items Properties ExternalDocs Example XPreserveUnknownFields XValidations]"

    enum Level { case root, field, item }

    /// Problems of `schema`, the openAPIV3Schema at `path`.
    static func validate(_ schema: JSONValue, path: String, statusSubresource: Bool) -> [FieldCause] {
        guard case .object(let root) = schema else {
            return [.invalid(path, schema, "must be an object")]
        }
        var out: [FieldCause] = []
        if statusSubresource {
            if let t = root["type"]?.stringValue, t != "object" {
                out.append(.invalid("\(path).type", .string(t), "only \"object\" is allowed as the type at the root of the schema if the status subresource is enabled"))
            } else if root.keys.contains(where: { !allowedAtRootWithStatus.contains($0) }) {
                out.append(.invalid(path, schema, "only \(allowedNames) fields are allowed at the root of the schema if the status subresource is enabled"))
            }
        }
        if root["nullable"]?.boolValue == true { out.append(.forbidden("\(path).nullable", "nullable cannot be true at the root")) }
        out += node(schema, level: .root, path: path)
        return out
    }

    static func node(_ s: JSONValue, level: Level, path: String) -> [FieldCause] {
        guard case .object(let o) = s else { return [] }
        var out: [FieldCause] = []
        let type = o["type"]?.stringValue ?? ""
        let preserve = o["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
        let intOrString = o["x-kubernetes-int-or-string"]?.boolValue == true
        let embedded = o["x-kubernetes-embedded-resource"]?.boolValue == true
        if !type.isEmpty && !types.contains(type) {
            out.append(.notSupported("\(path).type", .string(type), types.sorted()))
        }
        for (key, name) in unsupported where o[key] != nil {
            out.append(.forbidden("\(path).\(key)", "\(name) is not supported"))
        }
        if o["uniqueItems"]?.boolValue == true {
            out.append(.forbidden("\(path).uniqueItems", "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
        }
        if let p = o["x-kubernetes-preserve-unknown-fields"], p.boolValue != true {
            out.append(.invalid("\(path).x-kubernetes-preserve-unknown-fields", p, "must be true or undefined"))
        }
        if embedded && type != "object" {
            out.append(type.isEmpty ? .required("\(path).type", "must be object if x-kubernetes-embedded-resource is true")
                                    : .invalid("\(path).type", .string(type), "must be object if x-kubernetes-embedded-resource is true"))
        } else if type.isEmpty && !intOrString && !preserve {
            switch level {
            case .root: out.append(.required("\(path).type", "must not be empty at the root"))
            case .item: out.append(.required("\(path).type", "must not be empty for specified array items"))
            case .field: out.append(.required("\(path).type", "must not be empty for specified object fields"))
            }
        }
        if level == .root && !type.isEmpty && type != "object" {
            out.append(.invalid("\(path).type", .string(type), "must be object at the root"))
        }
        let props = o["properties"]?.objectValue ?? JSONObject()
        if let a = o["additionalProperties"] {
            if !props.isEmpty && (a.boolValue == false || a.objectValue != nil) {
                out.append(.forbidden("\(path).additionalProperties", "additionalProperties and properties are mutual exclusive"))
            }
            if level == .root { out.append(.forbidden("\(path).additionalProperties", "must not be used at the root")) }
            if a.objectValue != nil { out += node(a, level: .field, path: "\(path).additionalProperties") }
        }
        if type == "array" && o["items"] == nil { out.append(.required("\(path).items", "must be specified")) }
        if let items = o["items"] {
            if items.arrayValue != nil {
                out.append(.forbidden("\(path).items", "items must be a schema object and not an array"))
            } else {
                out += node(items, level: .item, path: "\(path).items")
            }
        }
        if let pattern = o["pattern"]?.stringValue, (try? NSRegularExpression(pattern: pattern)) == nil {
            out.append(.invalid("\(path).pattern", .string(pattern), "must be a valid regular expression, but isn't: error parsing regexp"))
        }
        let checkMeta = level == .root || embedded
        for (k, v) in props {
            let p = "\(path).properties[\(k)]"
            if checkMeta && (k == "kind" || k == "apiVersion"), let t = v["type"]?.stringValue, t != "string" {
                out.append(.invalid("\(p).type", .string(t), "must be string"))
            }
            if k == "metadata" && checkMeta { out += metadata(v, root: level == .root, path: p) }
            out += node(v, level: .field, path: p)
        }
        // int-or-string fields spell their two types as anyOf (kube's one exception).
        for key in ["allOf", "anyOf", "oneOf"] where !(intOrString && key != "oneOf") {
            for (i, sub) in (o[key]?.arrayValue ?? []).enumerated() {
                out += nested(sub, path: "\(path).\(key)[\(i)]")
            }
        }
        if let not = o["not"] { out += nested(not, path: "\(path).not") }
        return out
    }

    /// Root metadata may only restrict name and generateName.
    static func metadata(_ s: JSONValue, root: Bool, path: String) -> [FieldCause] {
        var out: [FieldCause] = []
        if let t = s["type"]?.stringValue, t != "object" { out.append(.invalid("\(path).type", .string(t), "must be object")) }
        guard root, case .object(let o) = s else { return out }
        let props = Set(o["properties"]?.objectValue?.keys ?? [])
        let extra = o.keys.filter { !["type", "properties", "description"].contains($0) }
        if !extra.isEmpty || !props.subtracting(["name", "generateName"]).isEmpty {
            out.append(.forbidden(path, "must not specify anything other than name and generateName, but metadata is implicitly specified"))
        }
        return out
    }

    /// Value validations inside allOf/anyOf/oneOf/not may not declare structure.
    static func nested(_ s: JSONValue, path: String) -> [FieldCause] {
        guard case .object(let o) = s else { return [] }
        var out: [FieldCause] = []
        for (key, what) in [("type", "must be empty to be structural"), ("additionalProperties", "must be undefined to be structural"),
                            ("default", "must be undefined to be structural"), ("description", "must be empty to be structural"),
                            ("nullable", "must be false to be structural"),
                            ("x-kubernetes-preserve-unknown-fields", "must be false to be structural"),
                            ("x-kubernetes-embedded-resource", "must be false to be structural")] where o[key] != nil {
            if key == "nullable" && o[key]?.boolValue == false { continue }
            out.append(.forbidden("\(path).\(key)", what))
        }
        for (k, v) in o["properties"]?.objectValue ?? JSONObject() { out += nested(v, path: "\(path).properties[\(k)]") }
        if let items = o["items"] { out += nested(items, path: "\(path).items") }
        return out
    }
}
