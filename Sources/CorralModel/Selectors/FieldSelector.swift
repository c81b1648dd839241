/// A Kubernetes field selector (`?fieldSelector=`): an AND of `field=value`,
/// `field==value` and `field!=value` terms. Values may escape `\,` `\=` `\\`.
/// Parsing mirrors apimachinery's `fields.ParseSelector`: terms are split on
/// unescaped commas, sorted, empty terms skipped, and no whitespace is trimmed.
public struct FieldSelector: Equatable, Sendable, CustomStringConvertible {
    /// One term. `op` is "=" (also for "==") or "!=".
    public struct Term: Equatable, Sendable {
        /// The field path, e.g. `spec.nodeName`.
        public var field: String
        /// "=" or "!=".
        public var op: String
        /// The unescaped value.
        public var value: String

        /// A term; `op` "==" is stored as "=".
        public init(field: String, op: String, value: String) {
            self.field = field
            self.op = op == "==" ? "=" : op
            self.value = value
        }

        /// Whether the looked-up value (missing counts as "") satisfies the term.
        public func matches(_ lookup: (String) -> String?) -> Bool {
            let actual = lookup(field) ?? ""
            return op == "!=" ? actual != value : actual == value
        }
    }

    /// The terms, in sorted term order.
    public private(set) var terms: [Term]

    /// A selector from terms (no validation).
    public init(terms: [Term] = []) {
        self.terms = terms
    }

    /// Selects everything.
    public static let everything = FieldSelector()

    /// The terms as tuples; `op` is "=" or "!=".
    public var requirements: [(field: String, op: String, value: String)] {
        terms.map { ($0.field, $0.op, $0.value) }
    }

    /// True when there is no term.
    public var isEmpty: Bool { terms.isEmpty }

    /// Parses the string syntax. Throws `SelectorError(.invalidFieldSelector, ...)`
    /// with apimachinery's wording.
    public static func parse(_ s: String) throws -> FieldSelector {
        var terms: [Term] = []
        for part in splitTerms(s).sorted() where !part.isEmpty {
            guard let (lhs, op, rhs) = splitTerm(part) else {
                throw SelectorError(.invalidFieldSelector, "invalid selector: '\(s)'; can't understand '\(part)'")
            }
            terms.append(Term(field: lhs, op: op, value: try unescape(rhs)))
        }
        return FieldSelector(terms: terms)
    }

    /// Whether every term holds; `lookup` gives a field's value (nil = missing = "").
    public func matches(_ lookup: (String) -> String?) -> Bool {
        terms.allSatisfy { $0.matches(lookup) }
    }

    /// Whether `object` of `type` satisfies every term (unsupported fields read as "").
    public func matches(_ object: JSONValue, type: ResourceType) -> Bool {
        matches { FieldSelectorSupport.value(of: $0, in: object, type: type) }
    }

    /// Throws `SelectorError.fieldLabelNotSupported` for the first term (in
    /// sorted order, as kube-apiserver checks them) that `type` cannot select by.
    public func validate(for type: ResourceType) throws {
        for t in terms where !FieldSelectorSupport.isSupported(t.field, for: type) {
            throw SelectorError.fieldLabelNotSupported(t.field)
        }
    }

    /// The canonical string form, values re-escaped.
    public var description: String {
        terms.map { $0.field + $0.op + FieldSelector.escape($0.value) }.joined(separator: ",")
    }

    /// Escapes `\`, `,` and `=` in a value.
    public static func escape(_ v: String) -> String {
        var out = ""
        for c in v {
            if c == "\\" || c == "," || c == "=" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Splits on commas not preceded by a backslash escape; escapes stay in the terms.
    static func splitTerms(_ s: String) -> [String] {
        if s.isEmpty { return [] }
        var terms: [String] = []
        var current = String.UnicodeScalarView()
        var inSlash = false
        for c in s.unicodeScalars {
            if inSlash {
                inSlash = false
                current.append(c)
            } else if c == "\\" {
                inSlash = true
                current.append(c)
            } else if c == "," {
                terms.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(c)
            }
        }
        terms.append(String(current))
        return terms
    }

    /// Splits a term at the first operator occurrence, trying "!=", "==", "=" at each position.
    static func splitTerm(_ term: String) -> (String, String, String)? {
        let u = Array(term.unicodeScalars)
        func has(_ op: String, at i: Int) -> Bool {
            let o = Array(op.unicodeScalars)
            return i + o.count <= u.count && Array(u[i..<(i + o.count)]) == o
        }
        func str(_ slice: ArraySlice<Unicode.Scalar>) -> String {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: slice)
            return String(v)
        }
        for i in 0..<u.count {
            for op in ["!=", "==", "="] where has(op, at: i) {
                return (str(u[..<i]), op, str(u[(i + op.unicodeScalars.count)...]))
            }
        }
        return nil
    }

    /// Undoes `\\`, `\,`, `\=`; an unescaped `,` or `=` or a bad escape is an error.
    static func unescape(_ s: String) throws -> String {
        if !s.contains(where: { $0 == "\\" || $0 == "," || $0 == "=" }) { return s }
        var out = ""
        var inSlash = false
        for u in s.unicodeScalars {
            if inSlash {
                switch u {
                case "\\", ",", "=":
                    out.unicodeScalars.append(u)
                default:
                    throw SelectorError(.invalidFieldSelector, "invalid field selector: invalid escape sequence: \\\(u)")
                }
                inSlash = false
                continue
            }
            switch u {
            case "\\":
                inSlash = true
            case ",", "=":
                // Go prints the rune with %v, i.e. as its number.
                throw SelectorError(.invalidFieldSelector, "invalid field selector: unescaped character in value: \(u.value)")
            default:
                out.unicodeScalars.append(u)
            }
        }
        if inSlash {
            throw SelectorError(.invalidFieldSelector, "invalid field selector: invalid escape sequence: \\")
        }
        return out
    }
}
