import Foundation

/// Validates a custom resource against its OpenAPI v3 schema the way
/// kube-apiserver's kube-openapi validator reports it: types, required,
/// enum, numeric bounds, string length and pattern, item counts. Causes are
/// worded as kube converts them into field errors.
public enum SchemaValueValidator {
    /// Every problem of `object` (already pruned and defaulted) under `schema`.
    public static func validate(_ object: JSONValue, schema: JSONValue) -> [FieldCause] {
        var out: [FieldCause] = []
        check(object, schema, path: "", root: true, &out)
        return out
    }

    /// The JSON type name go-openapi reports for a value.
    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double(let d): return d.rounded() == d && abs(d) < 9e15 ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    static func accepts(_ type: String, _ found: String) -> Bool {
        type == found || (type == "number" && found == "integer")
    }

    /// A number as Go's %v prints a float64 bound (1, 0.5, 1e+21).
    static func number(_ v: JSONValue) -> String {
        switch v {
        case .int(let i): return String(i)
        case .double(let d): return d.rounded() == d && abs(d) < 1e21 ? String(Int64(d)) : String(d)
        default: return v.jsonString()
        }
    }

    static func double(_ v: JSONValue) -> Double? {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    private static func check(_ value: JSONValue, _ schema: JSONValue, path: String, root: Bool, _ out: inout [FieldCause]) {
        guard case .object(let s) = schema else { return }
        if value.isNull {
            if s["nullable"]?.boolValue == true || s["type"] == nil { return }
        }
        let found = typeName(value)
        if s["x-kubernetes-int-or-string"]?.boolValue == true {
            if found != "integer" && found != "string" {
                out.append(typeCause(path, expected: "integer,string", found: found))
                return
            }
        } else if let type = s["type"]?.stringValue, !accepts(type, found) {
            out.append(typeCause(path, expected: type, found: found))
            return
        }
        if let e = s["enum"]?.arrayValue, !e.isEmpty, !e.contains(where: { equalValues($0, value) }) {
            out.append(FieldCause(reason: "FieldValueNotSupported", field: path,
                                  message: "Unsupported value: \(value.jsonString()): supported values: " + e.map { $0.jsonString() }.joined(separator: ", ")))
        }
        switch value {
        case .string(let str): string(str, s, path: path, &out)
        case .int, .double: numeric(value, s, path: path, &out)
        case .array(let items):
            if let max = s["maxItems"]?.intValue, items.count > max {
                out.append(FieldCause(reason: "FieldValueTooMany", field: path, message: "Too many: \(items.count): must have at most \(max) items"))
            }
            if let min = s["minItems"]?.intValue, items.count < min {
                out.append(.invalid(path, value, "\(path) in body should have at least \(min) items"))
            }
            if let i = s["items"] {
                for (n, item) in items.enumerated() { check(item, i, path: "\(path)[\(n)]", root: false, &out) }
            }
        case .object(let obj):
            let props = s["properties"]?.objectValue ?? JSONObject()
            for r in (s["required"]?.arrayValue ?? []).compactMap(\.stringValue) where obj[r] == nil || (obj[r]!.isNull && props[r]?["nullable"]?.boolValue != true) {
                out.append(.required(StructuralSchema.child(path, r)))
            }
            for (k, v) in obj {
                if root && (k == "metadata" || k == "apiVersion" || k == "kind") { continue }
                if let p = props[k] {
                    check(v, p, path: StructuralSchema.child(path, k), root: false, &out)
                } else if let a = s["additionalProperties"], a.objectValue != nil {
                    check(v, a, path: StructuralSchema.child(path, k), root: false, &out)
                }
            }
        default:
            break
        }
    }

    static func typeCause(_ path: String, expected: String, found: String) -> FieldCause {
        FieldCause(reason: "FieldValueTypeInvalid", field: path,
                   message: "Invalid value: \"\(found)\": \(path) in body must be of type \(expected): \"\(found)\"")
    }

    private static func string(_ str: String, _ s: JSONObject, path: String, _ out: inout [FieldCause]) {
        let count = str.unicodeScalars.count
        if let max = s["maxLength"]?.intValue, count > max {
            out.append(FieldCause(reason: "FieldValueTooLong", field: path, message: "Too long: may not be more than \(max) \(max == 1 ? "byte" : "bytes")"))
        }
        if let min = s["minLength"]?.intValue, count < min {
            out.append(.invalid(path, .string(str), "\(path) in body should be at least \(min) chars long"))
        }
        if let pattern = s["pattern"]?.stringValue, let re = try? NSRegularExpression(pattern: pattern) {
            let range = NSRange(str.startIndex..., in: str)
            if re.firstMatch(in: str, range: range) == nil {
                out.append(.invalid(path, .string(str), "\(path) in body should match '\(pattern)'"))
            }
        }
    }

    private static func numeric(_ value: JSONValue, _ s: JSONObject, path: String, _ out: inout [FieldCause]) {
        guard let v = double(value) else { return }
        if let maxV = s["maximum"], let max = double(maxV) {
            if s["exclusiveMaximum"]?.boolValue == true, v >= max {
                out.append(.invalid(path, value, "\(path) in body should be less than \(number(maxV))"))
            } else if v > max {
                out.append(.invalid(path, value, "\(path) in body should be less than or equal to \(number(maxV))"))
            }
        }
        if let minV = s["minimum"], let min = double(minV) {
            if s["exclusiveMinimum"]?.boolValue == true, v <= min {
                out.append(.invalid(path, value, "\(path) in body should be greater than \(number(minV))"))
            } else if v < min {
                out.append(.invalid(path, value, "\(path) in body should be greater than or equal to \(number(minV))"))
            }
        }
        if let mV = s["multipleOf"], let m = double(mV), m > 0 {
            let q = v / m
            if q.rounded() != q { out.append(.invalid(path, value, "\(path) in body should be a multiple of \(number(mV))")) }
        }
    }

    /// JSON equality with integers and integral floats equal.
    static func equalValues(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = double(a), let y = double(b) { return x == y }
        return a == b
    }
}
