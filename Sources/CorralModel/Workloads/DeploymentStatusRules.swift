import Foundation

/// Deployment status: counts, the Available and Progressing conditions and
/// the progress deadline (kube's calculateStatus and progress.go).
extension DeploymentPlanner {
    /// All desired replicas updated and available, nothing old left, spec observed (kube's DeploymentComplete).
    func isComplete(_ s: JSONObject) -> Bool {
        func n(_ k: String) -> Int { Int(s[k]?.intValue ?? 0) }
        return n("updatedReplicas") == d.replicas && n("replicas") == d.replicas && n("availableReplicas") == d.replicas
            && (s["observedGeneration"]?.intValue ?? 0) >= d.generation
    }

    /// Status counts from the ReplicaSets, conditions carried over, Available recomputed.
    func calculateStatus(all: [Int], new n: Int?) -> JSONObject {
        let available = total(all, \.availableReplicas)
        let unavailable = max(0, total(all, \.replicas) - available)
        var s = JSONObject()
        // kube marks every count omitempty.
        func put(_ k: String, _ v: Int) { if v != 0 { s[k] = .int(Int64(v)) } }
        if d.generation != 0 { s["observedGeneration"] = .int(d.generation) }
        put("replicas", total(all, \.statusReplicas))
        put("updatedReplicas", n.map { rss[$0].statusReplicas } ?? 0)
        put("readyReplicas", total(all, \.readyReplicas))
        put("availableReplicas", available)
        put("unavailableReplicas", unavailable)
        var conds = d.conditions
        if available >= d.replicas - d.maxUnavailable {
            DeploymentConditions.set(&conds, DeploymentConditions.make("Available", "True", "MinimumReplicasAvailable",
                                                                       "Deployment has minimum availability.", now: now))
        } else {
            DeploymentConditions.set(&conds, DeploymentConditions.make("Available", "False", "MinimumReplicasUnavailable",
                                                                       "Deployment does not have minimum availability.", now: now))
        }
        if !conds.isEmpty { s["conditions"] = .array(conds) }
        if let c = d.status["collisionCount"] { s["collisionCount"] = c }
        return s
    }

    /// Writes the status when it differs (scaling and paused syncs).
    mutating func syncDeploymentStatus(all: [Int], new n: Int?) {
        let s = calculateStatus(all: all, new: n)
        if s == d.status { return }
        d.status = s
        writeDeployment()
    }

    /// Writes the status with progress estimation (rollout syncs).
    mutating func syncRolloutStatus(all: [Int], new n: Int?) {
        var s = calculateStatus(all: all, new: n)
        var conds = s["conditions"]?.arrayValue ?? []
        if !hasProgressDeadline { DeploymentConditions.remove(&conds, "Progressing") }
        let current = DeploymentConditions.get(d.conditions, "Progressing")
        let complete = Int(s["replicas"]?.intValue ?? 0) == Int(s["updatedReplicas"]?.intValue ?? 0)
            && current?["reason"]?.stringValue == "NewReplicaSetAvailable"
        let subject = n.map { "ReplicaSet \"\(rss[$0].name)\"" } ?? "Deployment \"\(d.name)\""
        if hasProgressDeadline && !complete {
            if isComplete(s) {
                DeploymentConditions.set(&conds, DeploymentConditions.make("Progressing", "True", "NewReplicaSetAvailable",
                                                                           "\(subject) has successfully progressed.", now: now))
            } else if isProgressing(s) {
                var c = DeploymentConditions.make("Progressing", "True", "ReplicaSetUpdated", "\(subject) is progressing.", now: now)
                // Progress refreshes lastUpdateTime even when the reason stays the same.
                if let cur = current {
                    if cur["status"]?.stringValue == "True" { c["lastTransitionTime"] = cur["lastTransitionTime"] }
                    DeploymentConditions.remove(&conds, "Progressing")
                }
                DeploymentConditions.set(&conds, c)
            } else if timedOut(conds) {
                DeploymentConditions.set(&conds, DeploymentConditions.make("Progressing", "False", "ProgressDeadlineExceeded",
                                                                           "\(subject) has timed out progressing.", now: now))
            }
        }
        if let failure = replicaFailure(all: all, new: n) {
            DeploymentConditions.set(&conds, failure)
        } else {
            DeploymentConditions.remove(&conds, "ReplicaFailure")
        }
        s["conditions"] = conds.isEmpty ? nil : .array(conds)
        if s == d.status {
            requeueAfter = stuckRecheck(s)
            return
        }
        d.status = s
        writeDeployment()
    }

    /// New pods updated, old pods gone, or more ready/available than last seen (kube's DeploymentProgressing).
    func isProgressing(_ s: JSONObject) -> Bool {
        func n(_ k: String) -> Int { Int(s[k]?.intValue ?? 0) }
        let oldOld = d.statusInt("replicas") - d.statusInt("updatedReplicas")
        let newOld = n("replicas") - n("updatedReplicas")
        return n("updatedReplicas") > d.statusInt("updatedReplicas") || newOld < oldOld
            || n("readyReplicas") > d.statusInt("readyReplicas") || n("availableReplicas") > d.statusInt("availableReplicas")
    }

    /// The Progressing condition is older than progressDeadlineSeconds (kube's DeploymentTimedOut).
    func timedOut(_ conds: [JSONValue]) -> Bool {
        guard let deadline = d.progressDeadlineSeconds, let c = DeploymentConditions.get(conds, "Progressing") else { return false }
        switch c["reason"]?.stringValue {
        case "NewReplicaSetAvailable": return false
        case "ProgressDeadlineExceeded": return true
        default:
            guard let from = c["lastUpdateTime"]?.stringValue.flatMap(ObjectLifecycle.parseTimestamp) else { return false }
            return from.addingTimeInterval(TimeInterval(deadline)) < now
        }
    }

    /// When nothing changed mid-rollout, when to check the deadline again (kube's requeueStuckDeployment).
    func stuckRecheck(_ s: JSONObject) -> TimeInterval? {
        guard let deadline = d.progressDeadlineSeconds, let cur = DeploymentConditions.get(d.conditions, "Progressing") else { return nil }
        if isComplete(s) || cur["reason"]?.stringValue == "ProgressDeadlineExceeded" { return nil }
        guard let from = cur["lastUpdateTime"]?.stringValue.flatMap(ObjectLifecycle.parseTimestamp) else { return nil }
        let after = from.addingTimeInterval(TimeInterval(deadline)).timeIntervalSince(now)
        return after < 1 ? 1 : after + 1
    }

    /// The ReplicaFailure condition of the new ReplicaSet, else of any ReplicaSet, as a Deployment condition.
    func replicaFailure(all: [Int], new n: Int?) -> JSONValue? {
        let order = (n.map { [$0] } ?? []) + all
        for i in order {
            if let c = rss[i].conditions.first(where: { $0["type"]?.stringValue == "ReplicaFailure" }) {
                return ["type": "ReplicaFailure", "status": c["status"] ?? "True",
                        "lastUpdateTime": c["lastTransitionTime"] ?? .null, "lastTransitionTime": c["lastTransitionTime"] ?? .null,
                        "reason": c["reason"] ?? "", "message": c["message"] ?? ""]
            }
        }
        return nil
    }
}

/// Status writes for outcomes the executor learns only when writing.
extension DeploymentPlanner {
    /// Status after a failed ReplicaSet create (Progressing=False ReplicaSetCreateError) and the event to record.
    public static func createFailed(deployment: JSONValue, replicaSet: String, error: String, now: Date) -> [DeploymentAction] {
        let msg = "Failed to create new replica set \"\(replicaSet)\": \(error)"
        var p = DeploymentPlanner(d: DeploymentView(deployment), rss: [], podsByReplicaSet: [:], now: now)
        if p.hasProgressDeadline {
            p.setCondition("Progressing", "False", "ReplicaSetCreateError", msg)
            p.writeDeployment()
        }
        p.event("Warning", "ReplicaSetCreateError", msg)
        return p.actions
    }

    /// Status with collisionCount raised after a hash collision.
    public static func collided(deployment: JSONValue) -> DeploymentAction {
        let v = DeploymentView(deployment)
        var s = v.status
        s["collisionCount"] = .int((s["collisionCount"]?.intValue ?? 0) + 1)
        return .updateDeployment(annotations: v.annotations, status: .object(s))
    }
}
