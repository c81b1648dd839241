import Foundation

/// One sync of kube's Deployment controller as a pure function: given the
/// Deployment, the ReplicaSets it controls and their pods, it returns the
/// writes kube would make in that sync (in order). The planner keeps its own
/// copies up to date as it "writes", like kube does with returned objects.
public struct DeploymentPlanner {
    var d: DeploymentView
    var rss: [ReplicaSetView]
    let podsByReplicaSet: [String: [JSONValue]]
    let now: Date
    var actions: [DeploymentAction] = []
    var requeueAfter: TimeInterval?

    /// Plans one sync. `replicaSets` are those the Deployment controls (after
    /// claiming); `podsByReplicaSet` maps ReplicaSet uid → its pods (used by Recreate).
    public static func plan(deployment: JSONValue, replicaSets: [JSONValue], podsByReplicaSet: [String: [JSONValue]] = [:],
                            now: Date) -> DeploymentPlan {
        var p = DeploymentPlanner(d: DeploymentView(deployment), rss: replicaSets.map(ReplicaSetView.init),
                                  podsByReplicaSet: podsByReplicaSet, now: now)
        p.sync()
        return DeploymentPlan(actions: p.actions, requeueAfter: p.requeueAfter)
    }

    /// kube's `syncDeployment` after listing and claiming.
    mutating func sync() {
        if selectsEverything {
            event("Warning", "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
            if (d.status["observedGeneration"]?.intValue ?? 0) < d.generation {
                d.status["observedGeneration"] = .int(d.generation)
                writeDeployment()
            }
            return
        }
        if d.deleting {
            let (n, old) = allReplicaSetsSyncingRevision(create: false)
            syncDeploymentStatus(all: old + (n.map { [$0] } ?? []), new: n)
            return
        }
        checkPausedConditions()
        if d.paused || isScalingEvent() {
            syncScaling()
        } else if d.isRolling {
            rolloutRolling()
        } else {
            rolloutRecreate()
        }
    }

    /// An empty selector (`{}`) would select every pod in the namespace.
    var selectsEverything: Bool {
        guard let s = d.selector.objectValue else { return false }
        let labels = s["matchLabels"]?.objectValue ?? JSONObject()
        let exprs = s["matchExpressions"]?.arrayValue ?? []
        return labels.isEmpty && exprs.isEmpty
    }

    var hasProgressDeadline: Bool { d.progressDeadlineSeconds != nil }

    // MARK: recording writes

    mutating func event(_ type: String, _ reason: String, _ message: String) {
        actions.append(.event(type: type, reason: reason, message: message))
    }

    mutating func writeDeployment() {
        actions.append(.updateDeployment(annotations: d.annotations, status: .object(d.status)))
    }

    mutating func writeReplicaSet(_ i: Int, from: Int) {
        let rs = rss[i]
        actions.append(.updateReplicaSet(name: rs.name, uid: rs.uid, fromReplicas: from, replicas: rs.replicas,
                                         annotations: rs.annotations, minReadySeconds: rs.minReadySeconds))
    }

    mutating func setCondition(_ type: String, _ status: String, _ reason: String, _ message: String) {
        var conds = d.conditions
        DeploymentConditions.set(&conds, DeploymentConditions.make(type, status, reason, message, now: now))
        d.status["conditions"] = .array(conds)
    }

    // MARK: paused and scaling

    /// Records that the Deployment was paused or resumed (kube's checkPausedConditions).
    mutating func checkPausedConditions() {
        guard hasProgressDeadline else { return }
        let cond = DeploymentConditions.get(d.conditions, "Progressing")
        let reason = cond?["reason"]?.stringValue
        if reason == "ProgressDeadlineExceeded" { return }
        if d.paused && reason != "DeploymentPaused" {
            setCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused")
            writeDeployment()
        } else if !d.paused && reason == "DeploymentPaused" {
            setCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed")
            writeDeployment()
        }
    }

    /// True when an active ReplicaSet was sized for a different replica count.
    mutating func isScalingEvent() -> Bool {
        let (n, old) = allReplicaSetsSyncingRevision(create: false)
        for i in old + (n.map { [$0] } ?? []) where rss[i].replicas > 0 {
            if let s = rss[i].annotations[DeploymentAnnotations.desiredReplicas], let desired = Int(s), desired != d.replicas {
                return true
            }
        }
        return false
    }

    /// kube's `sync`: scale proportionally, clean up when paused, update status.
    mutating func syncScaling() {
        let (n, old) = allReplicaSetsSyncingRevision(create: false)
        scale(new: n, old: old)
        if d.paused { cleanup(old: old) }
        syncDeploymentStatus(all: old + (n.map { [$0] } ?? []), new: n)
    }

    /// Sizes `rss[i]` to `newScale` and records the ScalingReplicaSet event; false when already that size.
    @discardableResult
    mutating func scaleAndRecord(_ i: Int, to newScale: Int) -> Bool {
        if rss[i].replicas == newScale { return false }
        return scaleReplicaSet(i, to: newScale, operation: rss[i].replicas < newScale ? "up" : "down")
    }

    /// Writes replicas and the desired/max annotations when either differs.
    @discardableResult
    mutating func scaleReplicaSet(_ i: Int, to newScale: Int, operation: String) -> Bool {
        let sizeChanged = rss[i].replicas != newScale
        let maxReplicas = d.replicas + d.maxSurge
        var rs = rss[i]
        let annotationsChanged = Self.setReplicasAnnotations(&rs, desired: d.replicas, max: maxReplicas)
        guard sizeChanged || annotationsChanged else { return false }
        let old = rs.replicas
        rs.replicas = newScale
        rss[i] = rs
        writeReplicaSet(i, from: old)
        if sizeChanged {
            event("Normal", "ScalingReplicaSet", Self.scaledMessage(operation, rs.name, from: old, to: newScale))
        }
        return sizeChanged
    }

    /// The ScalingReplicaSet event text (kube ≥ 1.31 orders it "from N to M").
    public static func scaledMessage(_ operation: String, _ rs: String, from: Int, to: Int) -> String {
        "Scaled \(operation) replica set \(rs) from \(from) to \(to)"
    }

    /// Sets desired-replicas / max-replicas; true when either changed.
    static func setReplicasAnnotations(_ rs: inout ReplicaSetView, desired: Int, max: Int) -> Bool {
        var changed = false
        for (k, v) in [(DeploymentAnnotations.desiredReplicas, String(desired)), (DeploymentAnnotations.maxReplicas, String(max))]
        where rs.annotations[k] != v {
            rs.annotations[k] = v
            changed = true
        }
        return changed
    }

    // MARK: history cleanup

    /// Deletes the oldest scaled-down ReplicaSets beyond revisionHistoryLimit.
    mutating func cleanup(old: [Int]) {
        guard let limit = d.revisionHistoryLimit else { return }
        var cleanable = old.filter { !rss[$0].deleting }
        let diff = cleanable.count - limit
        guard diff > 0 else { return }
        cleanable.sort { a, b in
            let ra = rss[a].revision ?? 0, rb = rss[b].revision ?? 0
            return ra == rb ? ReplicaSetView.olderFirst(rss[a], rss[b]) : ra < rb
        }
        for i in cleanable.prefix(diff) {
            let rs = rss[i]
            if rs.statusReplicas != 0 || rs.replicas != 0 || rs.generation > rs.observedGeneration || rs.deleting { continue }
            actions.append(.deleteReplicaSet(name: rs.name, uid: rs.uid))
            rss[i].deleting = true
        }
    }
}
