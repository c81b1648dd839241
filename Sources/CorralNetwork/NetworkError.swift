/// Every failure CorralNetwork reports: address parsing, IPAM, netlink, namespaces, nftables.
public enum NetworkError: Error, CustomStringConvertible, Equatable {
    /// A string that is not a dotted-quad IPv4 address or an `a.b.c.d/n` CIDR.
    case invalidAddress(String)
    /// The allocator has no free address left in its range.
    case exhausted(cidr: String)
    /// An address outside the allocator's CIDR, or one it must never hand out.
    case notAllocatable(ip: String, reason: String)
    /// A netlink request failed; `code` is libnl's (negative) NLE_* error.
    case netlink(op: String, code: Int32, message: String)
    /// A link that an operation needs does not exist.
    case noSuchLink(String, netns: String?)
    /// A network namespace operation (unshare, setns, mount, unlink) failed.
    case namespace(op: String, name: String, errno: Int32)
    /// A network namespace that an operation needs does not exist.
    case noSuchNamespace(String)
    /// An interface name longer than 15 bytes or otherwise unusable.
    case invalidLinkName(String)
    /// An external tool (nft, sysctl write) failed.
    case command(String, status: Int32, stderr: String)
    /// A tap device could not be created.
    case tap(name: String, errno: Int32)

    public var description: String {
        switch self {
        case .invalidAddress(let s): return "invalid IPv4 address or CIDR: \"\(s)\""
        case .exhausted(let cidr): return "no free IP address left in \(cidr)"
        case .notAllocatable(let ip, let reason): return "cannot allocate \(ip): \(reason)"
        case .netlink(let op, let code, let message): return "netlink \(op) failed: \(message) (nl error \(code))"
        case .noSuchLink(let name, let ns): return "no network link \"\(name)\"" + (ns.map { " in netns \($0)" } ?? "")
        case .namespace(let op, let name, let e): return "netns \(op) \"\(name)\" failed: \(errnoText(e))"
        case .noSuchNamespace(let name): return "network namespace \"\(name)\" does not exist"
        case .invalidLinkName(let name): return "invalid interface name \"\(name)\" (1-15 chars, no '/', ':' or whitespace)"
        case .command(let cmd, let status, let stderr): return "\(cmd) exited \(status): \(stderr)"
        case .tap(let name, let e): return "creating tap \"\(name)\" failed: \(errnoText(e))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// strerror text for an errno value, for messages.
func errnoText(_ e: Int32) -> String {
    #if canImport(Glibc)
    return String(cString: strerror(e)) + " (errno \(e))"
    #else
    return "errno \(e)"
    #endif
}

/// Linux interface-name rule: 1...15 bytes, no '/', ':' or whitespace, not "." or "..".
func validLinkName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard (1...15).contains(bytes.count), name != ".", name != ".." else { return false }
    return !bytes.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 32 }
}
