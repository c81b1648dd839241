/// A path to a member of a request body, rendered the way the part of
/// kube-apiserver that reports it renders paths: the JSON decoder
/// (`spec.containers[0].image`) or server-side apply's structured-merge-diff
/// (`.spec.containers[name="c"].image`).
public struct FieldPath: Equatable, Sendable {
    /// One step of a path.
    public enum Step: Equatable, Sendable {
        /// An object member (a declared field or a map key).
        case member(String)
        /// An array element; `keys` are the element's list-map key values, when the list is associative.
        case element(Int, keys: [(String, JSONValue)])

        public static func == (a: Step, b: Step) -> Bool {
            switch (a, b) {
            case (.member(let x), .member(let y)): return x == y
            case (.element(let i, let k), .element(let j, let l)):
                return i == j && k.map(\.0) == l.map(\.0) && k.map(\.1) == l.map(\.1)
            default: return false
            }
        }
    }

    public var steps: [Step] = []

    public init(_ steps: [Step] = []) { self.steps = steps }

    /// This path extended by one step.
    public func appending(_ s: Step) -> FieldPath { FieldPath(steps + [s]) }

    /// `spec.containers[0].image`, as kube's strict JSON decoder reports fields.
    public var decoderString: String {
        var out = ""
        for s in steps {
            switch s {
            case .member(let m): out += out.isEmpty ? m : "." + m
            case .element(let i, _): out += "[\(i)]"
            }
        }
        return out
    }

    /// `.spec.containers[name="c"].image`, as server-side apply reports fields.
    public var structuredMergeString: String {
        var out = ""
        for s in steps {
            switch s {
            case .member(let m): out += "." + m
            case .element(let i, let keys):
                if keys.isEmpty {
                    out += "[\(i)]"
                } else {
                    out += "[" + keys.map { "\($0.0)=\($0.1.jsonString())" }.joined(separator: ",") + "]"
                }
            }
        }
        return out
    }

    /// The path without array steps, as Go's JSON decoder names a struct field (`spec.containers.image`).
    public var goFieldString: String {
        steps.compactMap { if case .member(let m) = $0 { return m } else { return nil } }.joined(separator: ".")
    }
}
