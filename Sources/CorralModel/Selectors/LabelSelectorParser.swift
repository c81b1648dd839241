extension LabelSelector {
    /// Validates and builds one requirement, as apimachinery's `NewRequirement`
    /// does (value-count rules per operator, key and value syntax). `values`
    /// nil and empty differ only in how an error prints them.
    /// Throws `SelectorError(.invalidLabelSelector, ...)`.
    public static func requirement(key: String, op: Operator, values: [String]?, pathPrefix: String = "") throws -> Requirement {
        var errs: [String] = []
        func add(_ e: String) { if !errs.contains(e) { errs.append(e) } }
        let keyErrs = labelKeyErrors(key)
        if !keyErrs.isEmpty {
            add("\(pathPrefix)key: Invalid value: \(goQuoted(key)): \(keyErrs.joined(separator: "; "))")
        }
        let vals = values ?? []
        let valuesPath = pathPrefix + "values"
        switch op {
        case .in, .notIn:
            if vals.isEmpty {
                add("\(valuesPath): Invalid value: \(goJSONStrings(values)): for 'in', 'notin' operators, values set can't be empty")
            }
        case .equals, .doubleEquals, .notEquals:
            if vals.count != 1 {
                add("\(valuesPath): Invalid value: \(goJSONStrings(values)): exact-match compatibility requires one single value")
            }
        case .exists, .doesNotExist:
            if !vals.isEmpty {
                add("\(valuesPath): Invalid value: \(goJSONStrings(values)): values set must be empty for exists and does not exist")
            }
        case .greaterThan, .lessThan:
            if vals.count != 1 {
                add("\(valuesPath): Invalid value: \(goJSONStrings(values)): for 'Gt', 'Lt' operators, exactly one value is required")
            }
            for (i, v) in vals.enumerated() where Int64(v) == nil {
                add("\(valuesPath)[\(i)]: Invalid value: \(goQuoted(v)): for 'Gt', 'Lt' operators, the value must be an integer")
            }
        }
        for (i, v) in vals.enumerated() {
            let vErrs = labelValueErrors(v)
            if !vErrs.isEmpty {
                add("\(valuesPath)[\(i)][\(key)]: Invalid value: \(goQuoted(v)): \(vErrs.joined(separator: "; "))")
            }
        }
        if errs.count == 1 { throw SelectorError(.invalidLabelSelector, errs[0]) }
        if errs.count > 1 { throw SelectorError(.invalidLabelSelector, "[" + errs.joined(separator: ", ") + "]") }
        return Requirement(key: key, op: op, values: vals)
    }
}

/// The recursive-descent parser of apimachinery's `labels.Parse`, with its
/// lexer rules and error messages.
struct LabelSelectorParser {
    enum Token: Equatable {
        case error, end, closePar, comma, doesNotExist, doubleEquals, equals, greaterThan
        case identifier, `in`, lessThan, notEquals, notIn, openPar
    }

    private enum Context { case keyAndOperator, values }

    private static let literalTokens: [String: Token] = [
        ")": .closePar, ",": .comma, "!": .doesNotExist, "==": .doubleEquals, "=": .equals,
        ">": .greaterThan, "in": .in, "<": .lessThan, "!=": .notEquals, "notin": .notIn, "(": .openPar,
    ]

    private var items: [(Token, String)] = []
    private var position = 0

    init(_ input: String) {
        items = LabelSelectorParser.scan(Array(input.utf8))
    }

    // MARK: Lexer

    private static func isWhitespace(_ c: UInt8) -> Bool { c == 32 || c == 9 || c == 13 || c == 10 }

    private static func isSpecial(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: ","), UInt8(ascii: ">"), UInt8(ascii: "<"):
            return true
        default:
            return false
        }
    }

    private static func scan(_ s: [UInt8]) -> [(Token, String)] {
        var out: [(Token, String)] = []
        var pos = 0
        // A NUL byte ends the input, as the Go lexer's read() sentinel does.
        func read() -> UInt8 {
            guard pos < s.count else { return 0 }
            defer { pos += 1 }
            return s[pos]
        }
        while true {
            var ch = read()
            while isWhitespace(ch) { ch = read() }
            if ch == 0 {
                out.append((.end, ""))
                return out
            }
            pos -= 1
            if isSpecial(ch) {
                var buffer: [UInt8] = []
                var last: (Token, String)?
                while true {
                    let c = read()
                    if c == 0 { break }
                    if isSpecial(c) {
                        buffer.append(c)
                        let text = String(decoding: buffer, as: UTF8.self)
                        if let t = literalTokens[text] {
                            last = (t, text)
                        } else if last != nil {
                            pos -= 1
                            break
                        }
                    } else {
                        pos -= 1
                        break
                    }
                }
                out.append(last ?? (.error, "error expected: keyword found '\(String(decoding: buffer, as: UTF8.self))'"))
            } else {
                var buffer: [UInt8] = []
                while true {
                    let c = read()
                    if c == 0 { break }
                    if isSpecial(c) || isWhitespace(c) {
                        pos -= 1
                        break
                    }
                    buffer.append(c)
                }
                let text = String(decoding: buffer, as: UTF8.self)
                out.append((literalTokens[text] ?? .identifier, text))
            }
        }
    }

    // MARK: Parser

    private func lookahead(_ ctx: Context) -> (Token, String) {
        var (t, lit) = items[position]
        if ctx == .values, t == .in || t == .notIn { t = .identifier }
        return (t, lit)
    }

    private mutating func consume(_ ctx: Context) -> (Token, String) {
        let r = lookahead(ctx)
        position += 1
        return r
    }

    private func fail(_ message: String) -> SelectorError {
        SelectorError(.invalidLabelSelector, message)
    }

    mutating func parse() throws -> [LabelSelector.Requirement] {
        var reqs: [LabelSelector.Requirement] = []
        while true {
            let (tok, lit) = lookahead(.values)
            switch tok {
            case .identifier, .doesNotExist:
                do {
                    reqs.append(try parseRequirement())
                } catch let e as SelectorError {
                    throw fail("unable to parse requirement: \(e.message)")
                }
                let (t, l) = consume(.values)
                switch t {
                case .end:
                    return reqs
                case .comma:
                    let (t2, l2) = lookahead(.values)
                    if t2 != .identifier && t2 != .doesNotExist {
                        throw fail("found '\(l2)', expected: identifier after ','")
                    }
                default:
                    throw fail("found '\(l)', expected: ',' or 'end of string'")
                }
            case .end:
                return reqs
            default:
                throw fail("found '\(lit)', expected: !, identifier, or 'end of string'")
            }
        }
    }

    private mutating func parseRequirement() throws -> LabelSelector.Requirement {
        let (key, inferred) = try parseKeyAndInferOperator()
        if let inferred {
            return try LabelSelector.requirement(key: key, op: inferred, values: [])
        }
        let op = try parseOperator()
        let values: [String]
        switch op {
        case .in, .notIn:
            values = try parseValues()
        default:
            values = try parseExactValue()
        }
        return try LabelSelector.requirement(key: key, op: op, values: Array(Set(values)).sorted())
    }

    /// The key, and the operator when it is implied (`a` → exists, `!a` → does not exist).
    private mutating func parseKeyAndInferOperator() throws -> (String, LabelSelector.Operator?) {
        var (tok, lit) = consume(.values)
        var op: LabelSelector.Operator?
        if tok == .doesNotExist {
            op = .doesNotExist
            (tok, lit) = consume(.values)
        }
        if tok != .identifier {
            throw fail("found '\(lit)', expected: identifier")
        }
        let keyErrs = LabelSelector.labelKeyErrors(lit)
        if !keyErrs.isEmpty {
            throw fail("<nil>: Invalid value: \(goQuoted(lit)): \(keyErrs.joined(separator: "; "))")
        }
        let (next, _) = lookahead(.values)
        if next == .end || next == .comma, op != .doesNotExist {
            op = .exists
        }
        return (lit, op)
    }

    private mutating func parseOperator() throws -> LabelSelector.Operator {
        let (tok, lit) = consume(.keyAndOperator)
        switch tok {
        case .in: return .in
        case .equals: return .equals
        case .doubleEquals: return .doubleEquals
        case .greaterThan: return .greaterThan
        case .lessThan: return .lessThan
        case .notIn: return .notIn
        case .notEquals: return .notEquals
        default:
            throw fail("found '\(lit)', expected: in, notin, =, ==, !=, gt, lt")
        }
    }

    private mutating func parseValues() throws -> [String] {
        let (tok, lit) = consume(.values)
        if tok != .openPar {
            throw fail("found '\(lit)' expected: '('")
        }
        let (t2, l2) = lookahead(.values)
        switch t2 {
        case .identifier, .comma:
            let s = try parseIdentifiersList()
            let (t3, _) = consume(.values)
            if t3 != .closePar {
                throw fail("found '\(l2)', expected: ')'")
            }
            return s
        case .closePar:
            _ = consume(.values)
            return [""]
        default:
            throw fail("found '\(l2)', expected: ',', ')' or identifier")
        }
    }

    private mutating func parseIdentifiersList() throws -> [String] {
        var s: Set<String> = []
        while true {
            let (tok, lit) = consume(.values)
            switch tok {
            case .identifier:
                s.insert(lit)
                let (t2, l2) = lookahead(.values)
                switch t2 {
                case .comma: continue
                case .closePar: return Array(s)
                default: throw fail("found '\(l2)', expected: ',' or ')'")
                }
            case .comma:
                if s.isEmpty { s.insert("") }
                let (t2, _) = lookahead(.values)
                if t2 == .closePar {
                    s.insert("")
                    return Array(s)
                }
                if t2 == .comma { s.insert("") }
            default:
                throw fail("found '\(lit)', expected: ',', or identifier")
            }
        }
    }

    private mutating func parseExactValue() throws -> [String] {
        let (t, _) = lookahead(.values)
        if t == .end || t == .comma { return [""] }
        let (tok, lit) = consume(.values)
        if tok == .identifier { return [lit] }
        throw fail("found '\(lit)', expected: identifier")
    }
}
