import Foundation

/// A host port a container binds: (host IP, protocol, port).
public struct HostPortKey: Hashable, Sendable {
    public var ip: String
    public var proto: String
    public var port: Int64

    /// A binding from its parts (`ip` "0.0.0.0" for every address).
    public init(ip: String, proto: String, port: Int64) {
        self.ip = ip
        self.proto = proto
        self.port = port
    }

    /// Two bindings conflict on the same protocol and port when either is on
    /// the wildcard address or both are on the same address.
    public func conflicts(with o: HostPortKey) -> Bool {
        guard proto == o.proto, port == o.port else { return false }
        return ip == "0.0.0.0" || o.ip == "0.0.0.0" || ip == o.ip
    }
}

/// What a bound pod takes from its node: resource requests and host ports.
public struct PodUsage: Equatable, Sendable {
    public var requests: ResourceAmounts
    public var hostPorts: [HostPortKey]

    /// Usage from its parts.
    public init(requests: ResourceAmounts, hostPorts: [HostPortKey]) {
        self.requests = requests
        self.hostPorts = hostPorts
    }

    /// The usage of `pod` as the scheduler accounts it.
    public init(pod: JSONValue) {
        self.init(requests: PodRequests.of(pod), hostPorts: PodUsage.hostPorts(pod))
    }

    /// The host ports the pod's app containers bind. With hostNetwork a
    /// containerPort is also a hostPort (API defaulting does that in kube).
    public static func hostPorts(_ pod: JSONValue) -> [HostPortKey] {
        let hostNetwork = pod[path: ["spec", "hostNetwork"]]?.boolValue ?? false
        var out: [HostPortKey] = []
        for c in pod[path: ["spec", "containers"]]?.arrayValue ?? [] {
            for p in c["ports"]?.arrayValue ?? [] {
                var hp = p["hostPort"]?.intValue ?? 0
                if hp == 0 && hostNetwork { hp = p["containerPort"]?.intValue ?? 0 }
                guard hp > 0 else { continue }
                let ip = p["hostIP"]?.stringValue ?? ""
                out.append(HostPortKey(ip: ip.isEmpty ? "0.0.0.0" : ip, proto: p["protocol"]?.stringValue ?? "TCP", port: hp))
            }
        }
        return out
    }
}

/// A node as the scheduler sees it: its labels, taints and allocatable
/// resources, and what the pods already bound to it use.
public struct NodeSnapshot: Sendable {
    public var name: String
    public var labels: [String: String]
    public var taints: [Taint]
    public var unschedulable: Bool
    public var allocatable: ResourceAmounts
    public var allowedPods: Int64
    public var requested = ResourceAmounts()
    public var podCount = 0
    public var usedPorts: [HostPortKey] = []

    /// Builds the snapshot from a Node object and the usage of its non-terminated pods.
    public init(node: JSONValue, pods: [PodUsage] = []) {
        name = node[path: ["metadata", "name"]]?.stringValue ?? ""
        labels = LabelSelector.labels(of: node)
        taints = (node[path: ["spec", "taints"]]?.arrayValue ?? []).compactMap(Taint.init(json:))
        unschedulable = node[path: ["spec", "unschedulable"]]?.boolValue ?? false
        let alloc = node[path: ["status", "allocatable"]] ?? node[path: ["status", "capacity"]]
        allocatable = ResourceAmounts(list: alloc)
        allowedPods = ResourceAmounts.units(alloc?["pods"])
        for p in pods { add(p) }
    }

    /// Accounts one more pod on the node.
    public mutating func add(_ usage: PodUsage) {
        requested = requested + usage.requests
        podCount += 1
        usedPorts += usage.hostPorts
    }
}

/// Why a pod does not fit a node: the reasons kube-scheduler prints, and
/// whether preemption could ever help (kube's `UnschedulableAndUnresolvable`).
public struct FitFailure: Equatable, Sendable {
    public var reasons: [String]
    public var unresolvable: Bool

    /// A failure from its parts.
    public init(reasons: [String], unresolvable: Bool) {
        self.reasons = reasons
        self.unresolvable = unresolvable
    }
}

/// The default scheduler's filters for one node, in kube's plugin order
/// (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts,
/// NodeResourcesFit); the first failing filter decides, as in kube.
public enum NodeFit {
    /// Nil when `pod` fits `node`, else why not.
    public static func check(pod: JSONValue, node: NodeSnapshot) -> FitFailure? {
        let tolerations = Toleration.of(pod)
        if node.unschedulable && !tolerations.contains(where: { $0.tolerates(.unschedulable) }) {
            return FitFailure(reasons: ["node(s) were unschedulable"], unresolvable: true)
        }
        for t in node.taints where t.effect == "NoSchedule" || t.effect == "NoExecute" {
            if !tolerations.contains(where: { $0.tolerates(t) }) {
                return FitFailure(reasons: ["node(s) had untolerated taint {\(t.key): \(t.value)}"], unresolvable: true)
            }
        }
        if !NodeAffinityRules.matches(pod: pod, nodeName: node.name, nodeLabels: node.labels) {
            return FitFailure(reasons: ["node(s) didn't match Pod's node affinity/selector"], unresolvable: true)
        }
        let wanted = PodUsage.hostPorts(pod)
        if wanted.contains(where: { w in node.usedPorts.contains { $0.conflicts(with: w) } }) {
            return FitFailure(reasons: ["node(s) didn't have free ports for the requested pod ports"], unresolvable: false)
        }
        let reasons = insufficientResources(PodRequests.of(pod), node)
        return reasons.isEmpty ? nil : FitFailure(reasons: reasons, unresolvable: false)
    }

    /// NodeResourcesFit's `fitsRequest`: pod count first, then each requested
    /// resource against allocatable minus what bound pods request.
    static func insufficientResources(_ req: ResourceAmounts, _ node: NodeSnapshot) -> [String] {
        var out: [String] = []
        if Int64(node.podCount + 1) > node.allowedPods { out.append("Too many pods") }
        if req.isZero { return out }
        let free = node.allocatable - node.requested
        if req.milliCPU > 0 && req.milliCPU > free.milliCPU { out.append("Insufficient cpu") }
        if req.memory > 0 && req.memory > free.memory { out.append("Insufficient memory") }
        if req.ephemeralStorage > 0 && req.ephemeralStorage > free.ephemeralStorage { out.append("Insufficient ephemeral-storage") }
        for name in req.scalars.keys.sorted() {
            let want = req.scalars[name] ?? 0
            if want > 0 && want > (free.scalars[name] ?? 0) { out.append("Insufficient \(name)") }
        }
        return out
    }
}

/// Messages of the `FailedScheduling` event and the PodScheduled condition,
/// worded as kube-scheduler 1.32's `FitError` and DefaultPreemption print them.
public enum SchedulingMessages {
    /// When the cluster has no nodes at all.
    public static let noNodes = "no nodes available to schedule pods"

    /// `0/N nodes are available: <reason histogram>. preemption: <...>` for a
    /// pod that fits none of `nodeCount` nodes, one failure per node.
    public static func unschedulable(nodeCount: Int, failures: [FitFailure], preemptionPolicy: String?) -> String {
        var msg = "0/\(nodeCount) nodes are available:"
        let filter = histogram(failures.flatMap(\.reasons))
        if !filter.isEmpty { msg += " \(filter)." }
        if preemptionPolicy == "Never" {
            msg += " preemption: not eligible due to preemptionPolicy=Never."
        } else {
            // Corral does not preempt: no node has a victim to offer.
            let pre = histogram(failures.map { $0.unresolvable ? "Preemption is not helpful for scheduling" : "No preemption victims found for incoming pod" })
            msg += " preemption: 0/\(nodeCount) nodes are available: \(pre)."
        }
        return msg
    }

    /// "N reason" entries, sorted as strings and comma-joined, as kube's sortReasonsHistogram does.
    static func histogram(_ reasons: [String]) -> String {
        var counts: [String: Int] = [:]
        for r in reasons { counts[r, default: 0] += 1 }
        return counts.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
    }

    /// The `Scheduled` event message.
    public static func assigned(namespace: String, name: String, node: String) -> String {
        "Successfully assigned \(namespace)/\(name) to \(node)"
    }
}
