import XCTest
import CorralModel
@testable import CorralNetwork

final class IPAMTests: XCTestCase {
    let pods = try! IPAllocator(cidr: "10.42.0.0/16", gateway: "10.42.0.1")

    func testAllocatesLowestFreeAfterGatewayInOrder() throws {
        var state = IPAMState()
        let got = try (1...4).map { try pods.allocate(owner: "pod-\($0)", in: &state) }
        XCTAssertEqual(got, ["10.42.0.2", "10.42.0.3", "10.42.0.4", "10.42.0.5"])
        // A hole left by a release is reused first.
        XCTAssertEqual(pods.release(owner: "pod-2", in: &state), ["10.42.0.3"])
        XCTAssertEqual(try pods.allocate(owner: "pod-9", in: &state), "10.42.0.3")
        XCTAssertEqual(state.allocations.count, 4)
    }

    func testIdempotentForSameOwner() throws {
        var state = IPAMState()
        let a = try pods.allocate(owner: "uid-a", in: &state)
        _ = try pods.allocate(owner: "uid-b", in: &state)
        XCTAssertEqual(try pods.allocate(owner: "uid-a", in: &state), a)
        XCTAssertEqual(try pods.allocate(owner: "uid-a", used: state.allocations), a)
        XCTAssertEqual(state.allocations.count, 2)
    }

    func testSkipsNetworkBroadcastGatewayReservedAndWraps() throws {
        // /29: .0 network, .7 broadcast; gateway .5, reserved .6 → after gateway nothing, wrap to .1.
        let small = try IPAllocator(cidr: "192.168.9.0/29", gateway: "192.168.9.5", reserved: ["192.168.9.6", "192.168.9.2"])
        var state = IPAMState()
        let got = try (0..<3).map { try small.allocate(owner: "o\($0)", in: &state) }
        XCTAssertEqual(got, ["192.168.9.1", "192.168.9.3", "192.168.9.4"])
        XCTAssertThrowsError(try small.allocate(owner: "o3", in: &state)) { e in
            XCTAssertEqual(e as? NetworkError, .exhausted(cidr: "192.168.9.0/29"))
        }
        // Exhaustion still returns an owner's existing address.
        XCTAssertEqual(try small.allocate(owner: "o1", in: &state), "192.168.9.3")
    }

    func testUsedEntriesOutsideRangeOrGarbageAreIgnored() throws {
        let used = ["10.42.0.2": "x", "not-an-ip": "y", "10.99.0.2": "me", "10.42.0.1": "me"]
        // "me" holds only unallocatable addresses, so it gets a fresh one.
        XCTAssertEqual(try pods.allocate(owner: "me", used: used), "10.42.0.3")
    }

    func testClaimAndRejects() throws {
        var state = IPAMState()
        try pods.claim("10.42.7.7", owner: "vm-1", in: &state)
        XCTAssertThrowsError(try pods.claim("10.42.7.7", owner: "vm-2", in: &state))
        XCTAssertThrowsError(try pods.claim("10.42.0.1", owner: "vm-2", in: &state))
        XCTAssertThrowsError(try pods.claim("10.42.255.255", owner: "vm-2", in: &state))
        XCTAssertEqual(try pods.allocate(owner: "vm-1", in: &state), "10.42.7.7")
        XCTAssertThrowsError(try IPAllocator(cidr: "10.42.0.0/16", gateway: "10.43.0.1"))
        XCTAssertThrowsError(try IPAllocator(cidr: "10.42.0.0/16", gateway: "10.42.0.1", reserved: ["10.1.1.1"]))
    }

    func testStateJSONRoundTrip() throws {
        var state = IPAMState()
        for i in 0..<12 { try pods.allocate(owner: "p\(i)", in: &state) }
        let json = state.jsonValue
        // Keys sort numerically: .10 after .9.
        let keys = json["allocations"]?.objectValue?.keys ?? []
        XCTAssertEqual(keys.first, "10.42.0.2")
        XCTAssertEqual(keys.last, "10.42.0.13")
        XCTAssertEqual(try IPAMState(jsonValue: try JSONParser.parse(json.jsonString())), state)
        let coded = try JSONDecoder().decode(IPAMState.self, from: JSONEncoder().encode(state))
        XCTAssertEqual(coded, state)
        XCTAssertThrowsError(try IPAMState(jsonValue: ["allocations": ["10.42.0.2": 5]]))
    }

    func testFullSlash16IsFastEnough() throws {
        var used: [String: String] = [:]
        for i in 2..<20_000 { used[IPv4Address(0x0A2A_0000 + UInt32(i)).description] = "p\(i)" }
        let t0 = Date()
        XCTAssertEqual(try pods.allocate(owner: "new", used: used), "10.42.78.32")
        XCTAssertLessThan(Date().timeIntervalSince(t0), 1.0)
    }
}
