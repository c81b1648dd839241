import Foundation

/// A node taint (`spec.taints[]`).
public struct Taint: Equatable, Sendable {
    public var key: String
    public var value: String
    public var effect: String

    /// A taint from its parts.
    public init(key: String, value: String = "", effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    /// Reads a taint object; nil without a key.
    public init?(json: JSONValue) {
        guard let k = json["key"]?.stringValue, !k.isEmpty else { return nil }
        self.init(key: k, value: json["value"]?.stringValue ?? "", effect: json["effect"]?.stringValue ?? "")
    }

    /// The taint kube puts on a node with `spec.unschedulable: true`.
    public static let unschedulable = Taint(key: "node.kubernetes.io/unschedulable", effect: "NoSchedule")
}

/// A pod toleration (`spec.tolerations[]`).
public struct Toleration: Equatable, Sendable {
    public var key: String
    public var op: String
    public var value: String
    public var effect: String

    /// Reads a toleration object (missing fields are empty).
    public init(json: JSONValue) {
        key = json["key"]?.stringValue ?? ""
        op = json["operator"]?.stringValue ?? ""
        value = json["value"]?.stringValue ?? ""
        effect = json["effect"]?.stringValue ?? ""
    }

    /// Whether this toleration tolerates `taint` (core/v1 `Toleration.ToleratesTaint`):
    /// an empty effect matches every effect, an empty key every key,
    /// `Exists` any value, `Equal` (or empty) only the same value.
    public func tolerates(_ taint: Taint) -> Bool {
        if !effect.isEmpty && effect != taint.effect { return false }
        if !key.isEmpty && key != taint.key { return false }
        switch op {
        case "", "Equal": return value == taint.value
        case "Exists": return true
        default: return false
        }
    }

    /// The tolerations of a pod.
    public static func of(_ pod: JSONValue) -> [Toleration] {
        (pod[path: ["spec", "tolerations"]]?.arrayValue ?? []).map(Toleration.init(json:))
    }
}

/// `spec.nodeSelector` and required node affinity, matched against one node
/// as kube-scheduler's NodeAffinity plugin does.
public enum NodeAffinityRules {
    /// True when the pod's nodeSelector labels all match and, if present, one
    /// of its required node-affinity terms matches the node.
    public static func matches(pod: JSONValue, nodeName: String, nodeLabels: [String: String]) -> Bool {
        for (k, v) in pod[path: ["spec", "nodeSelector"]]?.objectValue ?? JSONObject() where nodeLabels[k] != v.stringValue {
            return false
        }
        guard let required = pod[path: ["spec", "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]],
              !required.isNull else { return true }
        let terms = required["nodeSelectorTerms"]?.arrayValue ?? []
        return terms.contains { termMatches($0, nodeName: nodeName, labels: nodeLabels) }
    }

    /// A term ANDs its label expressions and field expressions; an empty term matches nothing.
    static func termMatches(_ term: JSONValue, nodeName: String, labels: [String: String]) -> Bool {
        let exprs = term["matchExpressions"]?.arrayValue ?? []
        let fields = term["matchFields"]?.arrayValue ?? []
        if exprs.isEmpty && fields.isEmpty { return false }
        for e in exprs {
            guard let key = e["key"]?.stringValue, requirementMatches(e, value: labels[key]) else { return false }
        }
        for f in fields {
            // Only metadata.name is a supported field, with In / NotIn.
            guard f["key"]?.stringValue == "metadata.name", ["In", "NotIn"].contains(f["operator"]?.stringValue ?? ""),
                  requirementMatches(f, value: nodeName) else { return false }
        }
        return true
    }

    /// One `{key, operator, values}` requirement against the node's value for
    /// the key (nil when the node lacks it). Malformed requirements never match.
    static func requirementMatches(_ req: JSONValue, value: String?) -> Bool {
        let values = (req["values"]?.arrayValue ?? []).compactMap(\.stringValue)
        switch req["operator"]?.stringValue ?? "" {
        case "In":
            guard !values.isEmpty, let v = value else { return false }
            return values.contains(v)
        case "NotIn":
            guard !values.isEmpty else { return false }
            guard let v = value else { return true }
            return !values.contains(v)
        case "Exists":
            return values.isEmpty && value != nil
        case "DoesNotExist":
            return values.isEmpty && value == nil
        case "Gt", "Lt":
            guard values.count == 1, let bound = Int64(values[0]), let v = value, let n = Int64(v) else { return false }
            return req["operator"]?.stringValue == "Gt" ? n > bound : n < bound
        default:
            return false
        }
    }
}
