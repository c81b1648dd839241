/// One step of network plumbing. `netns == nil` means the node's namespace (where the bridge lives).
public enum NetOp: Hashable, Sendable, CustomStringConvertible {
    /// Create named network namespace (kept if it exists).
    case createNetns(String)
    /// Create bridge `name` with `mtu` (kept if it exists).
    case createBridge(name: String, mtu: Int)
    /// Create veth `host` (node side) whose peer `peer` is born inside `peerNetns`.
    case createVethPair(host: String, peer: String, peerNetns: String, mtu: Int)
    /// Enslave node-side link `link` to `bridge`.
    case attachToBridge(link: String, bridge: String)
    /// Set `link` administratively up.
    case setUp(link: String, netns: String?)
    /// Add `address/prefix` to `link`.
    case addAddress(link: String, address: String, prefix: Int, netns: String?)
    /// Install the default route via `gateway` out of `link`.
    case addDefaultRoute(gateway: String, link: String, netns: String?)
    /// Delete `link` (absent is fine).
    case deleteLink(String, netns: String?)
    /// Delete named network namespace (absent is fine).
    case deleteNetns(String)

    public var description: String {
        func at(_ ns: String?) -> String { ns.map { " (netns \($0))" } ?? "" }
        switch self {
        case .createNetns(let n): return "netns add \(n)"
        case .createBridge(let n, let mtu): return "link add \(n) type bridge mtu \(mtu)"
        case .createVethPair(let h, let p, let ns, let mtu): return "link add \(h) mtu \(mtu) type veth peer \(p) netns \(ns)"
        case .attachToBridge(let l, let b): return "link set \(l) master \(b)"
        case .setUp(let l, let ns): return "link set \(l) up" + at(ns)
        case .addAddress(let l, let a, let p, let ns): return "addr add \(a)/\(p) dev \(l)" + at(ns)
        case .addDefaultRoute(let g, let l, let ns): return "route replace default via \(g) dev \(l)" + at(ns)
        case .deleteLink(let l, let ns): return "link del \(l)" + at(ns)
        case .deleteNetns(let n): return "netns del \(n)"
        }
    }
}

/// Network defaults of a Corral node (see DESIGN.md §2).
public struct NetworkDefaults: Sendable {
    public static let bridge = "corral0"
    public static let podCIDR = "10.42.0.0/16"
    public static let gateway = "10.42.0.1"
    public static let serviceCIDR = "10.43.0.0/16"
    public static let clusterDNS = "10.43.0.10"
    public static let clusterDomain = "cluster.local"
    public static let mtu = 1500
    /// Interface name of a pod's network device inside its namespace.
    public static let podInterface = "eth0"
}

/// Pure planners for the node bridge and for one pod's network.
public enum PodNetworkPlan {
    /// Node-side veth name for a pod: "veth" + 8 hex digits of FNV-1a(uid). Deterministic, 12 chars.
    public static func hostVethName(podUID: String) -> String {
        "veth" + hex8(fnv1a(podUID))
    }

    /// A namespace name for a pod: "corral-pod-" + the UID (UIDs are DNS-safe).
    public static func netnsName(podUID: String) -> String { "corral-pod-" + podUID }

    /// Steps that create the node bridge with the gateway address and bring it up.
    public static func node(bridge: String = NetworkDefaults.bridge, gateway: String = NetworkDefaults.gateway,
                            prefix: Int = 16, mtu: Int = NetworkDefaults.mtu) -> [NetOp] {
        [.createBridge(name: bridge, mtu: mtu),
         .addAddress(link: bridge, address: gateway, prefix: prefix, netns: nil),
         .setUp(link: bridge, netns: nil)]
    }

    /// Steps that give pod `podUID` its namespace `netnsName` with `eth0` = `ip/prefix`, lo up, a default
    /// route via `gateway`, and the node end `hostVethName` on `bridge`. Applying it twice is harmless.
    public static func make(podUID: String, netnsName: String, hostVethName: String? = nil,
                            ip: String, prefix: Int = 16, gateway: String = NetworkDefaults.gateway,
                            bridge: String = NetworkDefaults.bridge, mtu: Int = NetworkDefaults.mtu,
                            interface: String = NetworkDefaults.podInterface) -> [NetOp] {
        let host = hostVethName ?? self.hostVethName(podUID: podUID)
        return [
            .createNetns(netnsName),
            .createVethPair(host: host, peer: interface, peerNetns: netnsName, mtu: mtu),
            .attachToBridge(link: host, bridge: bridge),
            .setUp(link: host, netns: nil),
            .setUp(link: "lo", netns: netnsName),
            .addAddress(link: interface, address: ip, prefix: prefix, netns: netnsName),
            .setUp(link: interface, netns: netnsName),
            .addDefaultRoute(gateway: gateway, link: interface, netns: netnsName),
        ]
    }

    /// Steps that undo `make`: delete the node veth end (removing its peer), then the namespace.
    /// Each step tolerates the piece already being gone.
    public static func teardown(podUID: String, netnsName: String, hostVethName: String? = nil) -> [NetOp] {
        [.deleteLink(hostVethName ?? self.hostVethName(podUID: podUID), netns: nil), .deleteNetns(netnsName)]
    }

    static func fnv1a(_ s: String) -> UInt32 {
        var h: UInt32 = 0x811c9dc5
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 0x01000193 }
        return h
    }

    static func hex8(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
