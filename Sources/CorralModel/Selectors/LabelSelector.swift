/// A Kubernetes label selector: an AND of requirements on an object's labels.
///
/// Built from the string syntax of `?labelSelector=` (`parse`) or from a
/// `metav1.LabelSelector` object in a spec (`init(json:)`). A selector made
/// from a JSON `null` selects nothing (`matchesNothing`), as metav1 does for a
/// nil selector; an empty one selects everything.
public struct LabelSelector: Equatable, Sendable, CustomStringConvertible {
    /// The relation a requirement checks. Raw values are apimachinery's `selection.Operator`.
    public enum Operator: String, Equatable, Sendable {
        case equals = "="
        case doubleEquals = "=="
        case notEquals = "!="
        case `in` = "in"
        case notIn = "notin"
        case exists = "exists"
        case doesNotExist = "!"
        case greaterThan = "gt"
        case lessThan = "lt"
    }

    /// One `key op values` term.
    public struct Requirement: Equatable, Sendable, CustomStringConvertible {
        /// The label key.
        public var key: String
        /// The relation checked.
        public var op: Operator
        /// Sorted, without duplicates (empty for exists / does-not-exist).
        public var values: [String]

        /// Builds a requirement without validating it; `LabelSelector.requirement(...)` validates.
        public init(key: String, op: Operator, values: [String]) {
            self.key = key
            self.op = op
            self.values = Array(Set(values)).sorted()
        }

        /// Whether `labels` satisfy this requirement (apimachinery's `Requirement.Matches`).
        public func matches(_ labels: [String: String]) -> Bool {
            switch op {
            case .in, .equals, .doubleEquals:
                guard let v = labels[key] else { return false }
                return values.contains(v)
            case .notIn, .notEquals:
                guard let v = labels[key] else { return true }
                return !values.contains(v)
            case .exists:
                return labels[key] != nil
            case .doesNotExist:
                return labels[key] == nil
            case .greaterThan, .lessThan:
                guard let v = labels[key], let lv = Int64(v), values.count == 1, let rv = Int64(values[0]) else { return false }
                return op == .greaterThan ? lv > rv : lv < rv
            }
        }

        /// The canonical string form (`a in (x,y)`, `!a`, `a!=b`, ...).
        public var description: String {
            switch op {
            case .exists: return key
            case .doesNotExist: return "!" + key
            case .equals: return key + "=" + values.joined(separator: ",")
            case .doubleEquals: return key + "==" + values.joined(separator: ",")
            case .notEquals: return key + "!=" + values.joined(separator: ",")
            case .greaterThan: return key + ">" + values.joined(separator: ",")
            case .lessThan: return key + "<" + values.joined(separator: ",")
            case .in: return key + " in (" + values.joined(separator: ",") + ")"
            case .notIn: return key + " notin (" + values.joined(separator: ",") + ")"
            }
        }
    }

    /// The requirements, sorted by key (stable), all of which must hold.
    public private(set) var requirements: [Requirement]
    /// True for the selector of a nil `metav1.LabelSelector`: it matches no object.
    public private(set) var matchesNothing: Bool

    /// A selector from already-validated requirements (sorted by key here).
    public init(requirements: [Requirement] = []) {
        self.requirements = LabelSelector.sortedByKey(requirements)
        self.matchesNothing = false
    }

    /// Selects every object.
    public static let everything = LabelSelector()
    /// Selects no object.
    public static let nothing: LabelSelector = {
        var s = LabelSelector()
        s.matchesNothing = true
        return s
    }()

    /// Parses the `labelSelector` string syntax (`a=b,c in (x,y),!d`).
    /// Throws `SelectorError(.invalidLabelSelector, ...)` worded like kube-apiserver.
    public static func parse(_ s: String) throws -> LabelSelector {
        var parser = LabelSelectorParser(s)
        let reqs = try parser.parse()
        return LabelSelector(requirements: reqs)
    }

    /// A selector from a `metav1.LabelSelector` object (`matchLabels`,
    /// `matchExpressions` with In/NotIn/Exists/DoesNotExist). `null` selects
    /// nothing; `{}` selects everything. Throws `SelectorError(.invalidLabelSelector, ...)`.
    public init(json: JSONValue) throws {
        if json.isNull {
            self = .nothing
            return
        }
        guard let obj = json.objectValue else {
            throw SelectorError(.invalidLabelSelector, "label selector must be an object, not \(json.typeName)")
        }
        var reqs: [Requirement] = []
        if let ml = obj["matchLabels"], !ml.isNull {
            guard let mlo = ml.objectValue else {
                throw SelectorError(.invalidLabelSelector, "matchLabels must be an object, not \(ml.typeName)")
            }
            for (k, v) in mlo {
                guard let s = v.stringValue else {
                    throw SelectorError(.invalidLabelSelector, "matchLabels[\(k)] must be a string, not \(v.typeName)")
                }
                reqs.append(try LabelSelector.requirement(key: k, op: .equals, values: [s], pathPrefix: ""))
            }
        }
        if let me = obj["matchExpressions"], !me.isNull {
            guard let arr = me.arrayValue else {
                throw SelectorError(.invalidLabelSelector, "matchExpressions must be an array, not \(me.typeName)")
            }
            for expr in arr {
                let key = expr["key"]?.stringValue ?? ""
                let opName = expr["operator"]?.stringValue ?? ""
                // Go copies values with append([]string(nil), ...): an empty list prints as null.
                let given = expr["values"]?.arrayValue?.map { $0.stringValue ?? "" } ?? []
                let values: [String]? = given.isEmpty ? nil : given
                let op: Operator
                switch opName {
                case "In": op = .in
                case "NotIn": op = .notIn
                case "Exists": op = .exists
                case "DoesNotExist": op = .doesNotExist
                default:
                    throw SelectorError(.invalidLabelSelector, "\(goQuoted(opName)) is not a valid label selector operator")
                }
                reqs.append(try LabelSelector.requirement(key: key, op: op, values: values, pathPrefix: ""))
            }
        }
        self.init(requirements: reqs)
    }

    /// The labels of an object (`metadata.labels`), empty when absent.
    public static func labels(of object: JSONValue) -> [String: String] {
        guard let obj = object[path: ["metadata", "labels"]]?.objectValue else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in obj {
            if let s = v.stringValue { out[k] = s }
        }
        return out
    }

    /// Whether `labels` satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        if matchesNothing { return false }
        return requirements.allSatisfy { $0.matches(labels) }
    }

    /// Whether `object`'s `metadata.labels` satisfy every requirement.
    public func matches(object: JSONValue) -> Bool {
        matches(LabelSelector.labels(of: object))
    }

    /// True when the selector does not restrict anything (and is not `nothing`).
    public var isEmpty: Bool { !matchesNothing && requirements.isEmpty }

    /// The canonical string form, comma-joined requirements ("" for everything and nothing).
    public var description: String {
        requirements.map(\.description).joined(separator: ",")
    }

    /// Adds requirements (kept sorted by key).
    public func adding(_ more: [Requirement]) -> LabelSelector {
        var copy = self
        copy.requirements = LabelSelector.sortedByKey(requirements + more)
        return copy
    }

    static func sortedByKey(_ reqs: [Requirement]) -> [Requirement] {
        reqs.enumerated().sorted { a, b in
            a.element.key != b.element.key ? a.element.key < b.element.key : a.offset < b.offset
        }.map(\.element)
    }
}
