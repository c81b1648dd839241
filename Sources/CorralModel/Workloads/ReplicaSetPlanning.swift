import Foundation

/// The pods a ReplicaSet controls after claiming: its own matching pods plus
/// orphans to adopt; pods it owns that no longer match are released.
public struct PodClaim: Equatable, Sendable {
    /// Pods already controlled by the ReplicaSet that match its selector.
    public var owned: [JSONValue] = []
    /// Matching orphans to adopt (add a controller reference).
    public var adopt: [JSONValue] = []
    /// Controlled pods that no longer match (remove our reference).
    public var release: [JSONValue] = []
}

/// Pure rules of kube's ReplicaSet controller: claiming, new pods, status.
public enum ReplicaSetPlanning {
    /// Most pods created or deleted in one sync (kube's `burstReplicas`).
    public static let burstReplicas = 500

    /// Claims `pods` (active pods of the ReplicaSet's namespace) as kube's
    /// `PodControllerRefManager.ClaimPods` does; the Deployment controller
    /// claims its ReplicaSets the same way. An owner being deleted neither
    /// adopts nor releases.
    public static func claim(owner: JSONValue, selector: LabelSelector, pods: [JSONValue]) -> PodClaim {
        let uid = PodState.uid(owner)
        let deleting = owner[path: ["metadata", "deletionTimestamp"]] != nil
        var c = PodClaim()
        for p in pods {
            let matches = selector.matches(object: p)
            if let ref = PodState.controllerUID(p) {
                guard ref == uid else { continue }
                if matches { c.owned.append(p) } else if !deleting { c.release.append(p) }
            } else if matches && !deleting && p[path: ["metadata", "deletionTimestamp"]] == nil {
                c.adopt.append(p)
            }
        }
        return c
    }

    /// A pod for the ReplicaSet's template (kube's `GetPodFromTemplate`):
    /// template labels, annotations and finalizers, `generateName` "RS-", and
    /// a controller reference to the ReplicaSet.
    public static func newPod(for rs: JSONValue) -> JSONValue {
        let tmeta = rs[path: ["spec", "template", "metadata"]] ?? [:]
        var meta = JSONObject([("generateName", .string(PodState.name(rs) + "-")), ("namespace", .string(PodState.namespace(rs)))])
        for f in ["labels", "annotations", "finalizers"] {
            if let v = tmeta[f], !v.isNull { meta[f] = v }
        }
        meta["ownerReferences"] = [PodState.ownerReference(to: rs)]
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(meta),
                "spec": rs[path: ["spec", "template", "spec"]] ?? [:]]
    }

    /// The ReplicaSet status kube's `calculateStatus` writes for the claimed
    /// active pods. `manageError` is the first create/delete error of this
    /// sync (it sets condition ReplicaFailure; none removes it).
    public static func status(rs: JSONValue, pods: [JSONValue], manageError: String?, now: Date) -> JSONValue {
        let minReady = rs[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        let templateLabels = rs[path: ["spec", "template", "metadata", "labels"]]?.objectValue ?? JSONObject()
        var fully = 0, ready = 0, available = 0
        for p in pods {
            let labels = LabelSelector.labels(of: p)
            if templateLabels.allSatisfy({ labels[$0.key] == $0.value.stringValue }) { fully += 1 }
            if PodState.isReady(p) {
                ready += 1
                if PodState.isAvailable(p, minReadySeconds: minReady, now: now) { available += 1 }
            }
        }
        var conds = (rs[path: ["status", "conditions"]]?.arrayValue ?? [])
        let hasFailure = conds.contains { $0["type"]?.stringValue == "ReplicaFailure" }
        if let err = manageError, !hasFailure {
            let desired = Int(rs[path: ["spec", "replicas"]]?.intValue ?? 1)
            let reason = pods.count < desired ? "FailedCreate" : "FailedDelete"
            conds.append(["type": "ReplicaFailure", "status": "True", "lastTransitionTime": .string(ObjectLifecycle.timestamp(now)),
                          "reason": .string(reason), "message": .string(err)])
        } else if manageError == nil && hasFailure {
            conds.removeAll { $0["type"]?.stringValue == "ReplicaFailure" }
        }
        // Fields kube marks omitempty are left out when zero.
        var s = JSONObject()
        s["replicas"] = .int(Int64(pods.count))
        if fully > 0 { s["fullyLabeledReplicas"] = .int(Int64(fully)) }
        if ready > 0 { s["readyReplicas"] = .int(Int64(ready)) }
        if available > 0 { s["availableReplicas"] = .int(Int64(available)) }
        if let g = rs[path: ["metadata", "generation"]]?.intValue, g != 0 { s["observedGeneration"] = .int(g) }
        if !conds.isEmpty { s["conditions"] = .array(conds) }
        return .object(s)
    }

    /// Seconds until the next claimed pod turns available (to re-check then), if any.
    public static func nextAvailabilityCheck(rs: JSONValue, pods: [JSONValue], now: Date) -> TimeInterval? {
        let minReady = rs[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        return pods.compactMap { PodState.secondsUntilAvailable($0, minReadySeconds: minReady, now: now) }.min()
    }

    /// The `SuccessfulCreate` event message.
    public static func createdMessage(_ pod: String) -> String { "Created pod: \(pod)" }
    /// The `SuccessfulDelete` event message.
    public static func deletedMessage(_ pod: String) -> String { "Deleted pod: \(pod)" }
    /// The `FailedCreate` event message.
    public static func createErrorMessage(_ err: String) -> String { "Error creating: \(err)" }
    /// The `FailedDelete` event message.
    public static func deleteErrorMessage(_ err: String) -> String { "Error deleting: \(err)" }
}
