import CorralModel
import Foundation
import Yams

/// Turns request bodies into JSON values: JSON as is, YAML via Yams.
/// Every failure is a 400 Status naming what was wrong.
enum BodyDecoding {
    /// Decodes a body according to its Content-Type.
    static func decode(_ body: [UInt8], contentType: String?) throws -> JSONValue {
        let ct = (contentType ?? "application/json").lowercased()
        if body.isEmpty { throw APIError.badRequest("the request body is empty") }
        if ct.contains("yaml") { return try decodeYAML(body) }
        if ct.contains("protobuf") {
            do {
                return try KubeProtobuf.decode(body)
            } catch {
                throw APIError.badRequest("error decoding protobuf request body: \(error)")
            }
        }
        return try decodeJSON(body)
    }

    static func decodeJSON(_ body: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch let e as JSONParseError {
            throw APIError.badRequest("error decoding request body: \(e.description)")
        }
    }

    static func decodeYAML(_ body: [UInt8]) throws -> JSONValue {
        // Yams' parser recurses: bound nesting before handing it over.
        var depth = 0, maxDepth = 0
        for c in body {
            if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { depth += 1; maxDepth = max(maxDepth, depth) }
            if c == UInt8(ascii: "]") || c == UInt8(ascii: "}") { depth -= 1 }
        }
        if maxDepth > JSONParser.defaultMaxDepth { throw APIError.badRequest("error converting YAML to JSON: nesting too deep") }
        // Block nesting shows as indentation; bound it the same way.
        var indent = 0, atLineStart = true
        for c in body {
            if c == 0x0A { atLineStart = true; indent = 0; continue }
            if atLineStart && (c == 0x20 || c == UInt8(ascii: "-")) {
                indent += 1
                if indent > 2 * JSONParser.defaultMaxDepth { throw APIError.badRequest("error converting YAML to JSON: nesting too deep") }
            } else {
                atLineStart = false
            }
        }
        let text = String(decoding: body, as: UTF8.self)
        do {
            guard let node = try Yams.compose(yaml: text) else { throw APIError.badRequest("error converting YAML to JSON: empty document") }
            return try convert(node, depth: 0)
        } catch let e as APIError {
            throw e
        } catch {
            throw APIError.badRequest("error converting YAML to JSON: \(error)")
        }
    }

    private static func convert(_ node: Node, depth: Int) throws -> JSONValue {
        if depth > JSONParser.defaultMaxDepth { throw APIError.badRequest("error converting YAML to JSON: nesting too deep") }
        switch node {
        case .scalar(let s):
            return scalar(s)
        case .mapping(let m):
            var o = JSONObject()
            for (k, v) in m {
                guard case .scalar(let ks) = k else { throw APIError.badRequest("error converting YAML to JSON: non-scalar key") }
                o[ks.string] = try convert(v, depth: depth + 1)
            }
            return .object(o)
        case .sequence(let seq):
            return .array(try seq.map { try convert($0, depth: depth + 1) })
        @unknown default:
            throw APIError.badRequest("error converting YAML to JSON: unsupported YAML node")
        }
    }

    /// YAML 1.1-ish scalar resolution as sigs.k8s.io/yaml applies it to plain scalars.
    private static func scalar(_ s: Node.Scalar) -> JSONValue {
        if s.style != .plain { return .string(s.string) }
        let v = s.string
        switch v {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let i = Int64(v) { return .int(i) }
        if v.first.map({ $0.isNumber || $0 == "-" || $0 == "." || $0 == "+" }) == true, let d = Double(v), d.isFinite { return .double(d) }
        return .string(v)
    }
}
