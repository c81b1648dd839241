import Foundation

/// Failures of workload planning (bad specs the controllers cannot act on).
public enum WorkloadError: Error, Equatable, CustomStringConvertible {
    /// An int-or-percent field holds something else.
    case invalidIntOrPercent(String)

    /// The message, worded like kube's errors.
    public var description: String {
        switch self {
        case .invalidIntOrPercent(let m): return "invalid value for IntOrString: \(m)"
        }
    }
}

/// Pod and owner facts the workload controllers read, as kube's pod utils define them.
public enum PodState {
    /// Neither finished (Succeeded/Failed) nor being deleted (kube's `IsPodActive`).
    public static func isActive(_ pod: JSONValue) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.stringValue
        return phase != "Succeeded" && phase != "Failed" && pod[path: ["metadata", "deletionTimestamp"]] == nil
    }

    /// The pod's `Ready` condition, if any.
    public static func readyCondition(_ pod: JSONValue) -> JSONValue? {
        pod[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
    }

    /// Condition Ready is True.
    public static func isReady(_ pod: JSONValue) -> Bool {
        readyCondition(pod)?["status"]?.stringValue == "True"
    }

    /// When the Ready condition last changed (nil when unknown).
    public static func readySince(_ pod: JSONValue) -> Date? {
        readyCondition(pod)?["lastTransitionTime"]?.stringValue.flatMap(ObjectLifecycle.parseTimestamp)
    }

    /// Ready for at least `minReadySeconds` (kube's `IsPodAvailable`).
    public static func isAvailable(_ pod: JSONValue, minReadySeconds: Int64, now: Date) -> Bool {
        guard isReady(pod) else { return false }
        if minReadySeconds == 0 { return true }
        guard let since = readySince(pod) else { return false }
        return since.addingTimeInterval(TimeInterval(minReadySeconds)) < now
    }

    /// Seconds until a ready pod becomes available (nil when it is not ready or already available).
    public static func secondsUntilAvailable(_ pod: JSONValue, minReadySeconds: Int64, now: Date) -> TimeInterval? {
        guard minReadySeconds > 0, isReady(pod), !isAvailable(pod, minReadySeconds: minReadySeconds, now: now),
              let since = readySince(pod) else { return nil }
        return max(0, since.addingTimeInterval(TimeInterval(minReadySeconds)).timeIntervalSince(now))
    }

    /// The owner reference with `controller: true`, if any.
    public static func controllerRef(_ obj: JSONValue) -> JSONValue? {
        obj[path: ["metadata", "ownerReferences"]]?.arrayValue?.first { $0["controller"]?.boolValue == true }
    }

    /// The controlling owner's uid, if any.
    public static func controllerUID(_ obj: JSONValue) -> String? {
        controllerRef(obj)?["uid"]?.stringValue
    }

    /// A controller owner reference to `owner` (`controller` and `blockOwnerDeletion` true).
    public static func ownerReference(to owner: JSONValue) -> JSONValue {
        [
            "apiVersion": owner["apiVersion"] ?? "", "kind": owner["kind"] ?? "",
            "name": owner[path: ["metadata", "name"]] ?? "", "uid": owner[path: ["metadata", "uid"]] ?? "",
            "controller": true, "blockOwnerDeletion": true,
        ]
    }

    /// The object's creation time (distant past when missing).
    public static func created(_ obj: JSONValue) -> Date {
        obj[path: ["metadata", "creationTimestamp"]]?.stringValue.flatMap(ObjectLifecycle.parseTimestamp) ?? .distantPast
    }

    /// metadata.name ("" when missing).
    public static func name(_ obj: JSONValue) -> String { obj[path: ["metadata", "name"]]?.stringValue ?? "" }
    /// metadata.uid ("" when missing).
    public static func uid(_ obj: JSONValue) -> String { obj[path: ["metadata", "uid"]]?.stringValue ?? "" }
    /// metadata.namespace ("" when missing).
    public static func namespace(_ obj: JSONValue) -> String { obj[path: ["metadata", "namespace"]]?.stringValue ?? "" }

    /// String-valued annotations of an object.
    public static func annotations(_ obj: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in obj[path: ["metadata", "annotations"]]?.objectValue ?? JSONObject() {
            if let s = v.stringValue { out[k] = s }
        }
        return out
    }
}

/// Int-or-percent fields (`maxSurge`, `maxUnavailable`) resolved against a total.
public enum IntOrPercent {
    /// An integer as is; "N%" of `total`, rounded up or down (kube's
    /// `GetScaledValueFromIntOrPercent`). Nil counts as 0.
    public static func scaled(_ v: JSONValue?, total: Int, roundUp: Bool) throws -> Int {
        switch v {
        case nil, .null?: return 0
        case .int(let i)?: return Int(i)
        case .string(let s)?:
            guard s.hasSuffix("%") else { throw WorkloadError.invalidIntOrPercent("invalid type: string is not a percentage") }
            guard let p = Int(s.dropLast()) else { throw WorkloadError.invalidIntOrPercent("invalid value \"\(s)\"") }
            let exact = Double(p) * Double(total) / 100
            return Int(roundUp ? exact.rounded(.up) : exact.rounded(.down))
        case .some(let other):
            if let i = other.intValue { return Int(i) }
            throw WorkloadError.invalidIntOrPercent("invalid type: \(other.typeName)")
        }
    }

    /// maxSurge (rounded up) and maxUnavailable (rounded down) for `desired`
    /// replicas; when both resolve to 0, unavailable becomes 1 (kube's `ResolveFenceposts`).
    public static func fenceposts(maxSurge: JSONValue?, maxUnavailable: JSONValue?, desired: Int) throws -> (surge: Int, unavailable: Int) {
        let surge = try scaled(maxSurge, total: desired, roundUp: true)
        var unavailable = try scaled(maxUnavailable, total: desired, roundUp: false)
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, unavailable)
    }
}
