import XCTest
@testable import CorralNetwork

final class HostPortRulesTests: XCTestCase {
    static let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func sampleMappings() throws -> [HostPortMapping] {
        [
            try HostPortMapping(protocol: "TCP", hostIP: "", hostPort: 8080, podIP: "10.42.0.2", podPort: 80, owner: "default/web"),
            try HostPortMapping(protocol: "UDP", hostIP: "0.0.0.0", hostPort: 5353, podIP: "10.42.0.3", podPort: 53, owner: "kube-system/dns"),
            try HostPortMapping(protocol: "TCP", hostIP: "192.168.50.10", hostPort: 2222, podIP: "10.42.0.9", podPort: 22, owner: "lab/vm\"; drop"),
            try HostPortMapping(protocol: "sctp", hostIP: nil, hostPort: 3868, podIP: "10.42.0.4", podPort: 3868),
        ]
    }

    func testRenderMatchesGolden() throws {
        let script = HostPortRules.render(try Self.sampleMappings(), podCIDR: try IPv4CIDR(parsing: "10.42.0.0/16"), bridge: "corral0")
        let golden = Self.goldenDir.appendingPathComponent("hostports.nft")
        if ProcessInfo.processInfo.environment["CORRAL_UPDATE_GOLDEN"] == "1" {
            try script.write(to: golden, atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(script, try String(contentsOf: golden, encoding: .utf8))
    }

    func testRenderIsOrderIndependentAndEmptyIsValid() throws {
        let m = try Self.sampleMappings()
        let cidr = try IPv4CIDR(parsing: "10.42.0.0/16")
        XCTAssertEqual(HostPortRules.render(m, podCIDR: cidr, bridge: "corral0"),
                       HostPortRules.render(m.reversed(), podCIDR: cidr, bridge: "corral0"))
        let empty = HostPortRules.render([], podCIDR: cidr, bridge: "corral0")
        XCTAssertFalse(empty.contains("dnat to"))
        XCTAssertTrue(empty.contains("oifname != \"corral0\" masquerade"))
    }

    func testMappingValidation() {
        XCTAssertThrowsError(try HostPortMapping(protocol: "ICMP", hostIP: nil, hostPort: 1, podIP: "10.42.0.2", podPort: 1))
        XCTAssertThrowsError(try HostPortMapping(protocol: "TCP", hostIP: nil, hostPort: 0, podIP: "10.42.0.2", podPort: 1))
        XCTAssertThrowsError(try HostPortMapping(protocol: "TCP", hostIP: nil, hostPort: 80, podIP: "10.42.0.2", podPort: 70000))
        XCTAssertThrowsError(try HostPortMapping(protocol: "TCP", hostIP: "x", hostPort: 80, podIP: "10.42.0.2", podPort: 80))
    }

    func testConflicts() throws {
        let any80 = try HostPortMapping(protocol: "TCP", hostIP: nil, hostPort: 80, podIP: "10.42.0.2", podPort: 80)
        let ip80 = try HostPortMapping(protocol: "TCP", hostIP: "192.168.1.1", hostPort: 80, podIP: "10.42.0.3", podPort: 80)
        let ip80b = try HostPortMapping(protocol: "TCP", hostIP: "192.168.1.2", hostPort: 80, podIP: "10.42.0.4", podPort: 80)
        let udp80 = try HostPortMapping(protocol: "UDP", hostIP: nil, hostPort: 80, podIP: "10.42.0.5", podPort: 80)
        XCTAssertEqual(HostPortRules.conflicts([any80, ip80, ip80b, udp80]).count, 2)
        XCTAssertTrue(HostPortRules.conflicts([ip80, ip80b, udp80]).isEmpty)
    }
}
