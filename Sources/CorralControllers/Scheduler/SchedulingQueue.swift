import CorralModel
import CorralStore
import Foundation

/// The scheduler's view of the cluster, kept from watch events: nodes, what
/// bound pods use, pods waiting to be tried (active) and pods that did not
/// fit (unschedulable, retried when something changes or periodically).
final class SchedulingQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nodes: [String: JSONValue] = [:]
    private var bound: [String: (node: String, usage: PodUsage)] = [:]
    private var active: [String: (priority: Int64, created: Date)] = [:]
    private var unschedulable: [String: (priority: Int64, created: Date)] = [:]
    /// Bindings we made, by the revision that wrote them; older watch events must not undo them.
    private var assumed: [String: Int64] = [:]
    let schedulerName: String

    init(schedulerName: String) { self.schedulerName = schedulerName }

    static func key(_ pod: JSONValue) -> String { "\(PodState.namespace(pod))/\(PodState.name(pod))" }

    /// Whether this scheduler should place `pod` now.
    func wants(_ pod: JSONValue) -> Bool {
        let name = pod[path: ["spec", "schedulerName"]]?.stringValue ?? ""
        return (name.isEmpty || name == schedulerName) && (pod[path: ["spec", "nodeName"]]?.stringValue ?? "").isEmpty
            && PodState.isActive(pod)
    }

    static func order(_ pod: JSONValue) -> (priority: Int64, created: Date) {
        (pod[path: ["spec", "priority"]]?.intValue ?? 0, PodState.created(pod))
    }

    /// Applies one pod change. Returns true when room may have appeared.
    @discardableResult
    func apply(pod change: Change) -> Bool {
        let key = "\(change.key.namespace)/\(change.key.name)"
        let pod = change.object
        return lock.withLock {
            var freed = false
            let node = pod[path: ["spec", "nodeName"]]?.stringValue ?? ""
            if let r = assumed[key], change.type != .deleted, change.revision < r {
                // An event from before our binding: the binding stands.
            } else if change.type == .deleted || node.isEmpty || !Self.occupies(pod) {
                assumed[key] = nil
                freed = bound.removeValue(forKey: key) != nil
            } else {
                assumed[key] = nil
                bound[key] = (node, PodUsage(pod: pod))
            }
            if change.type == .deleted || !wants(pod) || assumed[key] != nil {
                active[key] = nil
                unschedulable[key] = nil
            } else if unschedulable[key] != nil {
                // Our own status writes change nothing that matters; spec or label edits do.
                if let prev = change.previous, Self.schedulingInputsChanged(prev, pod) {
                    unschedulable[key] = nil
                    active[key] = Self.order(pod)
                }
            } else {
                active[key] = Self.order(pod)
            }
            return freed
        }
    }

    /// Bound pods count against their node until they finish (the scheduler ignores Succeeded/Failed pods).
    static func occupies(_ pod: JSONValue) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.stringValue
        return phase != "Succeeded" && phase != "Failed"
    }

    static func schedulingInputsChanged(_ a: JSONValue, _ b: JSONValue) -> Bool {
        a["spec"] != b["spec"] || a[path: ["metadata", "labels"]] != b[path: ["metadata", "labels"]]
    }

    /// Applies one node change. Returns true when it may let waiting pods fit.
    @discardableResult
    func apply(node change: Change) -> Bool {
        lock.withLock {
            let old = nodes[change.key.name]
            if change.type == .deleted {
                nodes[change.key.name] = nil
                return false
            }
            nodes[change.key.name] = change.object
            guard let old else { return true }
            let paths: [[String]] = [["spec"], ["metadata", "labels"], ["status", "allocatable"], ["status", "capacity"]]
            return paths.contains { old[path: $0] != change.object[path: $0] }
        }
    }

    /// Replaces everything from a full listing.
    func reset(nodes ns: [JSONValue], pods: [JSONValue]) {
        lock.withLock {
            nodes = Dictionary(ns.map { (PodState.name($0), $0) }, uniquingKeysWith: { a, _ in a })
            bound = [:]
            assumed = [:]
            active = [:]
            unschedulable = [:]
            for p in pods {
                let node = p[path: ["spec", "nodeName"]]?.stringValue ?? ""
                if !node.isEmpty && Self.occupies(p) { bound[Self.key(p)] = (node, PodUsage(pod: p)) }
                if wants(p) { active[Self.key(p)] = Self.order(p) }
            }
        }
    }

    /// Moves every unschedulable pod back to active (something changed, or the periodic retry).
    func retryUnschedulable() {
        lock.withLock {
            for (k, v) in unschedulable { active[k] = v }
            unschedulable = [:]
        }
    }

    /// The active pod to try next: highest priority, then oldest.
    func pop() -> String? {
        lock.withLock {
            guard let best = active.min(by: { a, b in
                a.value.priority != b.value.priority ? a.value.priority > b.value.priority
                    : (a.value.created != b.value.created ? a.value.created < b.value.created : a.key < b.key)
            }) else { return nil }
            active[best.key] = nil
            return best.key
        }
    }

    /// Parks a pod that did not fit.
    func markUnschedulable(_ pod: JSONValue) {
        lock.withLock { unschedulable[Self.key(pod)] = Self.order(pod) }
    }

    /// Puts a pod straight back in line (a failed bind).
    func requeue(_ pod: JSONValue) {
        lock.withLock { active[Self.key(pod)] = Self.order(pod) }
    }

    /// Accounts a pod we just bound (`pod` as written) before its watch event arrives.
    func assume(_ pod: JSONValue, on node: String) {
        let key = Self.key(pod)
        let revision = Int64(pod[path: ["metadata", "resourceVersion"]]?.stringValue ?? "") ?? 0
        lock.withLock {
            bound[key] = (node, PodUsage(pod: pod))
            assumed[key] = revision
            active[key] = nil
        }
    }

    /// Every node with what is bound to it, sorted by name.
    func snapshots() -> [NodeSnapshot] {
        lock.withLock {
            var usage: [String: [PodUsage]] = [:]
            for (_, b) in bound { usage[b.node, default: []].append(b.usage) }
            return nodes.keys.sorted().map { NodeSnapshot(node: nodes[$0]!, pods: usage[$0] ?? []) }
        }
    }

}
