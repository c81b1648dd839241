import Foundation

/// core/v1 types: pods, services, endpoints, namespaces, configmaps, secrets,
/// serviceaccounts, nodes, events, persistent volumes and claims.
extension TablePrinter {
    static let corePrinters: [String: Printer] = [
        "pods": podPrinter,
        "services": servicePrinter,
        "endpoints": endpointsPrinter,
        "namespaces": namespacePrinter,
        "configmaps": configMapPrinter,
        "secrets": secretPrinter,
        "serviceaccounts": serviceAccountPrinter,
        "nodes": nodePrinter,
        "events": eventPrinter,
        "events.events.k8s.io": eventsV1Printer,
        "persistentvolumes": persistentVolumePrinter,
        "persistentvolumeclaims": persistentVolumeClaimPrinter,
    ]

    static let servicePrinter = Printer(
        columns: [
            nameColumn,
            Column("Type", "type determines how the Service is exposed. Defaults to ClusterIP."),
            Column("Cluster-IP", "clusterIP is the IP address of the service and is usually assigned randomly."),
            Column("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service."),
            Column("Port(s)", "The list of ports that are exposed by this service."),
            ageColumn,
            Column("Selector", priority: 1, "Route service traffic to pods with label keys and values matching this selector."),
        ],
        cells: { svc, now in
            let spec = svc["spec"] ?? .null
            let type = spec["type"]?.stringValue ?? "ClusterIP"
            var clusterIP = spec["clusterIPs"]?.arrayValue?.first?.stringValue ?? str(spec["clusterIP"])
            if clusterIP.isEmpty { clusterIP = "<none>" }
            var ports = (spec["ports"]?.arrayValue ?? []).map { p -> String in
                let proto = p["protocol"]?.stringValue ?? "TCP"
                let nodePort = int(p["nodePort"])
                return nodePort > 0 ? "\(int(p["port"])):\(nodePort)/\(proto)" : "\(int(p["port"]))/\(proto)"
            }.joined(separator: ",")
            if ports.isEmpty { ports = "<none>" }
            return [.string(name(svc)), .string(type), .string(clusterIP), .string(serviceExternalIP(svc, type)),
                    .string(ports), .string(age(svc, now)), .string(formatLabels(spec["selector"]))]
        })

    /// EXTERNAL-IP as kubectl prints it (wide form: load-balancer addresses not clipped).
    static func serviceExternalIP(_ svc: JSONValue, _ type: String) -> String {
        let external = (svc[path: ["spec", "externalIPs"]]?.arrayValue ?? []).compactMap(\.stringValue)
        switch type {
        case "ClusterIP", "NodePort":
            return external.isEmpty ? "<none>" : external.joined(separator: ",")
        case "LoadBalancer":
            var lb: [String] = []
            for ing in svc[path: ["status", "loadBalancer", "ingress"]]?.arrayValue ?? [] {
                let v = str(ing["ip"]).isEmpty ? str(ing["hostname"]) : str(ing["ip"])
                if !v.isEmpty && !lb.contains(v) { lb.append(v) }
            }
            if !external.isEmpty { return (lb + external).joined(separator: ",") }
            return lb.isEmpty ? "<pending>" : lb.joined(separator: ",")
        case "ExternalName":
            return str(svc[path: ["spec", "externalName"]])
        default:
            return "<unknown>"
        }
    }

    static let endpointsPrinter = Printer(
        columns: [nameColumn, Column("Endpoints", "The set of all endpoints is the union of all subsets."), ageColumn],
        cells: { ep, now in [.string(name(ep)), .string(formatEndpoints(ep)), .string(age(ep, now))] })

    /// Up to three `ip:port` entries, then " + N more...", "<none>" without subsets.
    static func formatEndpoints(_ ep: JSONValue) -> String {
        let subsets = ep["subsets"]?.arrayValue ?? []
        if subsets.isEmpty { return "<none>" }
        let maximum = 3
        var list: [String] = []
        var more = false
        var count = 0
        for ss in subsets {
            let addrs = (ss["addresses"]?.arrayValue ?? []).map { str($0["ip"]) }
            let ports = ss["ports"]?.arrayValue ?? []
            if ports.isEmpty {
                count += addrs.count
                for a in addrs {
                    if list.count == maximum { more = true; break }
                    list.append(a)
                }
                continue
            }
            for p in ports {
                count += addrs.count
                for a in addrs {
                    if list.count == maximum { more = true; break }
                    list.append(joinHostPort(a, int(p["port"])))
                }
            }
        }
        let joined = list.joined(separator: ",")
        return more ? "\(joined) + \(count - maximum) more..." : joined
    }

    static let namespacePrinter = Printer(
        columns: [nameColumn, Column("Status", "The status of the namespace"), ageColumn],
        cells: { ns, now in [.string(name(ns)), .string(str(ns[path: ["status", "phase"]])), .string(age(ns, now))] })

    static let configMapPrinter = Printer(
        columns: [nameColumn, Column("Data", "Data contains the configuration data."), ageColumn],
        cells: { cm, now in
            let n = (cm["data"]?.objectValue?.count ?? 0) + (cm["binaryData"]?.objectValue?.count ?? 0)
            return [.string(name(cm)), .int(Int64(n)), .string(age(cm, now))]
        })

    static let secretPrinter = Printer(
        columns: [nameColumn, Column("Type", "Used to facilitate programmatic handling of secret data."),
                  Column("Data", "Data contains the secret data."), ageColumn],
        cells: { s, now in
            // stringData is merged into data on write; count a not-yet-merged key once.
            var keys = Set(s["data"]?.objectValue?.keys ?? [])
            keys.formUnion(s["stringData"]?.objectValue?.keys ?? [])
            return [.string(name(s)), .string(s["type"]?.stringValue ?? "Opaque"), .int(Int64(keys.count)), .string(age(s, now))]
        })

    static let serviceAccountPrinter = Printer(
        columns: [nameColumn, Column("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use."), ageColumn],
        cells: { sa, now in
            [.string(name(sa)), .int(Int64(sa["secrets"]?.arrayValue?.count ?? 0)), .string(age(sa, now))]
        })
}
