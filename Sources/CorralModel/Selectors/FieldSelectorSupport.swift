/// Which fields each resource type can be selected by, and their values,
/// mirroring kube-apiserver's field label conversion functions and the
/// registries' `ToSelectableFields`. Values render as kube-apiserver renders
/// them: missing → "", booleans "true"/"false", numbers in decimal.
public enum FieldSelectorSupport {
    /// Reads one selectable field of an object; nil = not readable for the type.
    typealias Reader = @Sendable (JSONValue) -> String

    /// Type-specific fields, keyed by `ResourceType.storageKey`.
    static let specific: [String: [String: Reader]] = [
        "pods": [
            "spec.nodeName": { text($0[path: ["spec", "nodeName"]]) },
            // Old v1 clients send spec.host; kube-apiserver maps it to spec.nodeName.
            "spec.host": { text($0[path: ["spec", "nodeName"]]) },
            "spec.restartPolicy": { text($0[path: ["spec", "restartPolicy"]]) },
            "spec.schedulerName": { text($0[path: ["spec", "schedulerName"]]) },
            "spec.serviceAccountName": { text($0[path: ["spec", "serviceAccountName"]]) },
            "spec.hostNetwork": { text($0[path: ["spec", "hostNetwork"]], default: "false") },
            "status.phase": { text($0[path: ["status", "phase"]]) },
            "status.podIP": { podIP($0) },
            "status.nominatedNodeName": { text($0[path: ["status", "nominatedNodeName"]]) },
        ],
        "events": [
            "involvedObject.kind": { text($0[path: ["involvedObject", "kind"]]) },
            "involvedObject.namespace": { text($0[path: ["involvedObject", "namespace"]]) },
            "involvedObject.name": { text($0[path: ["involvedObject", "name"]]) },
            "involvedObject.uid": { text($0[path: ["involvedObject", "uid"]]) },
            "involvedObject.apiVersion": { text($0[path: ["involvedObject", "apiVersion"]]) },
            "involvedObject.resourceVersion": { text($0[path: ["involvedObject", "resourceVersion"]]) },
            "involvedObject.fieldPath": { text($0[path: ["involvedObject", "fieldPath"]]) },
            "reason": { text($0["reason"]) },
            // core/v1 serializes ReportingController as "reportingComponent".
            "reportingComponent": { text($0["reportingComponent"]) },
            "source": { text($0[path: ["source", "component"]]) },
            "type": { text($0["type"]) },
        ],
        "secrets": [
            "type": { text($0["type"]) },
        ],
        "services": [
            "spec.clusterIP": { text($0[path: ["spec", "clusterIP"]]) },
            "spec.type": { text($0[path: ["spec", "type"]]) },
        ],
        "namespaces": [
            "status.phase": { text($0[path: ["status", "phase"]]) },
        ],
        "nodes": [
            "spec.unschedulable": { text($0[path: ["spec", "unschedulable"]], default: "false") },
        ],
        "replicasets.apps": [
            "status.replicas": { text($0[path: ["status", "replicas"]], default: "0") },
        ],
        "jobs.batch": [
            "status.successful": { text($0[path: ["status", "succeeded"]], default: "0") },
        ],
        "virtualmachineinstances.kubevirt.io": [
            "status.nodeName": { text($0[path: ["status", "nodeName"]]) },
            "status.phase": { text($0[path: ["status", "phase"]]) },
        ],
    ]

    /// Types whose conversion function does not accept `metadata.namespace`
    /// (kube-apiserver: nodes and namespaces accept only `metadata.name` of the two).
    static let withoutNamespaceField: Set<String> = ["nodes", "namespaces"]

    /// Whether kube-apiserver accepts `field` in a field selector for `type`.
    public static func isSupported(_ field: String, for type: ResourceType) -> Bool {
        switch field {
        case "metadata.name":
            return true
        case "metadata.namespace":
            return !withoutNamespaceField.contains(type.storageKey)
        default:
            return specific[type.storageKey]?[field] != nil
        }
    }

    /// The value of `field` on `object` as kube-apiserver's selectable-field set
    /// holds it, or nil when `type` does not support the field.
    public static func value(of field: String, in object: JSONValue, type: ResourceType) -> String? {
        switch field {
        case "metadata.name":
            return text(object[path: ["metadata", "name"]])
        case "metadata.namespace":
            guard !withoutNamespaceField.contains(type.storageKey) else { return nil }
            return text(object[path: ["metadata", "namespace"]])
        default:
            return specific[type.storageKey]?[field]?(object)
        }
    }

    /// Every field `type` can be selected by, sorted.
    public static func supportedFields(for type: ResourceType) -> [String] {
        var fields = ["metadata.name"]
        if !withoutNamespaceField.contains(type.storageKey) { fields.append("metadata.namespace") }
        fields.append(contentsOf: (specific[type.storageKey] ?? [:]).keys)
        return fields.sorted()
    }

    /// A scalar rendered as a selectable field: strings as is, booleans
    /// "true"/"false", numbers in decimal; missing or null → `default`.
    static func text(_ v: JSONValue?, default def: String = "") -> String {
        guard let v else { return def }
        switch v {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if let i = v.intValue { return String(i) }
            return String(d)
        case .null: return def
        case .array, .object: return def
        }
    }

    /// `status.podIPs[0].ip`, else the legacy `status.podIP`.
    static func podIP(_ pod: JSONValue) -> String {
        if let first = pod[path: ["status", "podIPs"]]?.arrayValue?.first, let ip = first["ip"]?.stringValue {
            return ip
        }
        return text(pod[path: ["status", "podIP"]])
    }
}
