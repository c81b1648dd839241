import XCTest
@testable import CorralNetwork

final class PlanTests: XCTestCase {
    func testHostVethNameDeterministicShortAndDistinct() {
        let a = PodNetworkPlan.hostVethName(podUID: "6f1d5a52-1b7e-4c0e-9d1f-3b2a1c0d9e8f")
        XCTAssertEqual(a, PodNetworkPlan.hostVethName(podUID: "6f1d5a52-1b7e-4c0e-9d1f-3b2a1c0d9e8f"))
        XCTAssertEqual(a.count, 12)
        XCTAssertTrue(a.hasPrefix("veth"))
        XCTAssertTrue(validLinkName(a))
        XCTAssertTrue(a.dropFirst(4).allSatisfy { $0.isHexDigit })
        // FNV-1a of "" is the offset basis.
        XCTAssertEqual(PodNetworkPlan.hostVethName(podUID: ""), "veth811c9dc5")
        let names = Set((0..<2000).map { PodNetworkPlan.hostVethName(podUID: "uid-\($0)") })
        XCTAssertEqual(names.count, 2000)
    }

    func testPodPlan() {
        let plan = PodNetworkPlan.make(podUID: "u1", netnsName: "corral-u1", hostVethName: "vethabc", ip: "10.42.0.7", mtu: 1450)
        XCTAssertEqual(plan, [
            .createNetns("corral-u1"),
            .createVethPair(host: "vethabc", peer: "eth0", peerNetns: "corral-u1", mtu: 1450),
            .attachToBridge(link: "vethabc", bridge: "corral0"),
            .setUp(link: "vethabc", netns: nil),
            .setUp(link: "lo", netns: "corral-u1"),
            .addAddress(link: "eth0", address: "10.42.0.7", prefix: 16, netns: "corral-u1"),
            .setUp(link: "eth0", netns: "corral-u1"),
            .addDefaultRoute(gateway: "10.42.0.1", link: "eth0", netns: "corral-u1"),
        ])
        // Default veth name comes from the UID.
        let derived = PodNetworkPlan.make(podUID: "u1", netnsName: "n", ip: "10.42.0.7")
        XCTAssertEqual(derived[1], .createVethPair(host: PodNetworkPlan.hostVethName(podUID: "u1"), peer: "eth0", peerNetns: "n", mtu: 1500))
    }

    func testTeardownAndNodePlans() {
        XCTAssertEqual(PodNetworkPlan.teardown(podUID: "u1", netnsName: "corral-u1"),
                       [.deleteLink(PodNetworkPlan.hostVethName(podUID: "u1"), netns: nil), .deleteNetns("corral-u1")])
        XCTAssertEqual(PodNetworkPlan.node(bridge: "br9", gateway: "10.9.0.1", prefix: 24, mtu: 9000), [
            .createBridge(name: "br9", mtu: 9000),
            .addAddress(link: "br9", address: "10.9.0.1", prefix: 24, netns: nil),
            .setUp(link: "br9", netns: nil),
        ])
        XCTAssertEqual(NetOp.createVethPair(host: "h", peer: "p", peerNetns: "n", mtu: 1500).description,
                       "link add h mtu 1500 type veth peer p netns n")
    }

    func testLinkNameRule() {
        for ok in ["eth0", "corral0", "veth0123456789a", "a"] { XCTAssertTrue(validLinkName(ok), ok) }
        for bad in ["", "veth0123456789ab", "a/b", "a:b", "a b", ".", ".."] { XCTAssertFalse(validLinkName(bad), bad) }
    }
}
