/// One step of a field path as structured-merge-diff (server-side apply)
/// names it: a struct field or map key (`f:name`), a list-map item picked by
/// its key fields (`k:{"name":"c1"}`), a set-list item picked by its value
/// (`v:"x"`), or an atomic-list index (`i:0`).
public struct PathElement: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The four kinds, in structured-merge-diff's sort order.
    public enum Kind: Int, Sendable, Comparable {
        case field = 0, key, value, index
        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    public let kind: Kind
    /// The field name, the canonical JSON of the key object / the value, or the index digits.
    public let text: String

    init(kind: Kind, text: String) {
        self.kind = kind
        self.text = text
    }

    /// A struct field or map key.
    public static func field(_ name: String) -> PathElement { PathElement(kind: .field, text: name) }

    /// A list-map item identified by its key fields (sorted by name, as upstream does).
    public static func key(_ fields: [(String, JSONValue)]) -> PathElement {
        let sorted = fields.sorted { $0.0 < $1.0 }
        return PathElement(kind: .key, text: JSONValue.object(JSONObject(sorted)).jsonString())
    }

    /// A set-list item identified by its (primitive) value.
    public static func value(_ v: JSONValue) -> PathElement { PathElement(kind: .value, text: v.jsonString()) }

    /// An atomic-list position.
    public static func index(_ i: Int) -> PathElement { PathElement(kind: .index, text: String(i)) }

    /// The FieldsV1 key: `f:name`, `k:{...}`, `v:...`, `i:N`.
    public var serialized: String {
        switch kind {
        case .field: return "f:" + text
        case .key: return "k:" + text
        case .value: return "v:" + text
        case .index: return "i:" + text
        }
    }

    /// Parses a FieldsV1 key; nil for an unknown prefix or malformed JSON.
    public static func parse(_ s: String) -> PathElement? {
        guard s.count >= 2, s.dropFirst().first == ":" else { return nil }
        let body = String(s.dropFirst(2))
        switch s.first {
        case "f": return .field(body)
        case "k":
            guard let obj = (try? JSONParser.parse(body))?.objectValue else { return nil }
            return .key(obj.map { ($0.key, $0.value) })
        case "v":
            guard let v = try? JSONParser.parse(body) else { return nil }
            return .value(v)
        case "i":
            guard let i = Int(body) else { return nil }
            return .index(i)
        default: return nil
        }
    }

    /// Human-readable form used in conflict messages: `.name`, `[name="c1"]`, `[="x"]`, `[0]`.
    public var description: String {
        switch kind {
        case .field: return "." + text
        case .key:
            let obj = (try? JSONParser.parse(text))?.objectValue ?? JSONObject()
            return "[" + obj.map { "\($0.key)=\(PathElement.goString($0.value))" }.joined(separator: ",") + "]"
        case .value:
            return "[=" + PathElement.goString((try? JSONParser.parse(text)) ?? .null) + "]"
        case .index: return "[" + text + "]"
        }
    }

    public static func < (a: PathElement, b: PathElement) -> Bool {
        if a.kind != b.kind { return a.kind < b.kind }
        if a.kind == .index, let x = Int(a.text), let y = Int(b.text) { return x < y }
        return a.text < b.text
    }

    /// A value as upstream's `value.ToString` prints it: strings Go-quoted, numbers and bools plain.
    static func goString(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return GoFormat.string(.double(d))
        case .string(let s): return goQuoted(s)
        case .array(let a): return "[" + a.map(goString).joined(separator: ",") + "]"
        case .object(let o): return o.map { "\($0.key)=\(goString($0.value))" }.joined()
        }
    }

}

extension Array where Element == PathElement {
    /// A path of elements from the object root rendered as kube-apiserver prints it in conflicts: `.spec.containers[name="c"].image`.
    public var pathString: String { map(\.description).joined() }
}
