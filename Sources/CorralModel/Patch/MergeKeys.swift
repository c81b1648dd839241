/// How strategic merge patch treats one field: the `patchStrategy` and
/// `patchMergeKey` struct tags of the Kubernetes Go types, as data.
struct FieldStrategy: Equatable, Sendable {
    /// Lists: merge element-wise (by `mergeKey` for objects, as a set for primitives).
    var merge = false
    /// Maps (or list elements): fields missing from `$retainKeys` are cleared.
    var retainKeys = false
    /// The element field that identifies list elements ("name", "containerPort").
    var mergeKey: String?

    /// The Go tag text: "merge", "retainKeys" or "merge,retainKeys".
    var tag: String {
        [merge ? "merge" : nil, retainKeys ? "retainKeys" : nil].compactMap { $0 }.joined(separator: ",")
    }

    static func key(_ k: String) -> FieldStrategy { FieldStrategy(merge: true, mergeKey: k) }
    static func keyRetain(_ k: String) -> FieldStrategy { FieldStrategy(merge: true, retainKeys: true, mergeKey: k) }
    static let set = FieldStrategy(merge: true)
    static let retain = FieldStrategy(retainKeys: true)
}

/// Per-type list semantics for strategic merge patch, keyed by storage key
/// ("pods", "deployments.apps") and a field path with list indices dropped
/// (`["spec", "containers", "env"]`).
public enum MergeKeys {
    /// The patch strategy of a field, or nil when the field is atomic (a list
    /// that a patch replaces whole, or a plain map that merges recursively).
    /// `strategy` is the Go tag text: "merge" (with `mergeKey` for lists of
    /// objects, without for set-like lists of primitives), "retainKeys"
    /// (a map whose absent fields a `$retainKeys` patch clears), or
    /// "merge,retainKeys". Unknown types and paths answer nil.
    public static func strategy(storageKey: String, path: [String]) -> (strategy: String, mergeKey: String?)? {
        guard let f = field(storageKey: storageKey, path: path) else { return nil }
        return (f.tag, f.mergeKey)
    }

    /// The field strategy for a path, or nil.
    static func field(storageKey: String, path: [String]) -> FieldStrategy? {
        guard Patch.supportsStrategic(storageKey: storageKey), !path.isEmpty else { return nil }
        if path.count == 2 && path[0] == "metadata", let f = objectMeta[path[1]] { return f }
        for (prefix, table) in typeRules[storageKey] ?? [] where path.count > prefix.count && path.starts(with: prefix) {
            if let f = table[path.dropFirst(prefix.count).joined(separator: ".")] { return f }
        }
        return nil
    }

    typealias Table = [String: FieldStrategy]
    typealias Rules = [([String], Table)]

    static let objectMeta: Table = [
        "finalizers": .set,
        "ownerReferences": .key("uid"),
    ]

    /// core/v1 PodSpec.
    static let podSpec: Table = {
        var t: Table = [
            "volumes": .keyRetain("name"),
            "containers": .key("name"),
            "initContainers": .key("name"),
            "ephemeralContainers": .key("name"),
            "imagePullSecrets": .key("name"),
            "hostAliases": .key("ip"),
            "topologySpreadConstraints": .key("topologyKey"),
            "schedulingGates": .key("name"),
            "resourceClaims": .keyRetain("name"),
            // tolerations, readinessGates, containers[].envFrom, containers[].resizePolicy: atomic.
        ]
        for c in ["containers", "initContainers", "ephemeralContainers"] {
            t["\(c).ports"] = .key("containerPort")
            t["\(c).env"] = .key("name")
            t["\(c).volumeMounts"] = .key("mountPath")
            t["\(c).volumeDevices"] = .key("devicePath")
        }
        return t
    }()

    static let podStatus: Table = [
        "conditions": .key("type"),
        "podIPs": .key("ip"),
        "hostIPs": .key("ip"),
        "resourceClaimStatuses": .keyRetain("name"),
    ]

    static let conditionsByType: Table = ["conditions": .key("type")]

    /// KubeVirt VirtualMachineInstanceSpec.
    static let vmiSpec: Table = [
        "domain.devices.disks": .key("name"),
        "domain.devices.interfaces": .key("name"),
        "domain.devices.gpus": .key("name"),
        "domain.devices.hostDevices": .key("name"),
        "networks": .key("name"),
        "volumes": .key("name"),
    ]

    /// A pod template at `prefix` (its metadata and spec).
    static func podTemplate(_ prefix: [String]) -> Rules {
        [(prefix + ["metadata"], objectMeta), (prefix + ["spec"], podSpec)]
    }

    static func vmiTemplate(_ prefix: [String]) -> Rules {
        [(prefix + ["metadata"], objectMeta), (prefix + ["spec"], vmiSpec)]
    }

    static let statusConditions: Rules = [(["status"], conditionsByType)]

    static let typeRules: [String: Rules] = [
        "pods": [(["spec"], podSpec), (["status"], podStatus)],
        "podtemplates": podTemplate(["template"]),
        "replicationcontrollers": podTemplate(["spec", "template"]) + statusConditions,
        "services": [(["spec"], ["ports": .key("port")]), (["status"], conditionsByType)],
        "nodes": [(["spec"], ["podCIDRs": .set]),
                  (["status"], ["conditions": .key("type"), "addresses": .key("type")])],
        "namespaces": statusConditions,
        "persistentvolumeclaims": statusConditions,
        "serviceaccounts": [([], ["secrets": .key("name")])],
        "deployments.apps": podTemplate(["spec", "template"]) + statusConditions + [(["spec"], ["strategy": .retain])],
        "replicasets.apps": podTemplate(["spec", "template"]) + statusConditions,
        "statefulsets.apps": podTemplate(["spec", "template"]) + statusConditions
            + [(["spec", "volumeClaimTemplates", "metadata"], objectMeta)],
        "daemonsets.apps": podTemplate(["spec", "template"]) + statusConditions,
        "jobs.batch": podTemplate(["spec", "template"]) + statusConditions,
        "cronjobs.batch": podTemplate(["spec", "jobTemplate", "spec", "template"])
            + [(["spec", "jobTemplate", "metadata"], objectMeta)],
        "virtualmachines.kubevirt.io": vmiTemplate(["spec", "template"]) + statusConditions
            + [(["spec", "dataVolumeTemplates", "metadata"], objectMeta)],
        "virtualmachineinstances.kubevirt.io": [(["spec"], vmiSpec)] + statusConditions,
        "virtualmachineinstancereplicasets.kubevirt.io": vmiTemplate(["spec", "template"]) + statusConditions,
    ]
}
