/// RFC 6902 JSON Patch, with the leniencies of the library kube-apiserver
/// uses (evanphx/json-patch v4): a missing `value` means null, negative array
/// indices count from the end, and `test` of a missing path against null passes.
extension Patch {
    /// Applies an RFC 6902 JSON Patch (`application/json-patch+json`).
    /// Legal for every type. A malformed patch (not an array of objects) is a
    /// 400 BadRequest; an operation that cannot be applied (missing path,
    /// failed `test`, bad index, unknown op) is a 422 with kube-apiserver's
    /// generic "the server rejected our request due to an error in our request".
    public static func applyJSONPatch(_ patch: JSONValue, to doc: JSONValue) throws -> JSONValue {
        do {
            return try JSONPatchEngine.apply(patch, to: doc)
        } catch let f as PatchFailure {
            throw f.apiError
        }
    }
}

/// The JSON Patch engine; failures carry the upstream library's detail text.
enum JSONPatchEngine {
    static func apply(_ patch: JSONValue, to doc: JSONValue) throws -> JSONValue {
        guard case .array(let ops) = patch else {
            throw PatchFailure(message: "json: cannot unmarshal \(goJSONKind(patch)) into Go value of type jsonpatch.Patch")
        }
        var objects: [JSONObject] = []
        for op in ops {
            guard case .object(let o) = op else {
                throw PatchFailure(message: "json: cannot unmarshal \(goJSONKind(op)) into Go value of type jsonpatch.Operation")
            }
            objects.append(o)
        }
        if objects.count > Patch.maxJSONPatchOperations {
            throw PatchFailure(message: "The allowed maximum operations in a JSON patch is \(Patch.maxJSONPatchOperations), got \(objects.count)", code: 413)
        }
        var result = doc
        for op in objects { try applyOne(op, to: &result) }
        return result
    }

    /// Go's name for a JSON value's kind in `json.Unmarshal` type errors.
    static func goJSONKind(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "bool"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    static func fail(_ message: String) -> PatchFailure { PatchFailure(message: message, code: 422) }

    static func stringField(_ op: JSONObject, _ name: String) throws -> String {
        guard let v = op[name], !v.isNull else { throw fail("operation missing \(name) field: missing value") }
        guard case .string(let s) = v else {
            throw fail("json: cannot unmarshal \(goJSONKind(v)) into Go value of type string")
        }
        return s
    }

    static func applyOne(_ op: JSONObject, to doc: inout JSONValue) throws {
        let kind = op["op"]?.stringValue ?? "unknown"
        switch kind {
        case "add":
            let path = try stringField(op, "path")
            try add(&doc, try JSONPointer(path), op["value"] ?? .null, opName: "add", path: path)
        case "remove":
            let path = try stringField(op, "path")
            _ = try remove(&doc, try JSONPointer(path), opName: "remove", path: path)
        case "replace":
            let path = try stringField(op, "path")
            try replace(&doc, try JSONPointer(path), op["value"] ?? .null, path: path)
        case "move":
            let from = try stringField(op, "from")
            let path = try stringField(op, "path")
            let fromPtr = try JSONPointer(from), toPtr = try JSONPointer(path)
            if fromPtr.tokens == toPtr.tokens { return }
            if toPtr.tokens.count > fromPtr.tokens.count && Array(toPtr.tokens.prefix(fromPtr.tokens.count)) == fromPtr.tokens {
                throw fail("move operation does not apply: from \(from) is a prefix of path \(path)")
            }
            guard fromPtr.get(doc) != nil else {
                throw fail("move operation does not apply: doc is missing from path: \(from): missing value")
            }
            let value = try remove(&doc, fromPtr, opName: "move", path: from, missingWord: "from path")
            try add(&doc, toPtr, value, opName: "move", path: path)
        case "copy":
            let from = try stringField(op, "from")
            let path = try stringField(op, "path")
            guard let value = try JSONPointer(from).get(doc) else {
                throw fail("copy operation does not apply: doc is missing from path: \(from): missing value")
            }
            try add(&doc, try JSONPointer(path), value, opName: "copy", path: path)
        case "test":
            let path = try stringField(op, "path")
            let expected = op["value"] ?? .null
            let actual = try JSONPointer(path).get(doc)
            if actual == nil && expected.isNull { return }
            guard let actual, JSONEquality.equal(actual, expected) else {
                throw fail("testing value \(path) failed: test failed")
            }
        default:
            throw fail("Unexpected kind: \(kind)")
        }
    }

    static func add(_ doc: inout JSONValue, _ ptr: JSONPointer, _ value: JSONValue, opName: String, path: String) throws {
        guard let last = ptr.tokens.last else { doc = value; return }
        let done: Void? = try ptr.withParent(&doc) { parent in
            switch parent {
            case .object(var o):
                o[last] = value
                parent = .object(o)
            case .array(var a):
                if last == "-" {
                    a.append(value)
                } else {
                    guard var i = JSONPointer.index(last) else {
                        throw fail("\(opName) operation does not apply: doc is missing path: \"\(path)\": missing value")
                    }
                    if i < 0 {
                        guard i >= -a.count else { throw fail("Unable to access invalid index: \(i): invalid index referenced") }
                        i += a.count
                    }
                    guard i <= a.count else { throw fail("Unable to access invalid index: \(i): invalid index referenced") }
                    a.insert(value, at: i)
                }
                parent = .array(a)
            default:
                throw fail("\(opName) operation does not apply: doc is missing path: \"\(path)\": missing value")
            }
        }
        if done == nil { throw fail("\(opName) operation does not apply: doc is missing path: \"\(path)\": missing value") }
    }

    static func remove(_ doc: inout JSONValue, _ ptr: JSONPointer, opName: String, path: String,
                       missingWord: String = "path") throws -> JSONValue {
        guard let last = ptr.tokens.last else {
            throw fail("\(opName) operation does not apply: doc is missing \(missingWord): \"\(path)\": missing value")
        }
        let removed: JSONValue? = try ptr.withParent(&doc) { parent in
            switch parent {
            case .object(var o):
                guard let v = o[last] else { throw fail("Unable to remove nonexistent key: \(last): missing value") }
                o[last] = nil
                parent = .object(o)
                return v
            case .array(var a):
                guard var i = JSONPointer.index(last) else {
                    throw fail("\(opName) operation does not apply: doc is missing \(missingWord): \"\(path)\": missing value")
                }
                if i < 0 { i += a.count }
                guard i >= 0, i < a.count else { throw fail("Unable to access invalid index: \(i): invalid index referenced") }
                let v = a.remove(at: i)
                parent = .array(a)
                return v
            default:
                throw fail("\(opName) operation does not apply: doc is missing \(missingWord): \"\(path)\": missing value")
            }
        }
        guard let removed else {
            throw fail("\(opName) operation does not apply: doc is missing \(missingWord): \"\(path)\": missing value")
        }
        return removed
    }

    static func replace(_ doc: inout JSONValue, _ ptr: JSONPointer, _ value: JSONValue, path: String) throws {
        guard let last = ptr.tokens.last else { doc = value; return }
        let missing = fail("replace operation does not apply: doc is missing key: \(path): missing value")
        let done: Void? = try ptr.withParent(&doc) { parent in
            switch parent {
            case .object(var o):
                guard o[last] != nil else { throw missing }
                o[last] = value
                parent = .object(o)
            case .array(var a):
                guard var i = JSONPointer.index(last) else { throw missing }
                if i < 0 { i += a.count }
                guard i >= 0, i < a.count else { throw fail("Unable to access invalid index: \(i): invalid index referenced") }
                a[i] = value
                parent = .array(a)
            default:
                throw missing
            }
        }
        if done == nil { throw missing }
    }
}

/// An RFC 6901 JSON pointer ("/spec/containers/0/image"), unescaped.
struct JSONPointer: Equatable {
    var tokens: [String]

    init(tokens: [String]) { self.tokens = tokens }

    /// Parses "" (the whole document) or "/a/b~1c"; "~1" is "/" and "~0" is "~".
    init(_ text: String) throws {
        if text.isEmpty { tokens = []; return }
        guard text.hasPrefix("/") else {
            throw PatchFailure(message: "JSON pointer must be empty or start with a \"/\": \(text)", code: 422)
        }
        tokens = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// The textual pointer, escaped.
    var text: String {
        tokens.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined()
    }

    /// An array index token: decimal digits, optionally negative.
    static func index(_ token: String) -> Int? {
        let digits = token.hasPrefix("-") ? token.dropFirst() : Substring(token)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.count < 18 else { return nil }
        return Int(token)
    }

    /// The value the pointer names, or nil when any step is missing.
    func get(_ doc: JSONValue) -> JSONValue? {
        var cur = doc
        for t in tokens {
            switch cur {
            case .object(let o):
                guard let v = o[t] else { return nil }
                cur = v
            case .array(let a):
                guard var i = JSONPointer.index(t) else { return nil }
                if i < 0 { i += a.count }
                guard i >= 0, i < a.count else { return nil }
                cur = a[i]
            default:
                return nil
            }
        }
        return cur
    }

    /// Runs `body` on the container holding the last token, in place; nil
    /// when that container does not exist.
    func withParent<T>(_ doc: inout JSONValue, _ body: (inout JSONValue) throws -> T) throws -> T? {
        try Self.descend(&doc, tokens.dropLast()[...], body)
    }

    private static func descend<T>(_ node: inout JSONValue, _ rest: ArraySlice<String>,
                                   _ body: (inout JSONValue) throws -> T) throws -> T? {
        guard let first = rest.first else { return try body(&node) }
        switch node {
        case .object(var o):
            guard var child = o[first] else { return nil }
            o[first] = .null
            node = .object(o)  // drop our reference so the child is uniquely owned
            let r = try descend(&child, rest.dropFirst(), body)
            o[first] = child
            node = .object(o)
            return r
        case .array(var a):
            guard var i = index(first) else { return nil }
            if i < 0 { i += a.count }
            guard i >= 0, i < a.count else { return nil }
            var child = a[i]
            a[i] = .null
            node = .array(a)
            let r = try descend(&child, rest.dropFirst(), body)
            a[i] = child
            node = .array(a)
            return r
        default:
            return nil
        }
    }
}
