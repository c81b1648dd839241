/// The default ClusterRoles and ClusterRoleBindings of a fresh cluster
/// (kube's bootstrap policy, trimmed to the APIs Corral serves, plus
/// KubeVirt-style roles aggregated into admin/edit/view). Pure data.
public enum BootstrapPolicy {
    static let readVerbs = ["get", "list", "watch"]
    static let writeVerbs = ["create", "delete", "deletecollection", "patch", "update"]
    static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    static func r(_ verbs: [String], _ groups: [String], _ resources: [String]) -> PolicyRule {
        PolicyRule(verbs: verbs, apiGroups: groups, resources: resources)
    }

    static func urls(_ verbs: [String], _ urls: [String]) -> PolicyRule {
        PolicyRule(verbs: verbs, nonResourceURLs: urls)
    }

    /// A ClusterRole object marked as a bootstrap default that may be auto-updated.
    static func clusterRole(_ name: String, labels: [String: String] = [:], aggregateFrom: String? = nil,
                            rules: [PolicyRule]) -> JSONValue {
        var labelObj = JSONObject([("kubernetes.io/bootstrapping", "rbac-defaults")])
        for (k, v) in labels.sorted(by: { $0.key < $1.key }) { labelObj[k] = .string(v) }
        var obj: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": ["name": .string(name), "labels": .object(labelObj),
                         "annotations": ["rbac.authorization.kubernetes.io/autoupdate": "true"]],
            "rules": .array(rules.map(\.json)),
        ]
        if let aggregateFrom {
            obj["aggregationRule"] = ["clusterRoleSelectors": [["matchLabels": .object(JSONObject([(aggregateFrom, "true")]))]]]
        }
        return obj
    }

    static func binding(_ name: String, role: String, groups: [String]) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": ["name": .string(name), "labels": ["kubernetes.io/bootstrapping": "rbac-defaults"],
                         "annotations": ["rbac.authorization.kubernetes.io/autoupdate": "true"]],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
            "subjects": .array(groups.map { ["apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": .string($0)] }),
        ]
    }

    static let toAdmin = "rbac.authorization.k8s.io/aggregate-to-admin"
    static let toEdit = "rbac.authorization.k8s.io/aggregate-to-edit"
    static let toView = "rbac.authorization.k8s.io/aggregate-to-view"

    /// Every default ClusterRole, aggregated ones with empty rules (the aggregation fills them).
    public static func clusterRoles() -> [JSONValue] {
        [
            clusterRole("cluster-admin", rules: RBACPolicy.fullAuthority),
            clusterRole("admin", aggregateFrom: toAdmin, rules: []),
            clusterRole("edit", labels: [toAdmin: "true"], aggregateFrom: toEdit, rules: []),
            clusterRole("view", labels: [toEdit: "true"], aggregateFrom: toView, rules: []),
            clusterRole("system:aggregate-to-admin", labels: [toAdmin: "true"], rules: [
                r(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
                r(allVerbs, ["rbac.authorization.k8s.io"], ["rolebindings", "roles"]),
            ]),
            clusterRole("system:aggregate-to-edit", labels: [toEdit: "true"], rules: aggregateToEdit),
            clusterRole("system:aggregate-to-view", labels: [toView: "true"], rules: aggregateToView),
            clusterRole("kubevirt.io:view", labels: [toView: "true"], rules: kubevirtView),
            clusterRole("kubevirt.io:edit", labels: [toEdit: "true"], rules: kubevirtEdit),
            clusterRole("system:discovery", rules: [
                urls(["get"], ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                               "/readyz", "/version", "/version/"]),
            ]),
            clusterRole("system:basic-user", rules: [
                r(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
                r(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
            ]),
            clusterRole("system:public-info-viewer", rules: [
                urls(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"]),
            ]),
            clusterRole("system:monitoring", rules: [
                urls(["get"], ["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis", "/readyz", "/readyz/*"]),
            ]),
            clusterRole("system:auth-delegator", rules: [
                r(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
                r(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
            ]),
        ]
    }

    /// The default ClusterRoleBindings.
    public static func clusterRoleBindings() -> [JSONValue] {
        [
            binding("cluster-admin", role: "cluster-admin", groups: [RBACPolicy.privilegedGroup]),
            binding("system:discovery", role: "system:discovery", groups: ["system:authenticated"]),
            binding("system:basic-user", role: "system:basic-user", groups: ["system:authenticated"]),
            binding("system:public-info-viewer", role: "system:public-info-viewer",
                    groups: ["system:authenticated", "system:unauthenticated"]),
            binding("system:monitoring", role: "system:monitoring", groups: ["system:monitoring"]),
        ]
    }

    static let aggregateToEdit: [PolicyRule] = [
        r(readVerbs, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
        r(["impersonate"], [""], ["serviceaccounts"]),
        r(writeVerbs, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
        r(["create"], [""], ["pods/eviction"]),
        r(writeVerbs, [""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                             "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"]),
        r(["create"], [""], ["serviceaccounts/token"]),
        r(writeVerbs, ["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                                 "replicasets/scale", "statefulsets", "statefulsets/scale"]),
        r(writeVerbs, ["autoscaling"], ["horizontalpodautoscalers"]),
        r(writeVerbs, ["batch"], ["cronjobs", "jobs"]),
        r(writeVerbs, ["policy"], ["poddisruptionbudgets"]),
        r(writeVerbs, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
        r(allVerbs, ["coordination.k8s.io"], ["leases"]),
    ]

    static let aggregateToView: [PolicyRule] = [
        r(readVerbs, [""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
                            "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                            "services/status"]),
        r(readVerbs, [""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                            "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"]),
        r(readVerbs, [""], ["namespaces"]),
        r(readVerbs, ["discovery.k8s.io"], ["endpointslices"]),
        r(readVerbs, ["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                                "deployments/status", "replicasets", "replicasets/scale", "replicasets/status",
                                "statefulsets", "statefulsets/scale", "statefulsets/status"]),
        r(readVerbs, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
        r(readVerbs, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
        r(readVerbs, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        r(readVerbs, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
    ]

    static let kubevirtResources = ["virtualmachines", "virtualmachineinstances", "virtualmachineinstancereplicasets",
                                    "virtualmachineinstancemigrations", "virtualmachineinstancepresets"]

    /// Read access to VMs, data volumes and network attachments (KubeVirt's kubevirt.io:view, CDI's, Multus').
    static let kubevirtView: [PolicyRule] = [
        r(readVerbs, ["kubevirt.io"], kubevirtResources),
        r(["get"], ["subresources.kubevirt.io"], ["virtualmachineinstances/guestosinfo", "virtualmachineinstances/filesystemlist",
                                                 "virtualmachineinstances/userlist"]),
        r(readVerbs, ["cdi.kubevirt.io"], ["datavolumes", "datavolumes/status"]),
        r(readVerbs, ["k8s.cni.cncf.io"], ["network-attachment-definitions"]),
    ]

    /// Full control of VMs and their subresources (console, VNC, start/stop...).
    static let kubevirtEdit: [PolicyRule] = [
        r(["get"], ["subresources.kubevirt.io"], ["virtualmachineinstances/console", "virtualmachineinstances/vnc",
                                                 "virtualmachineinstances/vnc/screenshot", "virtualmachineinstances/portforward"]),
        r(["update"], ["subresources.kubevirt.io"], ["virtualmachineinstances/pause", "virtualmachineinstances/unpause",
                                                    "virtualmachineinstances/softreboot", "virtualmachineinstances/addvolume",
                                                    "virtualmachineinstances/removevolume", "virtualmachineinstances/freeze",
                                                    "virtualmachineinstances/unfreeze"]),
        r(["update"], ["subresources.kubevirt.io"], ["virtualmachines/start", "virtualmachines/stop", "virtualmachines/restart",
                                                    "virtualmachines/migrate", "virtualmachines/addvolume",
                                                    "virtualmachines/removevolume"]),
        r(allVerbs, ["kubevirt.io"], kubevirtResources),
        r(allVerbs, ["cdi.kubevirt.io"], ["datavolumes"]),
        r(allVerbs, ["k8s.cni.cncf.io"], ["network-attachment-definitions"]),
    ]
}
