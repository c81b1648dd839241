import Foundation
import XCTest
@testable import CorralNetwork
#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the root integration tests. Approach: the test process stays in the root
/// namespace; everything "node-side" goes through handles bound to a node namespace the test
/// creates (`NetOpExecutor(nodeNamespace:)`, `Netlink.open(inNamespace:)`, `nft` via
/// `ip netns exec`). Verification uses the independent `ip`/`ping`/`nft` tools.
enum Root {
    /// Skips unless running as root; fails (throws) if a needed tool is missing.
    static func require(tools: [String] = ["ip"]) throws {
        guard getuid() == 0 else { throw XCTSkip("needs root: creates network namespaces and links") }
        for t in tools { _ = try Tool.find(t) }
    }

    /// A fresh name "corral-h-net-XXXXXX[-suffix]".
    static func name(_ suffix: String = "") -> String {
        let r = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "corral-h-net-" + r + (suffix.isEmpty ? "" : "-" + suffix)
    }

    /// Runs a tool, returning stdout; throws on non-zero exit.
    @discardableResult
    static func sh(_ argv: String...) throws -> String {
        try Tool.run([try Tool.find(argv[0])] + argv.dropFirst())
    }

    /// Whether a tool run succeeds.
    static func succeeds(_ argv: String...) -> Bool {
        guard let exe = try? Tool.find(argv[0]) else { return false }
        return (try? Tool.run([exe] + argv.dropFirst())) != nil
    }

    /// Our namespaces still present (by `ip netns list`).
    static func leftoverNamespaces(prefix: String) throws -> [String] {
        try sh("ip", "netns", "list").split(separator: "\n")
            .compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0.hasPrefix(prefix) }
    }
}

/// A node namespace for one test, deleted (with any pod namespaces listed in `pods`) by `close()`.
final class TestNode {
    let name: String
    let exec: NetOpExecutor
    var pods: [String] = []

    init(bridge: Bool = true) throws {
        name = Root.name()
        try NetworkNamespace.create(name)
        exec = try NetOpExecutor(nodeNamespace: name)
        if bridge { try exec.apply(PodNetworkPlan.node()) }
    }

    /// Pod namespace name under this node's random prefix (so cleanup checks find it).
    func podNamespace(_ n: Int) -> String {
        let ns = name + "-p\(n)"
        pods.append(ns)
        return ns
    }

    func close() {
        for p in pods { try? NetworkNamespace.delete(p) }
        try? NetworkNamespace.delete(name)
    }
}

/// Minimal TCP for hostPort checks: an echo-once server and a client, each in a namespace.
enum TCP {
    /// Listens on 0.0.0.0:`port` inside `netns` (on a background thread), answers one connection
    /// with "pong:" + what it read, then closes. Returns once listening.
    static func serveOnce(netns: String, port: UInt16) throws {
        let ready = DispatchSemaphore(value: 0)
        Thread {
            _ = try? NetworkNamespace.run(inNamespace: netns) {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var one: Int32 = 1
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
                var a = sockaddr_in()
                a.sin_family = sa_family_t(AF_INET)
                a.sin_port = port.bigEndian
                _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, 16) } }
                listen(fd, 4)
                ready.signal()
                var tv = timeval(tv_sec: 5, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                let c = accept(fd, nil, nil)
                if c >= 0 {
                    var buf = [UInt8](repeating: 0, count: 64)
                    let n = read(c, &buf, 64)
                    let reply = Array("pong:".utf8) + buf.prefix(max(n, 0))
                    _ = write(c, reply, reply.count)
                    close(c)
                }
                close(fd)
            }
        }.start()
        ready.wait()
    }

    /// Connects from inside `netns` to `ip:port`, sends `message`, returns the reply (nil on failure).
    static func ask(netns: String, ip: String, port: UInt16, message: String) throws -> String? {
        try NetworkNamespace.run(inNamespace: netns) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var tv = timeval(tv_sec: 3, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            a.sin_port = port.bigEndian
            a.sin_addr.s_addr = (try? IPv4Address(parsing: ip))?.value.bigEndian ?? 0
            let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, 16) } }
            guard rc == 0 else { return nil }
            let m = Array(message.utf8)
            _ = write(fd, m, m.count)
            var buf = [UInt8](repeating: 0, count: 128)
            let n = read(fd, &buf, 128)
            return n > 0 ? String(decoding: buf.prefix(n), as: UTF8.self) : nil
        }
    }
}
