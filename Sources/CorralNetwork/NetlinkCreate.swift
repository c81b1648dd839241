import CNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Creating links, addresses and routes. Each call is idempotent: an existing object that
/// matches is accepted, so re-running after a crash converges.
extension Netlink {
    /// Ensures bridge `name` exists (creating it with `mtu` if given), carries `address/prefix`
    /// when an address is given, and is up. Fails if `name` exists but is not a bridge.
    public func ensureBridge(_ name: String, address: IPv4Address? = nil, prefix: Int = 16, mtu: Int? = nil) throws {
        guard validLinkName(name) else { throw NetworkError.invalidLinkName(name) }
        try withLock {
            if let existing = try fetch(name) {
                defer { rtnl_link_put(existing) }
                guard Netlink.info(existing).kind == "bridge" else {
                    throw NetworkError.netlink(op: "ensure bridge \(name)", code: -NLE_EXIST, message: "exists and is not a bridge")
                }
                return
            }
            guard let br = rtnl_link_bridge_alloc() else { throw NetworkError.netlink(op: "bridge", code: -NLE_NOMEM, message: "out of memory") }
            defer { rtnl_link_put(br) }
            rtnl_link_set_name(br, name)
            if let mtu { rtnl_link_set_mtu(br, UInt32(mtu)) }
            let rc = rtnl_link_add(sock, br, NLM_F_CREATE | NLM_F_EXCL)
            if rc != -NLE_EXIST { try check(rc, "create bridge \(name)") }
        }
        if let address { try addAddress(name, address: address, prefix: prefix) }
        try setUp(name)
    }

    /// Creates veth pair `host` ↔ `peer`; the peer is created directly inside the namespace open
    /// at `peerNetnsFD` (or here when nil). Throws `.netlink` with NLE_EXIST if `host` exists.
    public func createVethPair(host: String, peer: String, peerNetnsFD: Int32?, mtu: Int? = nil) throws {
        for n in [host, peer] where !validLinkName(n) { throw NetworkError.invalidLinkName(n) }
        try withLock {
            guard let veth = rtnl_link_veth_alloc() else { throw NetworkError.netlink(op: "veth", code: -NLE_NOMEM, message: "out of memory") }
            defer { rtnl_link_put(veth) }
            guard let p = rtnl_link_veth_get_peer(veth) else { throw NetworkError.netlink(op: "veth peer", code: -NLE_NOMEM, message: "no peer") }
            defer { rtnl_link_put(p) }
            rtnl_link_set_name(veth, host)
            rtnl_link_set_name(p, peer)
            if let mtu { rtnl_link_set_mtu(veth, UInt32(mtu)); rtnl_link_set_mtu(p, UInt32(mtu)) }
            if let fd = peerNetnsFD { rtnl_link_set_ns_fd(p, fd) }
            try check(rtnl_link_add(sock, veth, NLM_F_CREATE | NLM_F_EXCL), "create veth \(host)/\(peer)")
        }
    }

    /// Adds `address/prefix` to link `name`; an identical existing address is fine.
    public func addAddress(_ name: String, address: IPv4Address, prefix: Int) throws {
        try withLock {
            let l = try require(name)
            let idx = rtnl_link_get_ifindex(l)
            rtnl_link_put(l)
            guard let a = rtnl_addr_alloc() else { throw NetworkError.netlink(op: "addr", code: -NLE_NOMEM, message: "out of memory") }
            defer { rtnl_addr_put(a) }
            var local: OpaquePointer?
            try check(nl_addr_parse("\(address)/\(prefix)", AF_INET, &local), "parse \(address)")
            defer { nl_addr_put(local) }
            rtnl_addr_set_ifindex(a, idx)
            try check(rtnl_addr_set_local(a, local), "set local")
            let rc = rtnl_addr_add(sock, a, 0)
            if rc != -NLE_EXIST { try check(rc, "add address \(address)/\(prefix) to \(name)") }
        }
    }

    /// IPv4 addresses on link `name` as "a.b.c.d/n".
    public func addresses(of name: String) throws -> [String] {
        try withLock {
            let l = try require(name)
            let idx = rtnl_link_get_ifindex(l)
            rtnl_link_put(l)
            var cache: OpaquePointer?
            try check(rtnl_addr_alloc_cache(sock, &cache), "list addresses")
            defer { nl_cache_free(cache) }
            var out: [String] = []
            var obj = nl_cache_get_first(cache)
            while let o = obj {
                if rtnl_addr_get_ifindex(o) == idx, rtnl_addr_get_family(o) == AF_INET, let local = rtnl_addr_get_local(o) {
                    var buf = [CChar](repeating: 0, count: 64)
                    nl_addr2str(local, &buf, buf.count)
                    out.append(String(cString: buf))
                }
                obj = nl_cache_get_next(o)
            }
            return out
        }
    }

    /// Installs (or replaces) the IPv4 default route via `gateway` out of link `name`.
    public func addDefaultRoute(via gateway: IPv4Address, link name: String) throws {
        try withLock {
            let l = try require(name)
            let idx = rtnl_link_get_ifindex(l)
            rtnl_link_put(l)
            guard let route = rtnl_route_alloc(), let nh = rtnl_route_nh_alloc() else {
                throw NetworkError.netlink(op: "route", code: -NLE_NOMEM, message: "out of memory")
            }
            defer { rtnl_route_put(route) }
            var dst: OpaquePointer?, gw: OpaquePointer?
            try check(nl_addr_parse("0.0.0.0/0", AF_INET, &dst), "parse default")
            defer { nl_addr_put(dst) }
            try check(nl_addr_parse(gateway.description, AF_INET, &gw), "parse gateway")
            defer { nl_addr_put(gw) }
            rtnl_route_set_family(route, UInt8(AF_INET))
            try check(rtnl_route_set_dst(route, dst), "set dst")
            rtnl_route_nh_set_gateway(nh, gw)
            rtnl_route_nh_set_ifindex(nh, idx)
            rtnl_route_add_nexthop(route, nh)  // route owns nh now
            try check(rtnl_route_add(sock, route, NLM_F_REPLACE), "add default route via \(gateway) dev \(name)")
        }
    }

    /// Creates a persistent tap `name` in this handle's namespace (owned by `owner`/`group` so an
    /// unprivileged QEMU can open it), attaches it to `bridge` when given, and sets it up.
    /// Idempotent: an existing tap with the same flags is reused.
    public func createTap(_ name: String, bridge: String?, owner: UInt32? = nil, group: UInt32? = nil,
                          multiQueue: Bool = false, mtu: Int? = nil) throws {
        guard validLinkName(name) else { throw NetworkError.invalidLinkName(name) }
        let create = { corral_tap_create(name, multiQueue ? 1 : 0, owner.map { Int32(bitPattern: $0) } ?? -1,
                                         group.map { Int32(bitPattern: $0) } ?? -1) }
        // /dev/net/tun creates the device in the opening thread's namespace, not the socket's.
        let rc = try namespace.map { try NetworkNamespace.run(inNamespace: $0, create) } ?? create()
        if rc != 0 { throw NetworkError.tap(name: name, errno: -rc) }
        if let mtu { try withLock { try change(name, "set mtu") { rtnl_link_set_mtu($0, UInt32(mtu)) } } }
        if let bridge { try setMaster(name, master: bridge) }
        try setUp(name)
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }
}
