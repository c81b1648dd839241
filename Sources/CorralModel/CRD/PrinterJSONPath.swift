import Foundation

/// The part of kubectl's JSONPath that CRD printer columns use:
/// `.a.b`, `.a[0]`, `.a[*].b`, `.a['x.y']`, and filters
/// `.a[?(@.type=="Ready")].status` (with `==` or `!=`, quoted or bare
/// values). Braces around the expression are allowed.
public struct PrinterJSONPath: Sendable, Equatable {
    enum Step: Sendable, Equatable {
        case key(String)
        case index(Int)
        case all
        case filter(path: [String], op: String, value: String)
    }

    let steps: [Step]

    /// Parses `text`; nil when it is outside the supported subset.
    public init?(_ text: String) {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        if s.hasPrefix("{") && s.hasSuffix("}") { s = s.dropFirst().dropLast() }
        if s.hasPrefix("$") { s = s.dropFirst() }
        var steps: [Step] = []
        while let c = s.first {
            if c == "." {
                s = s.dropFirst()
                let name = s.prefix { $0 != "." && $0 != "[" }
                guard !name.isEmpty else { return nil }
                steps.append(name == "*" ? .all : .key(String(name)))
                s = s.dropFirst(name.count)
            } else if c == "[" {
                guard let close = Self.closing(s) else { return nil }
                let inner = String(s[s.index(after: s.startIndex)..<close])
                s = s[s.index(after: close)...]
                guard let step = Self.bracket(inner) else { return nil }
                steps.append(step)
            } else {
                return nil
            }
        }
        self.steps = steps
    }

    /// Whether `text` parses.
    public static func isValid(_ text: String) -> Bool { PrinterJSONPath(text) != nil }

    /// Every value the path selects in `value`, in document order.
    public func evaluate(_ value: JSONValue) -> [JSONValue] {
        var current = [value]
        for step in steps {
            var next: [JSONValue] = []
            for v in current {
                switch step {
                case .key(let k): if let c = v[k] { next.append(c) }
                case .index(let i):
                    if let a = v.arrayValue {
                        let j = i < 0 ? a.count + i : i
                        if a.indices.contains(j) { next.append(a[j]) }
                    }
                case .all:
                    if let a = v.arrayValue { next += a } else if let o = v.objectValue { next += o.map(\.value) }
                case .filter(let path, let op, let want):
                    for item in v.arrayValue ?? [] {
                        guard let got = item[path: path] else { continue }
                        let text = got.stringValue ?? got.jsonString()
                        if (op == "==") == (text == want) { next.append(item) }
                    }
                }
            }
            current = next
        }
        return current
    }

    /// The index of the `]` closing the bracket at the start of `s`, skipping quoted text.
    private static func closing(_ s: Substring) -> Substring.Index? {
        var quote: Character?
        var i = s.index(after: s.startIndex)
        while i < s.endIndex {
            let c = s[i]
            if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c } else if c == "]" { return i }
            i = s.index(after: i)
        }
        return nil
    }

    private static func unquote(_ s: String) -> String? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.count >= 2, let f = t.first, f == "'" || f == "\"", t.last == f { return String(t.dropFirst().dropLast()) }
        return nil
    }

    private static func bracket(_ inner: String) -> Step? {
        let t = inner.trimmingCharacters(in: .whitespaces)
        if t == "*" { return .all }
        if let i = Int(t) { return .index(i) }
        if let k = unquote(t) { return .key(k) }
        guard t.hasPrefix("?("), t.hasSuffix(")") else { return nil }
        let expr = t.dropFirst(2).dropLast()
        for op in ["==", "!="] {
            guard let r = expr.range(of: op) else { continue }
            let lhs = expr[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
            let rhs = expr[r.upperBound...].trimmingCharacters(in: .whitespaces)
            guard lhs.hasPrefix("@.") else { return nil }
            let path = lhs.dropFirst(2).split(separator: ".").map(String.init)
            return .filter(path: path, op: op, value: unquote(rhs) ?? rhs)
        }
        return nil
    }
}
