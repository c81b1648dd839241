import CorralModel
import Foundation

/// `resourceFieldRef` values for env, as the kubelet computes them
/// (resource/helpers.go ExtractContainerResourceValue): the quantity divided
/// by the divisor, rounded up; an unset limit falls back to node allocatable.
enum ResourceFieldRef {
    static func value(_ ref: JSONValue, pod: JSONValue, container: JSONValue, sources: EnvSources) throws -> String {
        let resource = ref["resource"]?.stringValue ?? ""
        var target = container
        if let other = ref["containerName"]?.stringValue, !other.isEmpty {
            let all = (pod[path: ["spec", "containers"]]?.arrayValue ?? []) + (pod[path: ["spec", "initContainers"]]?.arrayValue ?? [])
            target = all.first { $0["name"]?.stringValue == other } ?? container
        }
        let divisor = try ref["divisor"].flatMap(ContainerResources.quantity) ?? Quantity(1)
        let parts = resource.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "limits" || parts[0] == "requests" else {
            throw ContainersError.unsupportedResource(resource)
        }
        let name = parts[1]
        let limits = target[path: ["resources", "limits"]]
        let requests = target[path: ["resources", "requests"]]
        var q: Quantity?
        if parts[0] == "limits" {
            q = try limits?[name].flatMap(ContainerResources.quantity)
            if q == nil || q!.isZero {
                switch name {
                case "cpu": q = sources.allocatableCPU
                case "memory": q = sources.allocatableMemory
                case "ephemeral-storage": q = sources.allocatableEphemeralStorage
                default: break
                }
            }
        } else {
            // API defaulting copies limits into unset requests; mirror it for objects that skipped defaulting.
            q = try requests?[name].flatMap(ContainerResources.quantity) ?? limits?[name].flatMap(ContainerResources.quantity)
        }
        let amount = q ?? Quantity(0)
        switch name {
        case "cpu":
            let d = max(divisor.milliValue, 1)
            return String(ceilDiv(amount.milliValue, d))
        case "memory", "ephemeral-storage":
            return String(ceilDiv(amount.value, max(divisor.value, 1)))
        default:
            guard name.hasPrefix("hugepages-") else { throw ContainersError.unsupportedResource(resource) }
            return String(ceilDiv(amount.value, max(divisor.value, 1)))
        }
    }

    static func ceilDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? (a + b - 1) / b : a / b
    }
}
