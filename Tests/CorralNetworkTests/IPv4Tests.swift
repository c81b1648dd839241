import XCTest
@testable import CorralNetwork

final class IPv4Tests: XCTestCase {
    func testAddressParsingTable() throws {
        let good: [(String, UInt32)] = [("0.0.0.0", 0), ("10.42.0.1", 0x0A2A_0001), ("255.255.255.255", .max), ("192.168.1.10", 0xC0A8_010A)]
        for (text, value) in good {
            let a = try IPv4Address(parsing: text)
            XCTAssertEqual(a.value, value, text)
            XCTAssertEqual(a.description, text)
        }
        for bad in ["", "10.42.0", "10.42.0.1.2", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", "1..2.3", " 1.2.3.4", "1.2.3.4/8", "१.2.3.4"] {
            XCTAssertThrowsError(try IPv4Address(parsing: bad), bad)
        }
    }

    func testCIDRParsingAndMath() throws {
        let c = try IPv4CIDR(parsing: "10.42.0.0/16")
        XCTAssertEqual(c.description, "10.42.0.0/16")
        XCTAssertEqual(c.broadcast.description, "10.42.255.255")
        XCTAssertEqual(c.size, 65536)
        XCTAssertTrue(c.contains(try IPv4Address(parsing: "10.42.200.7")))
        XCTAssertFalse(c.contains(try IPv4Address(parsing: "10.43.0.1")))
        XCTAssertEqual(c.address(at: 5)?.description, "10.42.0.5")
        XCTAssertNil(c.address(at: 65536))
        // Host bits are cleared unless strict.
        XCTAssertEqual(try IPv4CIDR(parsing: "10.42.3.4/16").description, "10.42.0.0/16")
        XCTAssertThrowsError(try IPv4CIDR(parsing: "10.42.3.4/16", strict: true))
        XCTAssertEqual(try IPv4CIDR(parsing: "0.0.0.0/0").size, 1 << 32)
        XCTAssertEqual(try IPv4CIDR(parsing: "1.2.3.4/32").broadcast.description, "1.2.3.4")
        for bad in ["10.42.0.0", "10.42.0.0/33", "10.42.0.0/", "10.42.0.0/1a", "/16", "10.42.0.0/16/1", "10.42.0.0/016"] {
            XCTAssertThrowsError(try IPv4CIDR(parsing: bad), bad)
        }
    }

    func testCodableUsesText() throws {
        let c = try IPv4CIDR(parsing: "10.43.0.0/16")
        let data = try JSONEncoder().encode(["cidr": c])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"{"cidr":"10.43.0.0\/16"}"#)
        XCTAssertEqual(try JSONDecoder().decode([String: IPv4CIDR].self, from: data)["cidr"], c)
        XCTAssertThrowsError(try JSONDecoder().decode([IPv4Address].self, from: Data(#"["1.2.3"]"#.utf8)))
    }
}
