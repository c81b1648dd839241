import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Facts about the host that the PKI needs (server certificate SANs, node name).
/// These are the only functions in CorralPKI that read host state; everything else takes them as data.
public enum HostFacts {
    /// The host name as returned by gethostname(2), lower-cased; "localhost" if it cannot be read or is empty.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(cString: buffer).lowercased()
        return name.isEmpty ? "localhost" : name
    }

    /// The IPv4 and IPv6 addresses of all of the host's interfaces (getifaddrs(3)), loopback
    /// included, as numeric strings in interface order and without duplicates. IPv6 link-local
    /// addresses (fe80::/10) are skipped, since they are only meaningful with a zone and cannot
    /// appear in a certificate usefully. Returns an empty list if getifaddrs fails.
    public static func interfaceAddresses() -> [String] {
        var head: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&head) == 0, let first = head else { return [] }
        defer { freeifaddrs(head) }
        var result: [String] = []
        var seen = Set<String>()
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            cursor = entry.pointee.ifa_next
            guard let sa = entry.pointee.ifa_addr else { continue }
            var text: String?
            switch Int32(sa.pointee.sa_family) {
            case AF_INET:
                text = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    var addr = sin.pointee.sin_addr
                    return numeric(family: AF_INET, &addr, length: Int(INET_ADDRSTRLEN))
                }
            case AF_INET6:
                text = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    var addr = sin6.pointee.sin6_addr
                    let isLinkLocal = withUnsafeBytes(of: &addr) { $0[0] == 0xfe && ($0[1] & 0xc0) == 0x80 }
                    if isLinkLocal { return nil }
                    return numeric(family: AF_INET6, &addr, length: Int(INET6_ADDRSTRLEN))
                }
            default:
                break
            }
            if let text, seen.insert(text).inserted {
                result.append(text)
            }
        }
        return result
    }

    /// inet_ntop for an in_addr/in6_addr.
    private static func numeric<T>(family: Int32, _ addr: inout T, length: Int) -> String? {
        var buffer = [CChar](repeating: 0, count: length + 1)
        let ok = withUnsafePointer(to: &addr) { pointer in
            inet_ntop(family, pointer, &buffer, socklen_t(buffer.count)) != nil
        }
        return ok ? String(cString: buffer) : nil
    }
}
