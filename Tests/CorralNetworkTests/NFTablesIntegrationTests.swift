import Foundation
import XCTest
@testable import CorralNetwork

/// Root: the rendered hostPort table loads with `nft -f -` inside a node namespace, really
/// forwards TCP to a pod, and is replaced atomically.
final class NFTablesIntegrationTests: XCTestCase {
    func testHostPortDNATReachesPod() throws {
        try Root.require(tools: ["ip", "nft"])
        let node = try TestNode()
        defer { node.close() }
        try Sysctl.enableForwarding(netns: node.name)
        XCTAssertEqual(try Sysctl.get(["net", "ipv4", "ip_forward"], netns: node.name), "1")
        let web = node.podNamespace(1), client = node.podNamespace(2)
        try node.exec.apply(PodNetworkPlan.make(podUID: "web", netnsName: web, ip: "10.42.0.2"))
        try node.exec.apply(PodNetworkPlan.make(podUID: "client", netnsName: client, ip: "10.42.0.3"))

        let cidr = try IPv4CIDR(parsing: NetworkDefaults.podCIDR)
        let mapping = try HostPortMapping(protocol: "TCP", hostIP: nil, hostPort: 18080, podIP: "10.42.0.2", podPort: 8080, owner: "default/web")
        try NFTables.apply(HostPortRules.render([mapping], podCIDR: cidr, bridge: "corral0"), netns: node.name)
        let listed = try NFTables.listTable("corral", netns: node.name) ?? ""
        XCTAssertTrue(listed.contains("tcp dport 18080 dnat to 10.42.0.2:8080"), listed)
        XCTAssertTrue(listed.contains("oifname != \"corral0\" masquerade"), listed)

        // From the node itself to its own address (output hook).
        try TCP.serveOnce(netns: web, port: 8080)
        XCTAssertEqual(try TCP.ask(netns: node.name, ip: "10.42.0.1", port: 18080, message: "node"), "pong:node")
        // From another pod to the node address (prerouting hook, routed back onto the bridge).
        try TCP.serveOnce(netns: web, port: 8080)
        XCTAssertEqual(try TCP.ask(netns: client, ip: "10.42.0.1", port: 18080, message: "pod"), "pong:pod")

        // Regenerating with no mappings replaces the whole table: the DNAT rule is gone.
        try NFTables.apply(HostPortRules.render([], podCIDR: cidr, bridge: "corral0"), netns: node.name)
        let after = try NFTables.listTable("corral", netns: node.name) ?? ""
        XCTAssertFalse(after.contains("dnat to"), after)
        XCTAssertNil(try TCP.ask(netns: node.name, ip: "10.42.0.1", port: 18080, message: "x"))
        // The root namespace never saw the table.
        XCTAssertNil(try NFTables.listTable("corral"))
        try NFTables.deleteTable("corral", netns: node.name)
        XCTAssertNil(try NFTables.listTable("corral", netns: node.name))
        XCTAssertThrowsError(try NFTables.apply("this is not nft\n", netns: node.name))
    }
}

/// Root: repeated pod setup/teardown leaves no links, namespaces or file descriptors behind.
final class LeakCheckTests: XCTestCase {
    func testFiftyCyclesLeaveNothingBehind() throws {
        try Root.require()
        let node = try TestNode()
        defer { node.close() }
        let ipam = try IPAllocator(cidr: NetworkDefaults.podCIDR, gateway: NetworkDefaults.gateway)
        var state = IPAMState()
        let baseLinks = try node.exec.node.links().map(\.name)
        var fdsBefore: [String] = []
        var setup: [Double] = [], teardown: [Double] = []
        for i in 0..<50 {
            // Measure after a warm-up cycle: Foundation/Dispatch open a few fds on first use.
            if i == 2 { fdsBefore = openFDs() }
            let uid = "leak-\(i)"
            let ns = node.name + "-c\(i % 3)"
            let ip = try ipam.allocate(owner: uid, in: &state)
            var t = DispatchTime.now().uptimeNanoseconds
            try node.exec.apply(PodNetworkPlan.make(podUID: uid, netnsName: ns, ip: ip))
            setup.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
            XCTAssertEqual(try Netlink.open(inNamespace: ns).addresses(of: "eth0"), ["\(ip)/16"])
            t = DispatchTime.now().uptimeNanoseconds
            XCTAssertEqual(node.exec.applyTolerant(PodNetworkPlan.teardown(podUID: uid, netnsName: ns)), [])
            teardown.append(Double(DispatchTime.now().uptimeNanoseconds - t) / 1e6)
            ipam.release(owner: uid, in: &state)
        }
        // Before running any tool: Foundation's Process keeps a few descriptors once used.
        XCTAssertEqual(openFDs(), fdsBefore, "file descriptors leaked")
        XCTAssertEqual(try node.exec.node.links().map(\.name), baseLinks)
        XCTAssertEqual(try Root.leftoverNamespaces(prefix: node.name), [node.name])
        XCTAssertTrue(state.allocations.isEmpty)
        print(String(format: "pod network setup ms: p50 %.2f p90 %.2f max %.2f; teardown ms: p50 %.2f p90 %.2f",
                     pct(setup, 0.5), pct(setup, 0.9), setup.max() ?? 0, pct(teardown, 0.5), pct(teardown, 0.9)))
        node.close()
        XCTAssertEqual(try Root.leftoverNamespaces(prefix: node.name), [])
    }

    /// Targets of this process's open descriptors, sorted.
    private func openFDs() -> [String] {
        let dir = "/proc/self/fd"
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: dir + "/" + $0) }
            .map { $0.hasPrefix("socket:") || $0.hasPrefix("pipe:") || $0.hasPrefix("anon_inode:") ? String($0.prefix(while: { $0 != "[" })) : $0 }
            .sorted()
    }

    private func pct(_ xs: [Double], _ p: Double) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? 0 : s[min(s.count - 1, Int(Double(s.count) * p))]
    }
}
