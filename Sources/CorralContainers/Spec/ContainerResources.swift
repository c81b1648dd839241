import CorralModel

/// Cgroup settings for one container from its `resources`, with the kubelet's
/// conversions (kuberuntime_container_linux.go calculateLinuxResources):
/// CPU limit → CFS quota over a 100 ms period (at least 1 ms), CPU request →
/// shares (request × 1024 / 1000, between 2 and 262144; limit when no request),
/// memory limit → bytes.
public struct ContainerResources: Equatable, Sendable {
    /// CFS period in microseconds.
    public static let cpuPeriod: Int64 = 100_000
    /// Memory limit in bytes, nil for none.
    public var memoryLimit: Int64?
    /// Memory request in bytes (used for the OOM score).
    public var memoryRequest: Int64?
    /// CPU shares.
    public var cpuShares: Int64
    /// CFS quota in microseconds per period, nil for none.
    public var cpuQuota: Int64?

    /// Reads `container.resources`.
    public init(container: JSONValue) throws {
        let limits = container[path: ["resources", "limits"]]
        let requests = container[path: ["resources", "requests"]]
        let cpuLimit = try limits?["cpu"].flatMap(ContainerResources.quantity)
        let cpuRequest = try requests?["cpu"].flatMap(ContainerResources.quantity)
        let memLimit = try limits?["memory"].flatMap(ContainerResources.quantity)
        let memRequest = try requests?["memory"].flatMap(ContainerResources.quantity)
        let sharesFrom = cpuRequest ?? cpuLimit
        cpuShares = ContainerResources.milliCPUToShares(sharesFrom?.milliValue ?? 0)
        if let l = cpuLimit, l.milliValue > 0 {
            cpuQuota = max(l.milliValue * ContainerResources.cpuPeriod / 1000, 1000)
        }
        if let m = memLimit, m.value > 0 { memoryLimit = m.value }
        memoryRequest = (memRequest ?? memLimit)?.value
    }

    /// kubelet MilliCPUToShares.
    public static func milliCPUToShares(_ milli: Int64) -> Int64 {
        if milli == 0 { return 2 }
        return min(max(milli * 1024 / 1000, 2), 262_144)
    }

    /// A quantity from its JSON form (string, or a bare number as some clients send).
    static func quantity(_ v: JSONValue) throws -> Quantity? {
        switch v {
        case .string(let s): return try Quantity(parsing: s)
        case .int(let i): return Quantity(i)
        case .double(let d): return try Quantity(parsing: String(d))
        default: return nil
        }
    }

    /// The kubelet's oom_score_adj for a container of a pod of `qos` class
    /// (policy.GetContainerOOMScoreAdjust): Guaranteed −997, BestEffort 1000,
    /// Burstable 1000 − 1000 × memoryRequest / capacity clamped to [2, 999].
    public static func oomScoreAdj(qos: QoSClass, memoryRequest: Int64?, memoryCapacity: Int64) -> Int {
        switch qos {
        case .guaranteed: return -997
        case .bestEffort: return 1000
        case .burstable:
            guard memoryCapacity > 0 else { return 999 }
            let adj = 1000 - (1000 * (memoryRequest ?? 0)) / memoryCapacity
            return Int(min(max(adj, 2), 999))
        }
    }
}

/// A pod's quality-of-service class.
public enum QoSClass: String, Sendable {
    case guaranteed = "Guaranteed", burstable = "Burstable", bestEffort = "BestEffort"

    /// `status.qosClass` when set, otherwise computed like the API server
    /// (every container with equal cpu+memory limits and requests → Guaranteed;
    /// no requests or limits anywhere → BestEffort; else Burstable).
    public static func of(pod: JSONValue) -> QoSClass {
        if let s = pod[path: ["status", "qosClass"]]?.stringValue, let q = QoSClass(rawValue: s) { return q }
        let containers = (pod[path: ["spec", "containers"]]?.arrayValue ?? []) + (pod[path: ["spec", "initContainers"]]?.arrayValue ?? [])
        var anySet = false, guaranteed = true
        for c in containers {
            let limits = c[path: ["resources", "limits"]]?.objectValue ?? JSONObject()
            let requests = c[path: ["resources", "requests"]]?.objectValue ?? JSONObject()
            if !limits.isEmpty || !requests.isEmpty { anySet = true }
            for r in ["cpu", "memory"] {
                guard let l = (try? limits[r].flatMap(ContainerResources.quantity)) ?? nil else { guaranteed = false; continue }
                let req = ((try? requests[r].flatMap(ContainerResources.quantity)) ?? nil) ?? l
                if req.amount != l.amount { guaranteed = false }
            }
        }
        if !anySet { return .bestEffort }
        return guaranteed ? .guaranteed : .burstable
    }
}
