import Foundation

/// coordination, storage, rbac, networking and discovery types.
extension TablePrinter {
    static let clusterPrinters: [String: Printer] = [
        "leases.coordination.k8s.io": leasePrinter,
        "storageclasses.storage.k8s.io": storageClassPrinter,
        "roles.rbac.authorization.k8s.io": createdAtPrinter,
        "clusterroles.rbac.authorization.k8s.io": createdAtPrinter,
        "rolebindings.rbac.authorization.k8s.io": roleBindingPrinter(scope: "roleBinding"),
        "clusterrolebindings.rbac.authorization.k8s.io": roleBindingPrinter(scope: "clusterRoleBinding"),
        "networkpolicies.networking.k8s.io": networkPolicyPrinter,
        "endpointslices.discovery.k8s.io": endpointSlicePrinter,
    ]

    static let leasePrinter = Printer(
        columns: [nameColumn, Column("Holder", "holderIdentity contains the identity of the holder of a current lease."), ageColumn],
        cells: { l, now in [.string(name(l)), .string(str(l[path: ["spec", "holderIdentity"]])), .string(age(l, now))] })

    static let storageClassPrinter = Printer(
        columns: [
            nameColumn,
            Column("Provisioner", "provisioner indicates the type of the provisioner."),
            Column("ReclaimPolicy", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class."),
            Column("VolumeBindingMode", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound."),
            Column("AllowVolumeExpansion", "allowVolumeExpansion shows whether the storage class allow volume expand."),
            ageColumn,
        ],
        cells: { sc, now in
            var n = name(sc)
            if annotation(sc, "storageclass.kubernetes.io/is-default-class") == "true"
                || annotation(sc, "storageclass.beta.kubernetes.io/is-default-class") == "true" {
                n += " (default)"
            }
            return [.string(n), .string(str(sc["provisioner"])),
                    .string(sc["reclaimPolicy"]?.stringValue ?? "Delete"),
                    .string(sc["volumeBindingMode"]?.stringValue ?? "Immediate"),
                    .bool(sc["allowVolumeExpansion"]?.boolValue ?? false), .string(age(sc, now))]
        })

    /// kube-apiserver's default table: NAME and CREATED AT (RFC 3339, UTC), used for roles.
    static let createdAtPrinter = Printer(
        columns: [nameColumn, Column("Created At", "date", creationTimestampDescription)],
        cells: { obj, _ in
            let ts = obj[path: ["metadata", "creationTimestamp"]]?.stringValue
            let text = ts.flatMap(parseTimestamp).map(rfc3339UTC) ?? "0001-01-01T00:00:00Z"
            return [.string(name(obj)), .string(text)]
        })

    /// Go's `time.RFC3339` rendering in UTC, whole seconds.
    static func rfc3339UTC(_ d: Date) -> String { KubeTimeFormat.rfc3339(d) }

    static func roleBindingPrinter(scope: String) -> Printer {
        Printer(
            columns: [
                nameColumn,
                Column("Role", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace."),
                ageColumn,
                Column("Users", priority: 1, "Users in the \(scope)"),
                Column("Groups", priority: 1, "Groups in the \(scope)"),
                Column("ServiceAccounts", priority: 1, "ServiceAccounts in the \(scope)"),
            ],
            cells: { rb, now in
                var users: [String] = [], groups: [String] = [], sas: [String] = []
                for s in rb["subjects"]?.arrayValue ?? [] {
                    switch str(s["kind"]) {
                    case "ServiceAccount": sas.append(str(s["namespace"]) + "/" + str(s["name"]))
                    case "User": users.append(str(s["name"]))
                    case "Group": groups.append(str(s["name"]))
                    default: break
                    }
                }
                let role = str(rb[path: ["roleRef", "kind"]]) + "/" + str(rb[path: ["roleRef", "name"]])
                return [.string(name(rb)), .string(role), .string(age(rb, now)),
                        .string(users.joined(separator: ", ")), .string(groups.joined(separator: ", ")),
                        .string(sas.joined(separator: ", "))]
            })
    }

    static let networkPolicyPrinter = Printer(
        columns: [nameColumn, Column("Pod-Selector", "podSelector selects the pods to which this NetworkPolicy object applies."), ageColumn],
        cells: { np, now in
            // spec.podSelector is a struct, never nil: a missing one selects everything.
            let sel = np[path: ["spec", "podSelector"]].flatMap { $0.isNull ? nil : $0 } ?? .object(JSONObject())
            return [.string(name(np)), .string(formatLabelSelector(sel)), .string(age(np, now))]
        })

    static let endpointSlicePrinter = Printer(
        columns: [
            nameColumn,
            Column("AddressType", "addressType specifies the type of address carried by this EndpointSlice."),
            Column("Ports", "ports specifies the list of network ports exposed by each endpoint in this slice."),
            Column("Endpoints", "endpoints is a list of unique endpoints in this slice."),
            ageColumn,
        ],
        cells: { es, now in
            let ports = (es["ports"]?.arrayValue ?? []).map { p -> String in
                if let n = p["port"]?.intValue { return String(n) }
                if let n = p["name"]?.stringValue { return n }
                return "*"
            }
            let addrs = (es["endpoints"]?.arrayValue ?? []).flatMap { ($0["addresses"]?.arrayValue ?? []).compactMap(\.stringValue) }
            return [.string(name(es)), .string(str(es["addressType"])), .string(listWithMore(ports)),
                    .string(listWithMore(addrs)), .string(age(es, now))]
        })

    /// At most three items, then " + N more...", "<unset>" for none.
    static func listWithMore(_ items: [String]) -> String {
        if items.isEmpty { return "<unset>" }
        let shown = items.prefix(3).joined(separator: ",")
        return items.count > 3 ? "\(shown) + \(items.count - 3) more..." : shown
    }
}
