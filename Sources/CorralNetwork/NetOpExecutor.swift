import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Applies `NetOp` plans with real netlink calls. The node's namespace is either the caller's
/// (corrald runs inside it) or a named one (tests, which run in the root namespace).
/// `apply` converges: each step accepts work already done, so a re-run after a crash finishes the job.
public final class NetOpExecutor: @unchecked Sendable {
    /// The named node namespace, or nil for the namespace `init` ran in.
    public let nodeNamespace: String?
    /// Netlink handle for the node namespace.
    public let node: Netlink

    /// Binds to the node namespace: `nodeNamespace` by name, or the calling thread's when nil.
    public init(nodeNamespace: String? = nil) throws {
        self.nodeNamespace = nodeNamespace
        node = try nodeNamespace.map { try Netlink.open(inNamespace: $0) } ?? Netlink()
    }

    /// Applies every op in order; stops at the first failure and throws it.
    public func apply(_ ops: [NetOp]) throws {
        var handles: [String: Netlink] = [:]
        for op in ops { try perform(op, &handles) }
    }

    /// Applies every op, continuing past failures (for teardown); returns the failures.
    @discardableResult
    public func applyTolerant(_ ops: [NetOp]) -> [NetworkError] {
        var handles: [String: Netlink] = [:]
        var errors: [NetworkError] = []
        for op in ops {
            do { try perform(op, &handles) } catch let e as NetworkError { errors.append(e) } catch {
                errors.append(.command(op.description, status: -1, stderr: "\(error)"))
            }
        }
        return errors
    }

    /// The handle for `netns` (nil = node), opened once per plan.
    private func handle(_ netns: String?, _ handles: inout [String: Netlink]) throws -> Netlink {
        guard let ns = netns else { return node }
        if let h = handles[ns] { return h }
        let h = try Netlink.open(inNamespace: ns)
        handles[ns] = h
        return h
    }

    private func perform(_ op: NetOp, _ handles: inout [String: Netlink]) throws {
        switch op {
        case .createNetns(let name):
            try NetworkNamespace.create(name)
        case .createBridge(let name, let mtu):
            try node.ensureBridge(name, mtu: mtu)
        case .createVethPair(let host, let peer, let ns, let mtu):
            try ensureVeth(host: host, peer: peer, netns: ns, mtu: mtu, &handles)
        case .attachToBridge(let link, let bridge):
            try node.setMaster(link, master: bridge)
        case .setUp(let link, let ns):
            try handle(ns, &handles).setUp(link)
        case .addAddress(let link, let address, let prefix, let ns):
            try handle(ns, &handles).addAddress(link, address: IPv4Address(parsing: address), prefix: prefix)
        case .addDefaultRoute(let gateway, let link, let ns):
            try handle(ns, &handles).addDefaultRoute(via: IPv4Address(parsing: gateway), link: link)
        case .deleteLink(let link, let ns):
            // A link in a namespace that is already gone is gone too.
            if let ns, !NetworkNamespace.exists(ns) { return }
            try handle(ns, &handles).deleteLink(link)
        case .deleteNetns(let name):
            handles[name] = nil
            try NetworkNamespace.delete(name)
        }
    }

    /// Creates the veth pair unless a consistent one exists: the node end present *and* the
    /// peer present in the pod namespace. Half-made states from a crash are cleared first.
    private func ensureVeth(host: String, peer: String, netns: String, mtu: Int, _ handles: inout [String: Netlink]) throws {
        let pod = try handle(netns, &handles)
        let hostLink = try node.link(named: host)
        let peerLink = try pod.link(named: peer)
        if let h = hostLink, h.kind == "veth", let p = peerLink, p.kind == "veth" { return }
        if hostLink != nil { try node.deleteLink(host) }
        if peerLink != nil { try pod.deleteLink(peer) }
        let fd = open(NetworkNamespace.path(netns), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetworkError.noSuchNamespace(netns) }
        defer { close(fd) }
        try node.createVethPair(host: host, peer: peer, peerNetnsFD: fd, mtu: mtu)
    }
}
