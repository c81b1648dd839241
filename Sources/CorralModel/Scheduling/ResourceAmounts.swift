import Foundation

/// Amounts of node resources in the units kube-scheduler compares:
/// millicores for CPU, bytes for memory and ephemeral storage, whole units
/// for extended resources (`example.com/gpu`, `hugepages-2Mi`).
public struct ResourceAmounts: Equatable, Sendable {
    public var milliCPU: Int64
    public var memory: Int64
    public var ephemeralStorage: Int64
    /// Extended, hugepages and attachable-volume resources by name.
    public var scalars: [String: Int64]

    /// Explicit amounts (all zero by default).
    public init(milliCPU: Int64 = 0, memory: Int64 = 0, ephemeralStorage: Int64 = 0, scalars: [String: Int64] = [:]) {
        self.milliCPU = milliCPU
        self.memory = memory
        self.ephemeralStorage = ephemeralStorage
        self.scalars = scalars
    }

    /// Reads a ResourceList object (`{"cpu": "500m", "memory": "1Gi"}`).
    /// `pods` and names that are not scalar resources are ignored; malformed quantities count as zero.
    public init(list: JSONValue?) {
        self.init()
        guard let obj = list?.objectValue else { return }
        for (name, q) in obj {
            switch name {
            case "cpu": milliCPU += ResourceAmounts.milli(q)
            case "memory": memory += ResourceAmounts.units(q)
            case "ephemeral-storage": ephemeralStorage += ResourceAmounts.units(q)
            default:
                if ResourceAmounts.isScalar(name) { scalars[name, default: 0] += ResourceAmounts.units(q) }
            }
        }
    }

    /// Whether kube-scheduler tracks `name` as a scalar resource (extended,
    /// hugepages or attachable volumes), as `IsScalarResourceName` decides.
    public static func isScalar(_ name: String) -> Bool {
        if name.hasPrefix("hugepages-") || name.hasPrefix("attachable-volumes-") { return true }
        // Extended resources are domain-qualified, outside kubernetes.io, and not quota "requests." names.
        return name.contains("/") && !name.contains("kubernetes.io/") && !name.hasPrefix("requests.")
    }

    static func milli(_ q: JSONValue?) -> Int64 {
        switch q {
        case .string(let s)?: return ResourceQuantity.milli(s) ?? 0
        case .int(let i)?: return i.multipliedReportingOverflow(by: 1000).overflow ? Int64.max : i * 1000
        default: return ResourceQuantity.parse(q).map { Int64(($0 * 1000 - 1e-9).rounded(.up)) } ?? 0
        }
    }

    static func units(_ q: JSONValue?) -> Int64 {
        switch q {
        case .string(let s)?: return ResourceQuantity.bytes(s) ?? 0
        case .int(let i)?: return i
        default: return ResourceQuantity.parse(q).map { Int64(($0 - 1e-9).rounded(.up)) } ?? 0
        }
    }

    /// Per-resource sum.
    public static func + (a: ResourceAmounts, b: ResourceAmounts) -> ResourceAmounts {
        var r = a
        r.milliCPU += b.milliCPU
        r.memory += b.memory
        r.ephemeralStorage += b.ephemeralStorage
        for (k, v) in b.scalars { r.scalars[k, default: 0] += v }
        return r
    }

    /// Per-resource difference.
    public static func - (a: ResourceAmounts, b: ResourceAmounts) -> ResourceAmounts {
        var r = a
        r.milliCPU -= b.milliCPU
        r.memory -= b.memory
        r.ephemeralStorage -= b.ephemeralStorage
        for (k, v) in b.scalars { r.scalars[k, default: 0] -= v }
        return r
    }

    /// Per-resource maximum.
    public func maximum(_ o: ResourceAmounts) -> ResourceAmounts {
        var r = self
        r.milliCPU = Swift.max(milliCPU, o.milliCPU)
        r.memory = Swift.max(memory, o.memory)
        r.ephemeralStorage = Swift.max(ephemeralStorage, o.ephemeralStorage)
        for (k, v) in o.scalars { r.scalars[k] = Swift.max(scalars[k] ?? 0, v) }
        return r
    }

    /// True when nothing is requested.
    public var isZero: Bool {
        milliCPU == 0 && memory == 0 && ephemeralStorage == 0 && scalars.values.allSatisfy { $0 == 0 }
    }
}

/// What a pod asks of a node, computed as kube-scheduler's resource helper
/// (`PodRequests`) does for Kubernetes 1.32.
public enum PodRequests {
    /// Sum of the app containers and sidecars (restartable init containers),
    /// raised to what any one init container needs while it runs (itself plus
    /// the sidecars started before it), plus `spec.overhead`.
    public static func of(_ pod: JSONValue) -> ResourceAmounts {
        let spec = pod["spec"] ?? [:]
        var total = ResourceAmounts()
        for c in spec["containers"]?.arrayValue ?? [] { total = total + containerRequests(c) }
        var sidecars = ResourceAmounts()
        var initPeak = ResourceAmounts()
        for c in spec["initContainers"]?.arrayValue ?? [] {
            let r = containerRequests(c)
            if c["restartPolicy"]?.stringValue == "Always" {
                total = total + r
                sidecars = sidecars + r
                initPeak = initPeak.maximum(sidecars)
            } else {
                initPeak = initPeak.maximum(r + sidecars)
            }
        }
        total = total.maximum(initPeak)
        return total + ResourceAmounts(list: spec["overhead"])
    }

    /// A container's requests; a resource with only a limit requests its limit
    /// (the API server defaults requests from limits that way).
    public static func containerRequests(_ c: JSONValue) -> ResourceAmounts {
        var list = c[path: ["resources", "requests"]]?.objectValue ?? JSONObject()
        for (name, q) in c[path: ["resources", "limits"]]?.objectValue ?? JSONObject() where list[name] == nil {
            list[name] = q
        }
        return ResourceAmounts(list: .object(list))
    }
}
