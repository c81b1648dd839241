import CorralModel

/// Indented JSON for golden files (stable: keeps member order).
enum JSONPretty {
    static func format(_ v: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch v {
        case .array(let a) where a.isEmpty: return "[]"
        case .object(let o) where o.isEmpty: return "{}"
        case .array(let a):
            if a.allSatisfy({ if case .string = $0 { return true }; if case .int = $0 { return true }; return false }) {
                return "[" + a.map { $0.jsonString() }.joined(separator: ", ") + "]"
            }
            return "[\n" + a.map { inner + format($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let o):
            return "{\n" + o.map { inner + JSONValue.string($0.key).jsonString() + ": " + format($0.value, indent: inner) }
                .joined(separator: ",\n") + "\n" + indent + "}"
        default: return v.jsonString()
        }
    }
}
