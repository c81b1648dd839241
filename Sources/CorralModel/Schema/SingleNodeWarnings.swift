/// Warnings for fields that are valid Kubernetes but that corral, one node
/// with no PriorityClass API, accepts and then ignores: spreading and
/// (anti-)affinity between pods, and pod priority. Sent as `Warning:`
/// headers so that a manifest written for a cluster still applies, and the
/// user learns what it will not do here.
public enum SingleNodeWarnings {
    /// Where each kind keeps its pod (or VMI) spec.
    static let specPaths: [String: [String]] = [
        "pods": ["spec"],
        "deployments.apps": ["spec", "template", "spec"],
        "replicasets.apps": ["spec", "template", "spec"],
        "statefulsets.apps": ["spec", "template", "spec"],
        "daemonsets.apps": ["spec", "template", "spec"],
        "jobs.batch": ["spec", "template", "spec"],
        "virtualmachineinstances.kubevirt.io": ["spec"],
        "virtualmachines.kubevirt.io": ["spec", "template", "spec"],
        "virtualmachineinstancereplicasets.kubevirt.io": ["spec", "template", "spec"],
    ]

    static let spreadReason = "ignored: corral runs on a single node"
    static let priorityReason = "ignored: corral runs on a single node and does not preempt pods"

    /// The warning texts for `body` (an object, or a merge/apply patch) of the kind stored under `storageKey`.
    public static func warnings(for body: JSONValue, storageKey: String) -> [String] {
        guard let specPath = specPaths[storageKey], let spec = body[path: specPath], case .object = spec else { return [] }
        let prefix = specPath.joined(separator: ".")
        var out: [String] = []
        if let t = spec["topologySpreadConstraints"]?.arrayValue, !t.isEmpty {
            out.append("\(prefix).topologySpreadConstraints: \(spreadReason)")
        }
        for kind in ["podAffinity", "podAntiAffinity"] {
            if let a = spec[path: ["affinity", kind]]?.objectValue, !a.isEmpty {
                out.append("\(prefix).affinity.\(kind): \(spreadReason)")
            }
        }
        if let p = spec["priorityClassName"]?.stringValue, !p.isEmpty {
            out.append("\(prefix).priorityClassName: \(priorityReason)")
        }
        return out
    }
}
