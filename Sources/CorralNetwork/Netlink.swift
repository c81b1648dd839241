import CNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One network link as netlink reports it.
public struct LinkInfo: Equatable, Sendable {
    /// Interface name.
    public var name: String
    /// Interface index (unique within its namespace).
    public var index: Int
    /// Index of the master (bridge) it is enslaved to, if any.
    public var master: Int?
    /// rtnetlink kind ("veth", "bridge", "tun", ...), nil for devices without one (lo, physical NICs).
    public var kind: String?
    /// Whether IFF_UP is set.
    public var isUp: Bool
    /// MTU in bytes.
    public var mtu: Int
    /// Link-layer address as "aa:bb:cc:dd:ee:ff", if any.
    public var mac: String?
}

/// A netlink (rtnetlink) handle over libnl, bound to one network namespace for its lifetime:
/// the namespace of the thread that created it (`Netlink()`), or a named one (`Netlink.open(inNamespace:)`).
/// Operations are serialised by an internal lock; the handle may be used from any thread.
public final class Netlink: @unchecked Sendable {
    /// The named namespace this handle operates in, or nil for the creating thread's one.
    public let namespace: String?
    let sock: OpaquePointer
    let lock = NSLock()

    /// Opens a handle on the calling thread's current network namespace.
    public convenience init() throws { try self.init(namespace: nil) }

    init(namespace: String?) throws {
        guard let sk = nl_socket_alloc() else { throw NetworkError.netlink(op: "socket", code: -NLE_NOMEM, message: "out of memory") }
        let rc = nl_connect(sk, NETLINK_ROUTE)
        if rc < 0 {
            nl_socket_free(sk)
            throw NetworkError.netlink(op: "connect", code: rc, message: Netlink.text(rc))
        }
        self.sock = sk
        self.namespace = namespace
    }

    /// Opens a handle whose socket lives in namespace `name` (created on a thread that joined it).
    public static func open(inNamespace name: String) throws -> Netlink {
        try NetworkNamespace.run(inNamespace: name) { try Netlink(namespace: name) }
    }

    deinit { nl_socket_free(sock) }

    static func text(_ code: Int32) -> String { String(cString: nl_geterror(code)) }

    /// Throws `.netlink` for a negative libnl return code.
    func check(_ rc: Int32, _ op: String) throws {
        if rc < 0 { throw NetworkError.netlink(op: op, code: rc, message: Netlink.text(rc)) }
    }

    /// Fetches link `name` from the kernel (caller must `rtnl_link_put` it); nil if absent.
    func fetch(_ name: String) throws -> OpaquePointer? {
        var link: OpaquePointer?
        let rc = rtnl_link_get_kernel(sock, 0, name, &link)
        if rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV { return nil }
        try check(rc, "get link \(name)")
        return link
    }

    /// Like `fetch` but a missing link is an error.
    func require(_ name: String) throws -> OpaquePointer {
        guard let l = try fetch(name) else { throw NetworkError.noSuchLink(name, netns: namespace) }
        return l
    }

    static func info(_ link: OpaquePointer) -> LinkInfo {
        let master = Int(rtnl_link_get_master(link))
        var mac: String?
        if let a = rtnl_link_get_addr(link), nl_addr_get_len(a) == 6, let raw = nl_addr_get_binary_addr(a) {
            let b = raw.assumingMemoryBound(to: UInt8.self)
            mac = (0..<6).map { String(format: "%02x", b[$0]) }.joined(separator: ":")
        }
        return LinkInfo(name: String(cString: rtnl_link_get_name(link)), index: Int(rtnl_link_get_ifindex(link)),
                        master: master == 0 ? nil : master, kind: rtnl_link_get_type(link).map { String(cString: $0) },
                        isUp: rtnl_link_get_flags(link) & 1 != 0, mtu: Int(rtnl_link_get_mtu(link)), mac: mac)
    }

    /// Link `name`, or nil if it does not exist.
    public func link(named name: String) throws -> LinkInfo? {
        lock.lock(); defer { lock.unlock() }
        guard let l = try fetch(name) else { return nil }
        defer { rtnl_link_put(l) }
        return Netlink.info(l)
    }

    /// Every link in the namespace, by index.
    public func links() throws -> [LinkInfo] {
        lock.lock(); defer { lock.unlock() }
        var cache: OpaquePointer?
        try check(rtnl_link_alloc_cache(sock, AF_UNSPEC, &cache), "list links")
        defer { nl_cache_free(cache) }
        var out: [LinkInfo] = []
        var obj = nl_cache_get_first(cache)
        while let o = obj {
            out.append(Netlink.info(o))
            obj = nl_cache_get_next(o)
        }
        return out.sorted { $0.index < $1.index }
    }

    /// Applies `configure` to a fresh change object for link `name` and sends it.
    func change(_ name: String, _ op: String, _ configure: (OpaquePointer) -> Void) throws {
        let orig = try require(name)
        defer { rtnl_link_put(orig) }
        guard let ch = rtnl_link_alloc() else { throw NetworkError.netlink(op: op, code: -NLE_NOMEM, message: "out of memory") }
        defer { rtnl_link_put(ch) }
        configure(ch)
        try check(rtnl_link_change(sock, orig, ch, 0), "\(op) \(name)")
    }

    /// Sets link `name` administratively up (or down).
    public func setUp(_ name: String, up: Bool = true) throws {
        lock.lock(); defer { lock.unlock() }
        try change(name, up ? "set up" : "set down") { up ? rtnl_link_set_flags($0, 1) : rtnl_link_unset_flags($0, 1) }
    }

    /// Enslaves link `name` to bridge `master`, or releases it when `master` is nil.
    public func setMaster(_ name: String, master: String?) throws {
        lock.lock(); defer { lock.unlock() }
        var idx: Int32 = 0
        if let m = master {
            let ml = try require(m)
            idx = rtnl_link_get_ifindex(ml)
            rtnl_link_put(ml)
        }
        try change(name, "set master") { rtnl_link_set_master($0, idx) }
    }

    /// Renames link `name` (it must be down) to `newName`.
    public func rename(_ name: String, to newName: String) throws {
        guard validLinkName(newName) else { throw NetworkError.invalidLinkName(newName) }
        lock.lock(); defer { lock.unlock() }
        try change(name, "rename") { rtnl_link_set_name($0, newName) }
    }

    /// Moves link `name` into the network namespace open at `netnsFD`.
    public func move(_ name: String, toNamespaceFD netnsFD: Int32) throws {
        lock.lock(); defer { lock.unlock() }
        try change(name, "move") { rtnl_link_set_ns_fd($0, netnsFD) }
    }

    /// Deletes link `name`; returns false if it did not exist (deleting a veth end removes both).
    @discardableResult
    public func deleteLink(_ name: String) throws -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard let l = try fetch(name) else { return false }
        defer { rtnl_link_put(l) }
        let rc = rtnl_link_delete(sock, l)
        if rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NODEV { return false }
        try check(rc, "delete link \(name)")
        return true
    }

    /// The MAC address of link `name`.
    public func mac(of name: String) throws -> String? {
        guard let l = try link(named: name) else { throw NetworkError.noSuchLink(name, netns: namespace) }
        return l.mac
    }
}
