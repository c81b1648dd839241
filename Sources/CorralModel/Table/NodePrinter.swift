import Foundation

/// Nodes: NAME STATUS ROLES AGE VERSION (+INTERNAL-IP EXTERNAL-IP OS-IMAGE
/// KERNEL-VERSION CONTAINER-RUNTIME).
extension TablePrinter {
    static let nodePrinter = Printer(
        columns: [
            nameColumn,
            Column("Status", "The status of the node"),
            Column("Roles", "The roles of the node"),
            ageColumn,
            Column("Version", "Kubelet Version reported by the node."),
            Column("Internal-IP", priority: 1, "List of addresses reachable to the node."),
            Column("External-IP", priority: 1, "List of addresses reachable to the node."),
            Column("OS-Image", priority: 1, "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."),
            Column("Kernel-Version", priority: 1, "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."),
            Column("Container-Runtime", priority: 1, "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2)."),
        ],
        cells: { node, now in nodeCells(node, now) })

    static func nodeCells(_ node: JSONValue, _ now: Date) -> [JSONValue] {
        var status: [String] = []
        // Only the Ready condition counts; a later duplicate wins, as in kubectl's map.
        var ready: String?
        for c in node[path: ["status", "conditions"]]?.arrayValue ?? [] where c["type"]?.stringValue == "Ready" {
            ready = str(c["status"])
        }
        if let ready { status.append(ready == "True" ? "Ready" : "NotReady") }
        if status.isEmpty { status.append("Unknown") }
        if node[path: ["spec", "unschedulable"]]?.boolValue == true { status.append("SchedulingDisabled") }

        var roles: Set<String> = []
        for (k, v) in node[path: ["metadata", "labels"]]?.objectValue ?? JSONObject() {
            if k.hasPrefix("node-role.kubernetes.io/") {
                let role = String(k.dropFirst("node-role.kubernetes.io/".count))
                if !role.isEmpty { roles.insert(role) }
            } else if k == "kubernetes.io/role", let r = v.stringValue, !r.isEmpty {
                roles.insert(r)
            }
        }
        let rolesText = roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")

        let info = node[path: ["status", "nodeInfo"]]
        func orUnknown(_ s: String) -> String { s.isEmpty ? "<unknown>" : s }
        func address(_ type: String) -> String {
            for a in node[path: ["status", "addresses"]]?.arrayValue ?? [] where a["type"]?.stringValue == type {
                return str(a["address"])
            }
            return "<none>"
        }
        return [.string(name(node)), .string(status.joined(separator: ",")), .string(rolesText),
                .string(age(node, now)), .string(str(info?["kubeletVersion"])),
                .string(address("InternalIP")), .string(address("ExternalIP")),
                .string(orUnknown(str(info?["osImage"]))), .string(orUnknown(str(info?["kernelVersion"]))),
                .string(orUnknown(str(info?["containerRuntimeVersion"])))]
    }
}
