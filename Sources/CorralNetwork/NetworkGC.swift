/// Pure planner for leaked pod plumbing: after a crash, pods the node no longer runs may have
/// left their veth on the bridge or their namespace under /run/netns.
public enum NetworkGC {
    /// Ops deleting every veth enslaved to `bridgeIndex` whose name is not in `liveHostVeths`, and
    /// every namespace starting with `namespacePrefix` that is not in `liveNamespaces`.
    /// Only veths on our bridge and namespaces with our prefix are ever touched.
    public static func plan(links: [LinkInfo], bridgeIndex: Int, liveHostVeths: Set<String>,
                            namespaces: [String], liveNamespaces: Set<String>,
                            namespacePrefix: String = "corral-pod-") -> [NetOp] {
        let vethOps = links
            // vmp* veths belong to masquerade VMs (MasqueradePlan); their owner tears them down.
            .filter { $0.master == bridgeIndex && $0.kind == "veth" && !liveHostVeths.contains($0.name) && !$0.name.hasPrefix("vmp") }
            .map { NetOp.deleteLink($0.name, netns: nil) }
        let nsOps = namespaces
            .filter { $0.hasPrefix(namespacePrefix) && !liveNamespaces.contains($0) }
            .sorted()
            .map { NetOp.deleteNetns($0) }
        return vethOps + nsOps
    }
}
