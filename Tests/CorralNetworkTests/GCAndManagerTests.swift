import Foundation
import XCTest
@testable import CorralNetwork

final class NetworkGCTests: XCTestCase {
    func testPlanDeletesOnlyUnknownVethsOnOurBridgeAndOurNamespaces() {
        func link(_ n: String, _ i: Int, master: Int?, kind: String?) -> LinkInfo {
            LinkInfo(name: n, index: i, master: master, kind: kind, isUp: true, mtu: 1500, mac: nil)
        }
        let links = [link("lo", 1, master: nil, kind: nil), link("corral0", 2, master: nil, kind: "bridge"),
                     link("vethlive", 3, master: 2, kind: "veth"), link("vethdead", 4, master: 2, kind: "veth"),
                     link("tapvm", 5, master: 2, kind: "tun"), link("vethother", 6, master: 9, kind: "veth"),
                     link("vethloose", 7, master: nil, kind: "veth")]
        let ops = NetworkGC.plan(links: links, bridgeIndex: 2, liveHostVeths: ["vethlive"],
                                 namespaces: ["corral-pod-b", "corral-pod-a", "corral-h-virt-1", "other"],
                                 liveNamespaces: ["corral-pod-a"])
        XCTAssertEqual(ops, [.deleteLink("vethdead", netns: nil), .deleteNetns("corral-pod-b")])
    }
}

/// Root: the manager facade end to end, including leak collection after a simulated crash.
final class PodNetworkManagerTests: XCTestCase {
    func testAttachDetachAndCollectGarbage() throws {
        try Root.require(tools: ["ip", "ping", "nft"])
        let node = try TestNode(bridge: false)
        defer { node.close() }
        let prefix = node.name + "-pod-"
        let mgr = try PodNetworkManager(config: PodNetworkConfig(nodeNamespace: node.name, namespacePrefix: prefix))
        try mgr.setUpNode()
        try mgr.setUpNode()  // idempotent
        XCTAssertEqual(try Sysctl.get(["net", "ipv4", "conf", "corral0", "route_localnet"], netns: node.name), "1")
        let a = try mgr.attach(podUID: "aaaa", ip: "10.42.0.2")
        _ = try mgr.attach(podUID: "bbbb", ip: "10.42.0.3")
        _ = try mgr.attach(podUID: "cccc", ip: "10.42.0.4")
        node.pods += [a.netnsName, prefix + "bbbb", prefix + "cccc"]
        XCTAssertEqual(a.netnsPath, "/run/netns/\(prefix)aaaa")
        let linkShow = try Root.sh("ip", "-n", a.netnsName, "link", "show", "eth0")
        XCTAssertTrue(linkShow.contains(try XCTUnwrap(a.mac)), linkShow)
        XCTAssertTrue(Root.succeeds("ip", "netns", "exec", a.netnsName, "ping", "-c1", "-W2", "10.42.0.4"))
        try mgr.applyHostPorts([HostPortMapping(proto: .tcp, hostPort: 30080, podIP: IPv4Address(parsing: "10.42.0.2"), podPort: 80)])
        XCTAssertTrue(try NFTables.listTable("corral", netns: node.name)?.contains("dnat to 10.42.0.2:80") == true)

        // "Crash": the node only knows pod aaaa now; bbbb and cccc leaked.
        let ops = try mgr.collectGarbage(livePodUIDs: ["aaaa"])
        XCTAssertEqual(Set(ops), [.deleteLink(PodNetworkPlan.hostVethName(podUID: "bbbb"), netns: nil),
                                  .deleteLink(PodNetworkPlan.hostVethName(podUID: "cccc"), netns: nil),
                                  .deleteNetns(prefix + "bbbb"), .deleteNetns(prefix + "cccc")])
        XCTAssertEqual(try Root.leftoverNamespaces(prefix: prefix), [a.netnsName])
        XCTAssertEqual(try mgr.collectGarbage(livePodUIDs: ["aaaa"]), [])
        XCTAssertEqual(mgr.detach(podUID: "aaaa"), [])
        XCTAssertEqual(try mgr.executor.node.links().map(\.name), ["lo", "corral0"])
        node.close()
        XCTAssertEqual(try Root.leftoverNamespaces(prefix: node.name), [])
    }
}
