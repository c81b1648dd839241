import Foundation

/// Pod-template identity for Deployments: the `pod-template-hash` value and
/// the "same template" test kube's `EqualIgnoreHash` makes.
public enum TemplateHash {
    /// The label Deployments add to their ReplicaSets and pods.
    public static let label = "pod-template-hash"

    /// Characters of kube's `rand.SafeEncodeString` (no vowels, no look-alikes).
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789".utf8)

    /// A stable hash of the template (without its hash label), shaped like
    /// kube's: FNV-1a 32 over the template (here its canonical JSON) and the
    /// collision count, printed in decimal and mapped onto the safe alphabet
    /// (so up to 10 characters such as "7d9f8c6b5").
    public static func compute(template: JSONValue, collisionCount: Int64?) -> String {
        var h: UInt32 = 2_166_136_261
        func feed(_ bytes: [UInt8]) {
            for b in bytes {
                h ^= UInt32(b)
                h = h &* 16_777_619
            }
        }
        feed(canonical(withoutHash(template)).serialized())
        if let c = collisionCount {
            // Little-endian uint32 in an 8-byte buffer, as kube writes it.
            let v = UInt32(truncatingIfNeeded: c)
            feed([UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24), 0, 0, 0, 0])
        }
        return String(decoding: String(h).utf8.map { alphabet[Int($0) % alphabet.count] }, as: UTF8.self)
    }

    /// Whether two pod templates are the same apart from the hash label
    /// (kube compares typed structs, where absent, null and zero values are equal).
    public static func equalIgnoringHash(_ a: JSONValue, _ b: JSONValue) -> Bool {
        canonical(withoutHash(a)) == canonical(withoutHash(b))
    }

    /// The template without `metadata.labels.pod-template-hash`.
    public static func withoutHash(_ template: JSONValue) -> JSONValue {
        var t = template
        if t[path: ["metadata", "labels", label]] != nil {
            var labels = t[path: ["metadata", "labels"]]?.objectValue ?? JSONObject()
            labels[label] = nil
            t.set(path: ["metadata", "labels"], to: .object(labels))
        }
        return t
    }

    /// The template with `labels[pod-template-hash] = hash`.
    public static func withHash(_ template: JSONValue, _ hash: String) -> JSONValue {
        var t = template
        var labels = t[path: ["metadata", "labels"]]?.objectValue ?? JSONObject()
        labels[label] = .string(hash)
        t.set(path: ["metadata", "labels"], to: .object(labels))
        return t
    }

    /// Keys sorted, and members holding null, false, 0, "", {} or [] dropped
    /// (what Go's typed decoding cannot tell from absent).
    public static func canonical(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o):
            var out = JSONObject()
            for k in o.keys.sorted() {
                let c = canonical(o[k]!)
                if !isZero(c) { out[k] = c }
            }
            return .object(out)
        case .array(let a):
            return .array(a.map(canonical))
        case .double(let d) where d.rounded() == d && abs(d) < 9e18:
            return .int(Int64(d))
        default:
            return v
        }
    }

    static func isZero(_ v: JSONValue) -> Bool {
        switch v {
        case .null: return true
        case .bool(let b): return !b
        case .int(let i): return i == 0
        case .double(let d): return d == 0
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        }
    }
}
