/// The four PATCH media types kube-apiserver accepts.
public enum PatchType: String, Sendable, CaseIterable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategic = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"
}

/// The patch engines: pure functions from (patch, document) to document.
/// Errors are `APIError`s worded as kube-apiserver words them, ready to be
/// rendered as a `Status` by the API server.
public enum Patch {
    /// API groups whose types are compiled into corrald, and so have the
    /// per-field list semantics strategic merge patch needs. Custom resources
    /// (anything else) get 415 from kube-apiserver for strategic patches.
    static let builtinGroups: Set<String> = [
        "", "apps", "batch", "autoscaling", "policy",
        "networking.k8s.io", "rbac.authorization.k8s.io", "coordination.k8s.io",
        "storage.k8s.io", "events.k8s.io", "discovery.k8s.io", "node.k8s.io",
        "scheduling.k8s.io", "certificates.k8s.io", "admissionregistration.k8s.io",
        "apiextensions.k8s.io", "apiregistration.k8s.io", "flowcontrol.apiserver.k8s.io",
        // Shipped built in by corral (CRDs in a real KubeVirt cluster).
        "kubevirt.io", "cdi.kubevirt.io", "k8s.cni.cncf.io",
        "snapshot.kubevirt.io", "clone.kubevirt.io", "export.kubevirt.io",
        "instancetype.kubevirt.io", "pool.kubevirt.io", "migrations.kubevirt.io",
    ]

    /// The API group of a storage key: "deployments.apps" → "apps", "pods" → "".
    static func group(ofStorageKey key: String) -> String {
        guard let dot = key.firstIndex(of: ".") else { return "" }
        return String(key[key.index(after: dot)...])
    }

    /// Whether `application/strategic-merge-patch+json` is accepted for the
    /// type with this storage key ("pods", "deployments.apps",
    /// "virtualmachines.kubevirt.io"). False for custom resources, which the
    /// API server must answer with 415.
    public static func supportsStrategic(storageKey: String) -> Bool {
        builtinGroups.contains(group(ofStorageKey: storageKey))
    }

    /// The most operations one JSON patch may hold, as in kube-apiserver.
    public static let maxJSONPatchOperations = 10_000
}

/// A patch failure before it is turned into an `APIError`: the detail text
/// (Go-style, as the upstream libraries word it) and the HTTP code.
struct PatchFailure: Error, Equatable, CustomStringConvertible {
    var message: String
    var code: Int = 400

    var description: String { message }

    /// The `APIError` kube-apiserver would answer with.
    var apiError: APIError {
        switch code {
        case 422:
            // kube-apiserver wraps these in a generic server response and drops the detail.
            return APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request")
        case 413:
            return APIError(code: 413, reason: "RequestEntityTooLarge", message: "Request entity too large: \(message)")
        default:
            return APIError.badRequest(message)
        }
    }

    static let badJSONDoc = PatchFailure(message: "invalid JSON document")
    static let noListOfLists = PatchFailure(message: "lists of lists are not supported", code: 422)
    static let badPrimitiveList = PatchFailure(message: "invalid patch format of primitive list")
    static let badRetainKeys = PatchFailure(message: "invalid patch format of retainKeys")
    static let badSetElementOrder = PatchFailure(message: "invalid patch format of setElementOrder list")
    static let retainKeysMismatch = PatchFailure(message: "patch content doesn't match retainKeys list", code: 422)

    static func noMergeKey(_ m: JSONObject, _ key: String) -> PatchFailure {
        PatchFailure(message: "map: \(GoFormat.string(.object(m))) does not contain declared merge key: \(key)")
    }

    static func badArgType(expected: String, _ actual: JSONValue?) -> PatchFailure {
        PatchFailure(message: "expected a \(expected), but received a \(GoFormat.typeName(actual))")
    }

    static func badPatchType(_ t: JSONValue, _ m: JSONObject) -> PatchFailure {
        PatchFailure(message: "unknown patch type: \(GoFormat.string(t)) in map: \(GoFormat.string(.object(m)))")
    }
}

/// Renders values the way Go's `%v` prints decoded JSON, for error messages
/// that must read like kube-apiserver's.
enum GoFormat {
    static func string(_ v: JSONValue) -> String {
        switch v {
        case .null: return "<nil>"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            // Go prints integral floats without a fraction below 1e21.
            if d.rounded() == d && abs(d) < 9e18 { return String(Int64(d)) }
            return "\(d)"
        case .string(let s): return s
        case .array(let a): return "[" + a.map(string).joined(separator: " ") + "]"
        case .object(let o):
            let keys = o.keys.sorted()
            return "map[" + keys.map { "\($0):\(string(o[$0]!))" }.joined(separator: " ") + "]"
        }
    }

    /// Go's reflect type name for a decoded JSON value.
    static func typeName(_ v: JSONValue?) -> String {
        switch v {
        case nil, .null?: return "<nil>"
        case .bool?: return "bool"
        case .int?: return "int64"
        case .double?: return "float64"
        case .string?: return "string"
        case .array?: return "[]interface {}"
        case .object?: return "map[string]interface {}"
        }
    }
}

/// Value comparisons that treat 1 and 1.0 alike, as JSON has one number type.
enum JSONEquality {
    static func equal(_ a: JSONValue?, _ b: JSONValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (nil, _), (_, nil): return false
        case let (.int(x)?, .double(y)?): return Double(x) == y
        case let (.double(x)?, .int(y)?): return x == Double(y)
        case let (.array(x)?, .array(y)?):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case let (.object(x)?, .object(y)?):
            return x.count == y.count && x.allSatisfy { equal($0.value, y[$0.key]) }
        default: return a == b
        }
    }

    /// The broad kind of a value, for "all list elements have one type" checks.
    enum Kind: Equatable { case null, bool, number, string, array, object }

    static func kind(_ v: JSONValue) -> Kind {
        switch v {
        case .null: return .null
        case .bool: return .bool
        case .int, .double: return .number
        case .string: return .string
        case .array: return .array
        case .object: return .object
        }
    }
}
