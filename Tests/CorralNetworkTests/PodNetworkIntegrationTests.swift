import Foundation
import XCTest
@testable import CorralNetwork

/// Root: a node namespace with bridge corral0, two pods with veths, ping, idempotent re-apply,
/// crash convergence, teardown. Verified with the `ip` and `ping` tools.
final class PodNetworkIntegrationTests: XCTestCase {
    func testNamespaceLifecycleAndRun() throws {
        try Root.require()
        let ns = Root.name("solo")
        XCTAssertFalse(NetworkNamespace.exists(ns))
        try NetworkNamespace.create(ns)
        defer { try? NetworkNamespace.delete(ns) }
        try NetworkNamespace.create(ns)  // idempotent
        XCTAssertTrue(NetworkNamespace.exists(ns))
        XCTAssertTrue(try Root.leftoverNamespaces(prefix: ns).contains(ns), "ip netns list sees it")
        // Inside: only lo. Outside (root namespace) there is more than lo or at least a different set.
        let inside = try Netlink.open(inNamespace: ns).links().map(\.name)
        XCTAssertEqual(inside, ["lo"])
        let tid = try NetworkNamespace.run(inNamespace: ns) { Thread.current }
        XCTAssertNotEqual(tid, Thread.current, "closure ran on a dedicated thread")
        try NetworkNamespace.delete(ns)
        XCTAssertFalse(NetworkNamespace.exists(ns))
        try NetworkNamespace.delete(ns)  // missing is fine
        XCTAssertThrowsError(try NetworkNamespace.run(inNamespace: ns) { 1 }) { e in
            XCTAssertEqual(e as? NetworkError, .noSuchNamespace(ns))
        }
        // A crash between creating the file and mounting leaves an empty file: not a namespace,
        // and `create` finishes the job.
        XCTAssertTrue(FileManager.default.createFile(atPath: NetworkNamespace.path(ns), contents: nil))
        XCTAssertFalse(NetworkNamespace.exists(ns))
        try NetworkNamespace.create(ns)
        XCTAssertTrue(NetworkNamespace.exists(ns))
        XCTAssertEqual(try Netlink.open(inNamespace: ns).links().map(\.name), ["lo"])
        try NetworkNamespace.delete(ns)
        XCTAssertFalse(FileManager.default.fileExists(atPath: NetworkNamespace.path(ns)))
    }

    func testTwoPodsOnBridgePingAndTeardown() throws {
        try Root.require(tools: ["ip", "ping"])
        let node = try TestNode()
        defer { node.close() }
        let ipam = try IPAllocator(cidr: NetworkDefaults.podCIDR, gateway: NetworkDefaults.gateway)
        var state = IPAMState()
        var pods: [(uid: String, ns: String, ip: String)] = []
        for i in 1...2 {
            let uid = UUID().uuidString.lowercased()
            let ip = try ipam.allocate(owner: uid, in: &state)
            let ns = node.podNamespace(i)
            try node.exec.apply(PodNetworkPlan.make(podUID: uid, netnsName: ns, ip: ip))
            pods.append((uid, ns, ip))
        }
        XCTAssertEqual(pods.map(\.ip), ["10.42.0.2", "10.42.0.3"])
        let bridge = try Root.sh("ip", "-n", node.name, "-4", "-o", "addr", "show", "dev", "corral0")
        XCTAssertTrue(bridge.contains("inet 10.42.0.1/16"), bridge)
        let slaves = try Root.sh("ip", "-n", node.name, "-o", "link", "show", "master", "corral0")
        for p in pods {
            let veth = PodNetworkPlan.hostVethName(podUID: p.uid)
            XCTAssertTrue(slaves.contains(veth + "@"), slaves)
            let addr = try Root.sh("ip", "-n", p.ns, "-4", "-o", "addr", "show", "dev", "eth0")
            XCTAssertTrue(addr.contains("inet \(p.ip)/16"), addr)
            let route = try Root.sh("ip", "-n", p.ns, "route", "show", "default")
            XCTAssertTrue(route.contains("default via 10.42.0.1 dev eth0"), route)
            XCTAssertTrue(try Root.sh("ip", "-n", p.ns, "link", "show", "lo").contains("UP"))
        }
        XCTAssertTrue(Root.succeeds("ip", "netns", "exec", pods[0].ns, "ping", "-c1", "-W2", pods[1].ip), "pod1 → pod2")
        XCTAssertTrue(Root.succeeds("ip", "netns", "exec", pods[1].ns, "ping", "-c1", "-W2", pods[0].ip), "pod2 → pod1")
        XCTAssertTrue(Root.succeeds("ip", "netns", "exec", pods[0].ns, "ping", "-c1", "-W2", "10.42.0.1"), "pod → gateway")
        XCTAssertFalse(Root.succeeds("ip", "netns", "exec", pods[0].ns, "ping", "-c1", "-W1", "10.42.0.99"), "no such pod")

        // Re-applying is harmless and does not duplicate anything.
        try node.exec.apply(PodNetworkPlan.make(podUID: pods[0].uid, netnsName: pods[0].ns, ip: pods[0].ip))
        let again = try Root.sh("ip", "-n", pods[0].ns, "-4", "-o", "addr", "show", "dev", "eth0")
        XCTAssertEqual(again.split(separator: "\n").count, 1, again)

        // Crash half-way: node end gone (peer with it). Re-applying converges.
        let veth0 = PodNetworkPlan.hostVethName(podUID: pods[0].uid)
        try Root.sh("ip", "-n", node.name, "link", "del", veth0)
        XCTAssertFalse(Root.succeeds("ip", "-n", pods[0].ns, "link", "show", "eth0"))
        try node.exec.apply(PodNetworkPlan.make(podUID: pods[0].uid, netnsName: pods[0].ns, ip: pods[0].ip))
        XCTAssertTrue(Root.succeeds("ip", "netns", "exec", pods[0].ns, "ping", "-c1", "-W2", pods[1].ip), "after converge")

        // Teardown removes veth and namespace; a second teardown finds nothing to do.
        for p in pods {
            XCTAssertEqual(node.exec.applyTolerant(PodNetworkPlan.teardown(podUID: p.uid, netnsName: p.ns)), [])
            XCTAssertFalse(NetworkNamespace.exists(p.ns))
            XCTAssertEqual(node.exec.applyTolerant(PodNetworkPlan.teardown(podUID: p.uid, netnsName: p.ns)), [])
            ipam.release(owner: p.uid, in: &state)
        }
        XCTAssertEqual(try node.exec.node.links().map(\.name), ["lo", "corral0"])
        XCTAssertTrue(state.allocations.isEmpty)
        node.close()
        XCTAssertEqual(try Root.leftoverNamespaces(prefix: node.name), [])
    }

    func testTapDevices() throws {
        try Root.require()
        let node = try TestNode()
        defer { node.close() }
        try node.exec.node.createTap("tapvm0", bridge: "corral0", owner: 65534, group: 65534)
        try node.exec.node.createTap("tapvm0", bridge: "corral0", owner: 65534, group: 65534)  // idempotent
        let d = try Root.sh("ip", "-n", node.name, "-d", "link", "show", "tapvm0")
        XCTAssertTrue(d.contains("master corral0"), d)
        XCTAssertTrue(d.contains("tap"), d)
        let owner = try Root.sh("ip", "netns", "exec", node.name, "cat", "/sys/class/net/tapvm0/owner")
        XCTAssertEqual(owner.trimmingCharacters(in: .whitespacesAndNewlines), "65534")
        XCTAssertTrue(d.contains("persist on"), d)
        XCTAssertEqual(try node.exec.node.link(named: "tapvm0")?.kind, "tun")
        XCTAssertNotNil(try node.exec.node.mac(of: "tapvm0"))
        // A tap inside a pod namespace (KubeVirt-style), on a bridge there.
        let pod = node.podNamespace(1)
        try NetworkNamespace.create(pod)
        let podNL = try Netlink.open(inNamespace: pod)
        try podNL.ensureBridge("k6t-eth0")
        try podNL.createTap("tap0", bridge: "k6t-eth0", multiQueue: true)
        XCTAssertTrue(try Root.sh("ip", "-n", pod, "-d", "link", "show", "tap0").contains("master k6t-eth0"))
        XCTAssertNil(try node.exec.node.link(named: "tap0"), "tap0 lives only in the pod namespace")
        XCTAssertTrue(try node.exec.node.deleteLink("tapvm0"))
        XCTAssertFalse(try node.exec.node.deleteLink("tapvm0"))
    }
}
