/// One hostPort: traffic to the node on `hostPort` (optionally only on `hostIP`) goes to `podIP:podPort`.
public struct HostPortMapping: Equatable, Hashable, Codable, Sendable {
    /// Transport protocol, spelled as nftables and Kubernetes (lower-cased) spell it.
    public enum Proto: String, Codable, Sendable, CaseIterable { case tcp, udp, sctp }

    public var proto: Proto
    /// Only traffic to this node address; nil means every local address (Kubernetes' "" / 0.0.0.0).
    public var hostIP: IPv4Address?
    public var hostPort: Int
    public var podIP: IPv4Address
    public var podPort: Int
    /// Owner recorded as an nft comment (e.g. "namespace/pod"); unsafe characters are dropped.
    public var owner: String

    /// Typed initialiser.
    public init(proto: Proto, hostIP: IPv4Address? = nil, hostPort: Int, podIP: IPv4Address, podPort: Int, owner: String = "") {
        self.proto = proto; self.hostIP = hostIP; self.hostPort = hostPort
        self.podIP = podIP; self.podPort = podPort; self.owner = owner
    }

    /// From Kubernetes container-port fields (protocol "TCP"/"UDP"/"SCTP", hostIP "" or "0.0.0.0" = any).
    public init(protocol proto: String, hostIP: String?, hostPort: Int, podIP: String, podPort: Int, owner: String = "") throws {
        guard let p = Proto(rawValue: proto.lowercased()) else { throw NetworkError.invalidAddress("protocol \(proto)") }
        for port in [hostPort, podPort] where !(1...65535).contains(port) {
            throw NetworkError.invalidAddress("port \(port)")
        }
        let h = hostIP.flatMap { $0.isEmpty || $0 == "0.0.0.0" ? nil : $0 }
        self.init(proto: p, hostIP: try h.map { try IPv4Address(parsing: $0) }, hostPort: hostPort,
                  podIP: try IPv4Address(parsing: podIP), podPort: podPort, owner: owner)
    }

    /// What two mappings must not share: protocol, port and (overlapping) address.
    func clashes(with o: HostPortMapping) -> Bool {
        proto == o.proto && hostPort == o.hostPort && (hostIP == nil || o.hostIP == nil || hostIP == o.hostIP)
    }
}

/// Pure renderer of the node's `ip corral` nftables table: hostPort DNAT plus pod masquerade.
/// The script replaces the whole table in one atomic `nft -f` transaction.
public enum HostPortRules {
    /// Pairs of mappings that claim the same protocol/port/address; the first listed wins at runtime.
    public static func conflicts(_ mappings: [HostPortMapping]) -> [(HostPortMapping, HostPortMapping)] {
        var out: [(HostPortMapping, HostPortMapping)] = []
        for i in mappings.indices {
            for j in mappings.indices where j > i && mappings[i].clashes(with: mappings[j]) {
                out.append((mappings[i], mappings[j]))
            }
        }
        return out
    }

    /// The nft script for `mappings`. Rules are sorted (address-specific before wildcard, then by
    /// protocol and port) so the output depends only on the set of mappings.
    /// - prerouting/output: traffic to a local address (`fib daddr type local`) jumps to `hostports`;
    /// - postrouting: masquerade hairpin (pod → hostPort → pod) and localhost-originated DNAT traffic,
    ///   and pod traffic leaving `podCIDR` through any interface but `bridge`.
    public static func render(_ mappings: [HostPortMapping], podCIDR: IPv4CIDR, bridge: String,
                              table: String = "corral") -> String {
        let sorted = mappings.sorted { a, b in
            if (a.hostIP == nil) != (b.hostIP == nil) { return a.hostIP != nil }
            if a.proto != b.proto { return a.proto.rawValue < b.proto.rawValue }
            if a.hostPort != b.hostPort { return a.hostPort < b.hostPort }
            if a.hostIP != b.hostIP { return (a.hostIP?.value ?? 0) < (b.hostIP?.value ?? 0) }
            return (a.podIP.value, a.podPort, a.owner) < (b.podIP.value, b.podPort, b.owner)
        }
        var s = """
        table ip \(table)
        delete table ip \(table)
        table ip \(table) {
        \tchain hostports {

        """
        for m in sorted {
            s += "\t\t"
            if let h = m.hostIP { s += "ip daddr \(h) " }
            s += "\(m.proto.rawValue) dport \(m.hostPort) dnat to \(m.podIP):\(m.podPort)"
            let c = safeComment(m.owner)
            if !c.isEmpty { s += " comment \"\(c)\"" }
            s += "\n"
        }
        let cidr = podCIDR.description
        s += """
        \t}
        \tchain prerouting {
        \t\ttype nat hook prerouting priority dstnat; policy accept;
        \t\tfib daddr type local jump hostports
        \t}
        \tchain output {
        \t\ttype nat hook output priority -100; policy accept;
        \t\tfib daddr type local jump hostports
        \t}
        \tchain postrouting {
        \t\ttype nat hook postrouting priority srcnat; policy accept;
        \t\tip saddr 127.0.0.0/8 ct status dnat masquerade
        \t\tip saddr \(cidr) ip daddr \(cidr) ct status dnat masquerade
        \t\tip saddr \(cidr) ip daddr != \(cidr) oifname != "\(safeComment(bridge))" masquerade
        \t}
        }

        """
        return s
    }

    /// Keeps characters that cannot break out of an nft quoted string.
    static func safeComment(_ s: String) -> String {
        String(s.filter { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:".contains($0)) }.prefix(120))
    }
}
