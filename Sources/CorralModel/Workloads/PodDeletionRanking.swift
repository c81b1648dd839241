import Foundation

/// Which pods a ReplicaSet deletes first when it scales down: kube's
/// `ActivePodsWithRanks` order (with LogarithmicScaleDown and PodDeletionCost on).
public enum PodDeletionRanking {
    /// The first `count` pods of `pods` in deletion order. `related` are the
    /// pods of every ReplicaSet sharing the owner (they decide who is "doubled
    /// up" on a node).
    public static func podsToDelete(_ pods: [JSONValue], related: [JSONValue], count: Int, now: Date) -> [JSONValue] {
        guard count < pods.count else { return Array(pods.prefix(max(count, 0))) }
        var perNode: [String: Int] = [:]
        for p in related where PodState.isActive(p) { perNode[nodeName(p), default: 0] += 1 }
        let ranked = pods.map { (pod: $0, rank: perNode[nodeName($0)] ?? 0) }
        let sorted = ranked.sorted { deleteFirst($0.pod, $0.rank, $1.pod, $1.rank, now: now) }
        return sorted.prefix(count).map(\.pod)
    }

    static let phaseOrdinal: [String: Int] = ["Pending": 0, "Unknown": 1, "Running": 2]

    static func nodeName(_ p: JSONValue) -> String { p[path: ["spec", "nodeName"]]?.stringValue ?? "" }

    /// True when pod `a` (with rank `ra`) should go before pod `b`.
    static func deleteFirst(_ a: JSONValue, _ ra: Int, _ b: JSONValue, _ rb: Int, now: Date) -> Bool {
        // 1. Unassigned < assigned.
        let na = nodeName(a), nb = nodeName(b)
        if na != nb && (na.isEmpty || nb.isEmpty) { return na.isEmpty }
        // 2. Pending < Unknown < Running.
        let pa = phaseOrdinal[a[path: ["status", "phase"]]?.stringValue ?? ""] ?? 0
        let pb = phaseOrdinal[b[path: ["status", "phase"]]?.stringValue ?? ""] ?? 0
        if pa != pb { return pa < pb }
        // 3. Not ready < ready.
        let ready = (PodState.isReady(a), PodState.isReady(b))
        if ready.0 != ready.1 { return !ready.0 }
        // 4. Lower pod-deletion-cost first.
        let ca = deletionCost(a), cb = deletionCost(b)
        if ca != cb { return ca < cb }
        // 5. Doubled up (more related pods on the same node) first.
        if ra != rb { return ra > rb }
        // 6. Ready for a shorter time first (log2 buckets).
        if ready.0 && ready.1 {
            let ta = PodState.readySince(a), tb = PodState.readySince(b)
            if ta != tb, let r = newerFirst(ta, tb, a, b, now: now) { return r }
        }
        // 7. More container restarts first.
        let ra = maxRestarts(a), rb2 = maxRestarts(b)
        if ra != rb2 { return ra > rb2 }
        // 8. Newer pods first (log2 buckets).
        let ctA = a[path: ["metadata", "creationTimestamp"]]?.stringValue.flatMap(ObjectLifecycle.parseTimestamp)
        let ctB = b[path: ["metadata", "creationTimestamp"]]?.stringValue.flatMap(ObjectLifecycle.parseTimestamp)
        if ctA != ctB, let r = newerFirst(ctA, ctB, a, b, now: now) { return r }
        return false
    }

    /// Zero times first, then by log2 of the age in nanoseconds; equal buckets fall back to uid order.
    static func newerFirst(_ t1: Date?, _ t2: Date?, _ a: JSONValue, _ b: JSONValue, now: Date) -> Bool? {
        guard let t1, let t2 else { return t1 == nil }
        let r = bucket(now.timeIntervalSince(t1)) - bucket(now.timeIntervalSince(t2))
        if r == 0 { return PodState.uid(a) < PodState.uid(b) }
        return r < 0
    }

    static func bucket(_ age: TimeInterval) -> Int {
        let ns = age * 1e9
        return ns > 0 ? Int(log2(ns)) : -1
    }

    static func deletionCost(_ p: JSONValue) -> Int32 {
        Int32(p[path: ["metadata", "annotations", "controller.kubernetes.io/pod-deletion-cost"]]?.stringValue ?? "") ?? 0
    }

    static func maxRestarts(_ p: JSONValue) -> Int64 {
        (p[path: ["status", "containerStatuses"]]?.arrayValue ?? []).compactMap { $0["restartCount"]?.intValue }.max() ?? 0
    }
}
