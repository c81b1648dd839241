import Foundation

/// The set of types the server serves, looked up by URL parts or by kind.
/// Custom resources are added and removed while the server runs, so every
/// access goes through a lock; readers get snapshots.
public final class ResourceRegistry: @unchecked Sendable {
    private var all: [ResourceType] = []
    private var byPath: [String: ResourceType] = [:]
    private var byKind: [String: ResourceType] = [:]
    private let lock = NSLock()

    public init(_ types: [ResourceType]) {
        for t in types { insert(t) }
    }

    /// Every served type, in registration order (a snapshot).
    public var types: [ResourceType] { locked { all } }

    /// Adds a type. Replaces one with the same group/version/resource.
    public func register(_ t: ResourceType) {
        locked { insert(t) }
    }

    /// Replaces every type served for the CRD `crdName` with `types` in one step
    /// (an empty list unregisters the CRD). Built-in types are never replaced.
    public func setCustomTypes(_ types: [ResourceType], forCRD crdName: String) {
        locked {
            let builtin = Set(all.filter { $0.custom == nil }.map(Self.pathKey))
            all.removeAll { $0.custom?.crdName == crdName }
            for t in types where !builtin.contains(Self.pathKey(t)) {
                all.removeAll { Self.pathKey($0) == Self.pathKey(t) }
                all.append(t)
            }
            reindex()
        }
    }

    /// The types currently served for the CRD `crdName`.
    public func customTypes(forCRD crdName: String) -> [ResourceType] {
        locked { all.filter { $0.custom?.crdName == crdName } }
    }

    /// The type at /api[s]/GROUP/VERSION/RESOURCE.
    public func lookup(group: String, version: String, resource: String) -> ResourceType? {
        locked { byPath["\(group)/\(version)/\(resource)"] }
    }

    /// The type stored under a storage key (first registered version).
    public func lookup(storageKey: String) -> ResourceType? {
        locked { all.first { $0.storageKey == storageKey } }
    }

    /// The type named by an object's apiVersion and kind.
    public func lookup(apiVersion: String, kind: String) -> ResourceType? {
        locked { byKind["\(apiVersion)/\(kind)"] }
    }

    /// Group names in discovery order (core first, then as registered).
    public var groups: [String] {
        var seen: [String] = []
        for t in types where !seen.contains(t.group) { seen.append(t.group) }
        return seen
    }

    /// Versions served for a group.
    public func versions(of group: String) -> [String] {
        var seen: [String] = []
        for t in types where t.group == group && !seen.contains(t.version) { seen.append(t.version) }
        return seen
    }

    public func types(group: String, version: String) -> [ResourceType] {
        types.filter { $0.group == group && $0.version == version }
    }

    private static func pathKey(_ t: ResourceType) -> String { "\(t.group)/\(t.version)/\(t.resource)" }

    private func insert(_ t: ResourceType) {
        all.removeAll { $0.group == t.group && $0.version == t.version && $0.resource == t.resource }
        all.append(t)
        byPath[Self.pathKey(t)] = t
        byKind["\(t.apiVersion)/\(t.kind)"] = t
    }

    private func reindex() {
        byPath = [:]
        byKind = [:]
        for t in all {
            byPath[Self.pathKey(t)] = t
            byKind["\(t.apiVersion)/\(t.kind)"] = t
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// Every type Kubernetes' own single-node distribution would serve here.
    public static func builtins() -> ResourceRegistry {
        let all = ["all"]
        return ResourceRegistry([
            // core/v1
            ResourceType(group: "", version: "v1", kind: "Namespace", resource: "namespaces", namespaced: false, shortNames: ["ns"], subresources: ["status"]),
            ResourceType(group: "", version: "v1", kind: "Pod", resource: "pods", shortNames: ["po"], categories: all, subresources: ["attach", "binding", "exec", "log", "portforward", "status"]),
            ResourceType(group: "", version: "v1", kind: "Service", resource: "services", shortNames: ["svc"], categories: all, subresources: ["status"]),
            ResourceType(group: "", version: "v1", kind: "Endpoints", resource: "endpoints", shortNames: ["ep"]),
            ResourceType(group: "", version: "v1", kind: "ConfigMap", resource: "configmaps", shortNames: ["cm"]),
            ResourceType(group: "", version: "v1", kind: "Secret", resource: "secrets"),
            ResourceType(group: "", version: "v1", kind: "ServiceAccount", resource: "serviceaccounts", shortNames: ["sa"], subresources: ["token"]),
            ResourceType(group: "", version: "v1", kind: "PersistentVolume", resource: "persistentvolumes", namespaced: false, shortNames: ["pv"], subresources: ["status"]),
            ResourceType(group: "", version: "v1", kind: "PersistentVolumeClaim", resource: "persistentvolumeclaims", shortNames: ["pvc"], subresources: ["status"]),
            ResourceType(group: "", version: "v1", kind: "Node", resource: "nodes", namespaced: false, shortNames: ["no"], subresources: ["status"]),
            ResourceType(group: "", version: "v1", kind: "Event", resource: "events", shortNames: ["ev"]),
            // apps/v1
            ResourceType(group: "apps", version: "v1", kind: "Deployment", resource: "deployments", shortNames: ["deploy"], categories: all, subresources: ["status", "scale"]),
            ResourceType(group: "apps", version: "v1", kind: "ReplicaSet", resource: "replicasets", shortNames: ["rs"], categories: all, subresources: ["status", "scale"]),
            ResourceType(group: "apps", version: "v1", kind: "StatefulSet", resource: "statefulsets", shortNames: ["sts"], categories: all, subresources: ["status", "scale"]),
            ResourceType(group: "apps", version: "v1", kind: "DaemonSet", resource: "daemonsets", shortNames: ["ds"], categories: all, subresources: ["status"]),
            // batch/v1
            ResourceType(group: "batch", version: "v1", kind: "Job", resource: "jobs", categories: all, subresources: ["status"]),
            ResourceType(group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", resource: "endpointslices"),
            ResourceType(group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy", resource: "networkpolicies", shortNames: ["netpol"]),
            // rbac
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", resource: "roles"),
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", resource: "rolebindings"),
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", resource: "clusterroles", namespaced: false),
            ResourceType(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", resource: "clusterrolebindings", namespaced: false),
            // authentication / authorization reviews: create-only, never stored
            ResourceType(group: "authentication.k8s.io", version: "v1", kind: "TokenReview", resource: "tokenreviews", namespaced: false, verbs: ["create"]),
            ResourceType(group: "authentication.k8s.io", version: "v1", kind: "SelfSubjectReview", resource: "selfsubjectreviews", namespaced: false, verbs: ["create"]),
            ResourceType(group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview", resource: "selfsubjectaccessreviews", namespaced: false, verbs: ["create"]),
            ResourceType(group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectRulesReview", resource: "selfsubjectrulesreviews", namespaced: false, verbs: ["create"]),
            ResourceType(group: "authorization.k8s.io", version: "v1", kind: "SubjectAccessReview", resource: "subjectaccessreviews", namespaced: false, verbs: ["create"]),
            ResourceType(group: "authorization.k8s.io", version: "v1", kind: "LocalSubjectAccessReview", resource: "localsubjectaccessreviews", verbs: ["create"]),
            ResourceType(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", resource: "customresourcedefinitions", namespaced: false, shortNames: ["crd", "crds"], categories: ["api-extensions"], subresources: ["status"]),
            ResourceType(group: "coordination.k8s.io", version: "v1", kind: "Lease", resource: "leases"),
            ResourceType(group: "storage.k8s.io", version: "v1", kind: "StorageClass", resource: "storageclasses", namespaced: false, shortNames: ["sc"]),
            ResourceType(group: "events.k8s.io", version: "v1", kind: "Event", resource: "events", shortNames: ["ev"]),
            // KubeVirt
            ResourceType(group: "kubevirt.io", version: "v1", kind: "VirtualMachine", resource: "virtualmachines", shortNames: ["vm", "vms"], categories: ["all"], subresources: ["status"]),
            ResourceType(group: "kubevirt.io", version: "v1", kind: "VirtualMachineInstance", resource: "virtualmachineinstances", shortNames: ["vmi", "vmis"], categories: ["all"], subresources: ["status"]),
            ResourceType(group: "kubevirt.io", version: "v1", kind: "VirtualMachineInstanceReplicaSet", resource: "virtualmachineinstancereplicasets", shortNames: ["vmirs", "vmirss"], categories: ["all"], subresources: ["status", "scale"]),
            ResourceType(group: "cdi.kubevirt.io", version: "v1beta1", kind: "DataVolume", resource: "datavolumes", shortNames: ["dv", "dvs"], categories: ["all"], subresources: ["status"]),
            ResourceType(group: "k8s.cni.cncf.io", version: "v1", kind: "NetworkAttachmentDefinition", resource: "network-attachment-definitions", shortNames: ["net-attach-def"]),
        ])
    }
}
