import Foundation

/// The RollingUpdate and Recreate strategies and proportional scaling
/// (kube's rolling.go, recreate.go and `scale`).
extension DeploymentPlanner {
    func total(_ idx: [Int], _ f: (ReplicaSetView) -> Int) -> Int { idx.reduce(0) { $0 + f(rss[$1]) } }

    func active(_ idx: [Int]) -> [Int] { idx.filter { rss[$0].replicas > 0 } }

    func oldestFirst(_ idx: [Int]) -> [Int] { idx.sorted { ReplicaSetView.olderFirst(rss[$0], rss[$1]) } }

    // MARK: RollingUpdate

    mutating func rolloutRolling() {
        let (found, old) = allReplicaSetsSyncingRevision(create: true)
        guard let n = found else { return }
        let all = old + [n]
        if reconcileNewReplicaSet(all: all, new: n) || reconcileOldReplicaSets(all: all, old: active(old), new: n) {
            syncRolloutStatus(all: all, new: n)
            return
        }
        if isComplete(d.status) { cleanup(old: old) }
        syncRolloutStatus(all: all, new: n)
    }

    /// Scales the new ReplicaSet up as far as maxSurge allows (or down to replicas).
    mutating func reconcileNewReplicaSet(all: [Int], new n: Int) -> Bool {
        if rss[n].replicas == d.replicas { return false }
        if rss[n].replicas > d.replicas { return scaleAndRecord(n, to: d.replicas) }
        return scaleAndRecord(n, to: newReplicaSetReplicas(all: all, new: n))
    }

    /// Scales old ReplicaSets down as far as maxUnavailable allows, unhealthy replicas first.
    mutating func reconcileOldReplicaSets(all: [Int], old: [Int], new n: Int) -> Bool {
        if total(old, \.replicas) == 0 { return false }
        let minAvailable = d.replicas - d.maxUnavailable
        let newUnavailable = rss[n].replicas - rss[n].availableReplicas
        let maxScaledDown = total(all, \.replicas) - minAvailable - newUnavailable
        if maxScaledDown <= 0 { return false }
        guard let cleaned = cleanupUnhealthyReplicas(old: old, max: maxScaledDown) else { return false }
        let scaled = scaleDownOldForRollingUpdate(all: all, old: old)
        return cleaned + scaled > 0
    }

    /// Removes old replicas that are not available; nil when a stale status makes the request invalid.
    mutating func cleanupUnhealthyReplicas(old: [Int], max maxCleanup: Int) -> Int? {
        var done = 0
        for i in oldestFirst(old) {
            if done >= maxCleanup { break }
            let rs = rss[i]
            if rs.replicas == 0 || rs.replicas == rs.availableReplicas { continue }
            let down = min(maxCleanup - done, rs.replicas - rs.availableReplicas)
            if down < 0 { return nil }
            scaleAndRecord(i, to: rs.replicas - down)
            done += down
        }
        return done
    }

    /// Scales old ReplicaSets down by what is available beyond minAvailable, oldest first.
    mutating func scaleDownOldForRollingUpdate(all: [Int], old: [Int]) -> Int {
        let minAvailable = d.replicas - d.maxUnavailable
        let available = total(all, \.availableReplicas)
        if available <= minAvailable { return 0 }
        let target = available - minAvailable
        var done = 0
        for i in oldestFirst(old) {
            if done >= target { break }
            if rss[i].replicas == 0 { continue }
            let down = min(rss[i].replicas, target - done)
            scaleAndRecord(i, to: rss[i].replicas - down)
            done += down
        }
        return done
    }

    // MARK: Recreate

    mutating func rolloutRecreate() {
        var (found, old) = allReplicaSetsSyncingRevision(create: false)
        var all = old + (found.map { [$0] } ?? [])
        var scaledDown = false
        for i in active(old) {
            if scaleAndRecord(i, to: 0) { scaledDown = true }
        }
        if scaledDown || oldPodsRunning(new: found, old: old) {
            syncRolloutStatus(all: all, new: found)
            return
        }
        if found == nil {
            (found, old) = allReplicaSetsSyncingRevision(create: true)
            all = old + (found.map { [$0] } ?? [])
        }
        if let n = found { scaleAndRecord(n, to: d.replicas) }
        if isComplete(d.status) { cleanup(old: old) }
        syncRolloutStatus(all: all, new: found)
    }

    /// Old ReplicaSets still report replicas, or any pod outside the new ReplicaSet has not finished.
    func oldPodsRunning(new n: Int?, old: [Int]) -> Bool {
        if total(old, \.statusReplicas) > 0 { return true }
        let newUID = n.map { rss[$0].uid }
        for (uid, pods) in podsByReplicaSet where uid != newUID {
            for p in pods {
                let phase = p[path: ["status", "phase"]]?.stringValue
                if phase != "Failed" && phase != "Succeeded" { return true }
            }
        }
        return false
    }

    // MARK: proportional scaling

    /// kube's `scale`: resize the only active ReplicaSet, finish a saturated
    /// rollout, or spread a replica change over all active ReplicaSets.
    mutating func scale(new n: Int?, old: [Int]) {
        if let target = activeOrLatest(new: n, old: old) {
            if rss[target].replicas != d.replicas { scaleAndRecord(target, to: d.replicas) }
            return
        }
        if let n, isSaturated(n) {
            for i in active(old) { scaleAndRecord(i, to: 0) }
            return
        }
        guard d.isRolling else { return }
        var all = active(old + (n.map { [$0] } ?? []))
        let allowed = d.replicas > 0 ? d.replicas + d.maxSurge : 0
        let toAdd = allowed - total(all, \.replicas)
        var operation = ""
        if toAdd > 0 {
            all.sort { rss[$0].replicas != rss[$1].replicas ? rss[$0].replicas > rss[$1].replicas : ReplicaSetView.olderFirst(rss[$1], rss[$0]) }
            operation = "up"
        } else if toAdd < 0 {
            all.sort { rss[$0].replicas != rss[$1].replicas ? rss[$0].replicas > rss[$1].replicas : ReplicaSetView.olderFirst(rss[$0], rss[$1]) }
            operation = "down"
        }
        var added = 0
        var sizes: [Int: Int] = [:]
        for i in all {
            let p = toAdd != 0 ? proportion(i, toAdd: toAdd, added: added) : 0
            sizes[i] = rss[i].replicas + p
            added += p
        }
        for (pos, i) in all.enumerated() {
            if pos == 0 && toAdd != 0 { sizes[i] = max(0, sizes[i]! + toAdd - added) }
            scaleReplicaSet(i, to: sizes[i]!, operation: operation)
        }
    }

    /// The only active ReplicaSet, or the newest one when none is active; nil when several are active.
    func activeOrLatest(new n: Int?, old: [Int]) -> Int? {
        if n == nil && old.isEmpty { return nil }
        let newestOld = old.sorted { ReplicaSetView.olderFirst(rss[$1], rss[$0]) }
        let act = active(newestOld + (n.map { [$0] } ?? []))
        switch act.count {
        case 0: return n ?? newestOld.first
        case 1: return act[0]
        default: return nil
        }
    }

    /// The new ReplicaSet runs every desired replica, available, and was sized for this count.
    func isSaturated(_ n: Int) -> Bool {
        let rs = rss[n]
        guard let s = rs.annotations[DeploymentAnnotations.desiredReplicas], let desired = Int(s) else { return false }
        return rs.replicas == d.replicas && desired == d.replicas && rs.availableReplicas == d.replicas
    }

    /// kube's GetProportion / getReplicaSetFraction.
    func proportion(_ i: Int, toAdd: Int, added: Int) -> Int {
        let rs = rss[i]
        if rs.replicas == 0 || toAdd == 0 || toAdd == added { return 0 }
        var fraction: Int
        if d.replicas == 0 {
            fraction = -rs.replicas
        } else {
            let annotated = rs.annotations[DeploymentAnnotations.maxReplicas].flatMap { Int($0) } ?? d.statusInt("replicas")
            guard annotated != 0 else { return 0 }
            let size = Double(rs.replicas * (d.replicas + d.maxSurge)) / Double(annotated)
            fraction = Int(size.rounded(.toNearestOrAwayFromZero)) - rs.replicas
        }
        let allowed = toAdd - added
        return toAdd > 0 ? min(fraction, allowed) : max(fraction, allowed)
    }
}
