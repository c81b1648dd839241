import Foundation

/// Values the downward API exposes (env `valueFrom` and downwardAPI volumes).
public enum DownwardAPI {
    /// `fieldRef.fieldPath` → value, or nil for an unsupported path.
    public static func fieldValue(pod: JSONValue, fieldPath: String) -> String? {
        switch fieldPath {
        case "metadata.name": return pod[path: ["metadata", "name"]]?.stringValue ?? ""
        case "metadata.namespace": return pod[path: ["metadata", "namespace"]]?.stringValue ?? ""
        case "metadata.uid": return pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        case "spec.nodeName": return pod[path: ["spec", "nodeName"]]?.stringValue ?? ""
        case "spec.serviceAccountName": return pod[path: ["spec", "serviceAccountName"]]?.stringValue ?? ""
        case "status.hostIP", "status.hostIPs": return pod[path: ["status", "hostIP"]]?.stringValue ?? ""
        case "status.podIP", "status.podIPs": return pod[path: ["status", "podIP"]]?.stringValue ?? ""
        case "metadata.labels": return mapText(pod[path: ["metadata", "labels"]])
        case "metadata.annotations": return mapText(pod[path: ["metadata", "annotations"]])
        default:
            for (prefix, field) in [("metadata.labels['", "labels"), ("metadata.annotations['", "annotations")]
            where fieldPath.hasPrefix(prefix) && fieldPath.hasSuffix("']") {
                let key = String(fieldPath.dropFirst(prefix.count).dropLast(2))
                return pod[path: ["metadata", field, key]]?.stringValue ?? ""
            }
            return nil
        }
    }

    /// `key="value"` lines sorted by key, as the kubelet writes labels/annotations files.
    static func mapText(_ v: JSONValue?) -> String {
        let o = v?.objectValue ?? JSONObject()
        return o.keys.sorted().map { k in
            let val = o[k]?.stringValue ?? ""
            let escaped = val.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            return "\(k)=\"\(escaped)\""
        }.joined(separator: "\n")
    }

    /// `resourceFieldRef` → value in the divisor's units, rounded up; limits
    /// default to the node's allocatable when unset (kubelet behaviour).
    public static func resourceValue(pod: JSONValue, ref: JSONValue, containerName: String? = nil,
                                     nodeAllocatable: [String: String] = [:]) throws -> String {
        let resource = ref["resource"]?.stringValue ?? ""
        let cname = ref["containerName"]?.stringValue ?? containerName ?? ""
        let container = PodPlanner.containerSpec(pod, cname)?.spec
        let parts = resource.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, ["limits", "requests"].contains(parts[0]) else {
            throw VolumeError(volume: cname, message: "unsupported container resource : \(resource)")
        }
        let raw = ResourceQuantity.parse(container?[path: ["resources", parts[0], parts[1]]])
            ?? (parts[0] == "limits" ? nodeAllocatable[parts[1]].flatMap { ResourceQuantity.parse($0) } : nil) ?? 0
        let divisor = ResourceQuantity.parse(ref["divisor"]) ?? 1
        let v = (raw / (divisor == 0 ? 1 : divisor) - 1e-9).rounded(.up)
        return String(Int64(max(v, 0)))
    }
}
