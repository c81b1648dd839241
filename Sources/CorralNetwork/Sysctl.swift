import Foundation

/// Writes network sysctls (/proc/sys/net/...) of the current or a named namespace.
/// /proc/sys/net resolves to the namespace of the thread that opens the file, so a named
/// namespace is reached through `NetworkNamespace.run(inNamespace:)`.
public enum Sysctl {
    /// /proc/sys path for a dotted key; interface-name segments keep their dots when given as `parts`.
    public static func path(_ parts: [String]) -> String { "/proc/sys/" + parts.joined(separator: "/") }

    /// Writes `value` to the sysctl at `parts` (e.g. ["net", "ipv4", "ip_forward"]).
    public static func set(_ parts: [String], to value: String, netns: String? = nil) throws {
        let p = path(parts)
        let write = { () -> Error? in
            do { try (value + "\n").write(toFile: p, atomically: false, encoding: .utf8); return nil } catch { return error }
        }
        let failure = try netns.map { try NetworkNamespace.run(inNamespace: $0, write) } ?? write()
        if let failure { throw NetworkError.command("sysctl \(parts.joined(separator: "."))=\(value)", status: 1, stderr: "\(failure)") }
    }

    /// Reads the sysctl at `parts`, trimmed.
    public static func get(_ parts: [String], netns: String? = nil) throws -> String {
        let p = path(parts)
        let read = { try? String(contentsOfFile: p, encoding: .utf8) }
        guard let v = try netns.map({ try NetworkNamespace.run(inNamespace: $0, read) }) ?? read() else {
            throw NetworkError.command("sysctl \(parts.joined(separator: "."))", status: 1, stderr: "cannot read \(p)")
        }
        return v.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// net.ipv4.ip_forward=1: lets the node route pod traffic off the bridge.
    public static func enableForwarding(netns: String? = nil) throws {
        try set(["net", "ipv4", "ip_forward"], to: "1", netns: netns)
    }

    /// net.ipv4.conf.BRIDGE.route_localnet=1: lets hostPort DNAT work for connections to 127.0.0.1.
    public static func enableRouteLocalnet(bridge: String, netns: String? = nil) throws {
        try set(["net", "ipv4", "conf", bridge, "route_localnet"], to: "1", netns: netns)
    }
}
