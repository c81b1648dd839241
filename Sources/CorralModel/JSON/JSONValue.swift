/// A JSON document that keeps what the client sent: key order, integers apart
/// from floats, and every field, whether or not the server understands it.
/// Objects are stored this way so a field we do not act on comes back unchanged.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The object's member `key`, or nil when this is not an object or lacks it.
    public subscript(key: String) -> JSONValue? {
        get {
            if case .object(let o) = self { return o[key] }
            return nil
        }
        set {
            guard case .object(var o) = self else { return }
            o[key] = newValue
            self = .object(o)
        }
    }

    /// Walks a path of object keys; nil as soon as one is missing.
    public subscript(path path: [String]) -> JSONValue? {
        var cur: JSONValue? = self
        for k in path { cur = cur?[k] }
        return cur
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }
    /// Integer value; floats with no fraction count too (JSON has one number type).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e18: return Int64(d)
        default: return nil
        }
    }

    /// A short type name for error messages, as Kubernetes words them.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Nesting depth (a scalar is 0), counted only up to `limit + 1`.
    public func nestingDepth(limit: Int = 1024) -> Int {
        if limit < 0 { return 1 }
        switch self {
        case .array(let a): return 1 + (a.map { $0.nestingDepth(limit: limit - 1) }.max() ?? 0)
        case .object(let o): return 1 + (o.map { $0.value.nestingDepth(limit: limit - 1) }.max() ?? 0)
        default: return 0
        }
    }

    /// Sets a value at a path of object keys, creating intermediate objects.
    public mutating func set(path: [String], to value: JSONValue?) {
        guard let first = path.first else { if let value { self = value }; return }
        guard case .object(var o) = self else { return }
        if path.count == 1 {
            o[first] = value
        } else {
            var child = o[first] ?? .object(JSONObject())
            if child.objectValue == nil { child = .object(JSONObject()) }
            child.set(path: Array(path.dropFirst()), to: value)
            o[first] = child
        }
        self = .object(o)
    }
}

/// An insertion-ordered JSON object. Kubernetes objects are mostly small
/// maps, so entries live in an array searched linearly; a hash index is
/// built only for large maps (big ConfigMaps, label sets).
public struct JSONObject: Equatable, Sendable, Sequence {
    public typealias Element = (key: String, value: JSONValue)
    private var entries: [Element] = []
    private var index: [String: Int]?
    private static let indexThreshold = 24

    public init() {}
    public init(_ pairs: [(String, JSONValue)]) {
        entries.reserveCapacity(pairs.count)
        for (k, v) in pairs { self[k] = v }
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }

    private func position(of key: String) -> Int? {
        if let index { return index[key] }
        for i in entries.indices where entries[i].key == key { return i }
        return nil
    }

    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let i = position(of: key) {
                if let newValue {
                    entries[i].value = newValue
                } else {
                    entries.remove(at: i)
                    if index != nil { rebuildIndex() }
                }
            } else if let newValue {
                entries.append((key, newValue))
                if index != nil {
                    index![key] = entries.count - 1
                } else if entries.count > JSONObject.indexThreshold {
                    rebuildIndex()
                }
            }
        }
    }

    private mutating func rebuildIndex() {
        var d = [String: Int](minimumCapacity: entries.count)
        for (i, e) in entries.enumerated() { d[e.key] = i }
        index = d
    }

    public func makeIterator() -> IndexingIterator<[Element]> { entries.makeIterator() }

    /// Equal when they hold the same members, whatever their order.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.entries.count == b.entries.count else { return false }
        for e in a.entries {
            guard let other = b[e.key], other == e.value else { return false }
        }
        return true
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}
