/// Settings of the node's pod network.
public struct PodNetworkConfig: Sendable {
    public var bridge: String
    public var podCIDR: IPv4CIDR
    public var gateway: IPv4Address
    public var mtu: Int
    /// Named namespace acting as "the node" (tests); nil = the namespace corrald runs in.
    public var nodeNamespace: String?
    /// Prefix of pod namespaces this node owns; garbage collection deletes unknown ones with it.
    public var namespacePrefix: String

    /// The DESIGN.md defaults: corral0, 10.42.0.0/16, gateway 10.42.0.1, MTU 1500.
    public init(bridge: String = NetworkDefaults.bridge, podCIDR: IPv4CIDR = try! IPv4CIDR(parsing: NetworkDefaults.podCIDR),
                gateway: IPv4Address = try! IPv4Address(parsing: NetworkDefaults.gateway), mtu: Int = NetworkDefaults.mtu,
                nodeNamespace: String? = nil, namespacePrefix: String = "corral-pod-") {
        self.bridge = bridge; self.podCIDR = podCIDR; self.gateway = gateway; self.mtu = mtu
        self.nodeNamespace = nodeNamespace; self.namespacePrefix = namespacePrefix
    }
}

/// What a pod got from `PodNetworkManager.attach`.
public struct PodAttachment: Equatable, Sendable {
    /// Path to hand to the OCI runtime as the network namespace (`/run/netns/NAME`).
    public var netnsPath: String
    public var netnsName: String
    public var hostVeth: String
    public var ip: String
    /// MAC of the pod's eth0.
    public var mac: String?
}

/// The node agent's entry point to pod networking: plans from `PodNetworkPlan`, applied by a
/// `NetOpExecutor`, plus hostPort rules and leak collection. IPAM stays with the caller.
public final class PodNetworkManager: @unchecked Sendable {
    public let config: PodNetworkConfig
    public let executor: NetOpExecutor

    /// Binds to the node namespace (see `PodNetworkConfig.nodeNamespace`).
    public init(config: PodNetworkConfig = PodNetworkConfig()) throws {
        self.config = config
        executor = try NetOpExecutor(nodeNamespace: config.nodeNamespace)
    }

    /// Bridge with the gateway address up, IPv4 forwarding on, localhost hostPorts allowed.
    public func setUpNode() throws {
        try executor.apply(PodNetworkPlan.node(bridge: config.bridge, gateway: config.gateway.description,
                                               prefix: config.podCIDR.prefix, mtu: config.mtu))
        try Sysctl.enableForwarding(netns: config.nodeNamespace)
        try Sysctl.enableRouteLocalnet(bridge: config.bridge, netns: config.nodeNamespace)
    }

    /// The namespace name used for a pod.
    public func netnsName(podUID: String) -> String { config.namespacePrefix + podUID }

    /// Gives pod `podUID` its namespace and eth0 with `ip` (idempotent; converges after a crash).
    public func attach(podUID: String, ip: String) throws -> PodAttachment {
        let ns = netnsName(podUID: podUID)
        try executor.apply(PodNetworkPlan.make(podUID: podUID, netnsName: ns, ip: ip, prefix: config.podCIDR.prefix,
                                               gateway: config.gateway.description, bridge: config.bridge, mtu: config.mtu))
        let mac = try Netlink.open(inNamespace: ns).mac(of: NetworkDefaults.podInterface)
        return PodAttachment(netnsPath: NetworkNamespace.path(ns), netnsName: ns,
                             hostVeth: PodNetworkPlan.hostVethName(podUID: podUID), ip: ip, mac: mac)
    }

    /// Removes the pod's veth and namespace; tolerates missing pieces; returns failures.
    @discardableResult
    public func detach(podUID: String) -> [NetworkError] {
        executor.applyTolerant(PodNetworkPlan.teardown(podUID: podUID, netnsName: netnsName(podUID: podUID)))
    }

    /// Replaces the node's hostPort/masquerade table with one built from `mappings`.
    public func applyHostPorts(_ mappings: [HostPortMapping]) throws {
        try NFTables.apply(HostPortRules.render(mappings, podCIDR: config.podCIDR, bridge: config.bridge),
                           netns: config.nodeNamespace)
    }

    /// Deletes veths and namespaces of pods not in `livePodUIDs`; returns the ops it ran.
    @discardableResult
    public func collectGarbage(livePodUIDs: Set<String>) throws -> [NetOp] {
        guard let bridge = try executor.node.link(named: config.bridge) else { return [] }
        let ops = NetworkGC.plan(links: try executor.node.links(), bridgeIndex: bridge.index,
                                 liveHostVeths: Set(livePodUIDs.map { PodNetworkPlan.hostVethName(podUID: $0) }),
                                 namespaces: NetworkNamespace.list(),
                                 liveNamespaces: Set(livePodUIDs.map { netnsName(podUID: $0) }),
                                 namespacePrefix: config.namespacePrefix)
        executor.applyTolerant(ops)
        return ops
    }
}
