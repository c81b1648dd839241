import CorralPKI
import Foundation
import X509
import XCTest

final class PKIEnsureTests: XCTestCase {
    let files = ["ca.crt", "ca.key", "server.crt", "server.key", "admin.crt", "admin.key"]

    func testCreatesAllFilesWithModes() throws {
        let root = try makeTempDir(self)
        let dir = "\(root)/nested/pki"
        let material = try PKI.ensure(directory: dir, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        XCTAssertEqual(permissions(dir), 0o700)
        for file in files {
            let expected: mode_t = file.hasSuffix(".key") ? 0o600 : 0o644
            XCTAssertEqual(permissions("\(dir)/\(file)"), expected, file)
        }
        XCTAssertEqual(try readText("\(dir)/ca.crt"), material.caCertificatePEM)
        XCTAssertEqual(try readText("\(dir)/ca.key"), material.caPrivateKeyPEM)
        XCTAssertEqual(try readText("\(dir)/server.crt"), material.serverCertificatePEM)
        XCTAssertEqual(try readText("\(dir)/server.key"), material.serverPrivateKeyPEM)
        XCTAssertEqual(try readText("\(dir)/admin.crt"), material.adminCertificatePEM)
        XCTAssertEqual(try readText("\(dir)/admin.key"), material.adminPrivateKeyPEM)
        XCTAssertTrue(material.caPrivateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        XCTAssertTrue(material.caCertificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----"))

        let ca = try certificate(material.caCertificatePEM)
        XCTAssertEqual(ca.subject, ca.issuer)
        XCTAssertEqual(ca.subject.description, "CN=corral-ca")
        XCTAssertEqual(try ca.extensions.basicConstraints, .isCertificateAuthority(maxPathLength: 0))
        XCTAssertTrue(try XCTUnwrap(ca.extensions.keyUsage).keyCertSign)
        XCTAssertGreaterThan(ca.notValidAfter.timeIntervalSinceNow, 9.9 * 365 * 86400)

        let server = try certificate(material.serverCertificatePEM)
        XCTAssertEqual(try server.extensions.extendedKeyUsage, try ExtendedKeyUsage([.serverAuth]))
        XCTAssertEqual(try server.extensions.basicConstraints, .notCertificateAuthority)
        XCTAssertGreaterThan(server.notValidAfter.timeIntervalSinceNow, 9.9 * 365 * 86400)
        let admin = try certificate(material.adminCertificatePEM)
        XCTAssertEqual(try admin.extensions.extendedKeyUsage, try ExtendedKeyUsage([.clientAuth]))
        XCTAssertNil(try admin.extensions.subjectAlternativeNames)
    }

    func testEnsureIsIdempotentAndDoesNotRewrite() throws {
        let dir = try makeTempDir(self) + "/pki"
        let first = try PKI.ensure(directory: dir, dnsNames: ["localhost", "box"], ipAddresses: ["127.0.0.1", "::1"])
        let stamps = files.map { fileStamp("\(dir)/\($0)") }
        Thread.sleep(forTimeInterval: 0.02)
        // Same SANs in another order and case: nothing to do.
        let second = try PKI.ensure(directory: dir, dnsNames: ["BOX", "localhost"], ipAddresses: ["::1", "127.0.0.1"])
        XCTAssertEqual(files.map { fileStamp("\(dir)/\($0)") }, stamps)
        XCTAssertEqual(first.caCertificatePEM, second.caCertificatePEM)
        XCTAssertEqual(first.caPrivateKeyPEM, second.caPrivateKeyPEM)
        XCTAssertEqual(first.serverCertificatePEM, second.serverCertificatePEM)
        XCTAssertEqual(first.adminCertificatePEM, second.adminCertificatePEM)
        XCTAssertEqual(first.adminPrivateKeyPEM, second.adminPrivateKeyPEM)
        // A subset of the SANs is still satisfied by the existing certificate.
        let third = try PKI.ensure(directory: dir, dnsNames: ["localhost"], ipAddresses: [])
        XCTAssertEqual(third.serverCertificatePEM, first.serverCertificatePEM)
    }

    func testServerCertificateCarriesRequestedSANs() throws {
        let dir = try makeTempDir(self)
        let material = try PKI.ensure(
            directory: dir, dnsNames: ["localhost", "corral.example"],
            ipAddresses: ["127.0.0.1", "10.0.0.5", "::1", "fd00::1"])
        let server = try certificate(material.serverCertificatePEM)
        let sans = try XCTUnwrap(server.extensions.subjectAlternativeNames)
        var dns: [String] = []
        var ips: [[UInt8]] = []
        for name in sans {
            switch name {
            case .dnsName(let n): dns.append(n)
            case .ipAddress(let octets): ips.append(Array(octets.bytes))
            default: XCTFail("unexpected SAN \(name)")
            }
        }
        XCTAssertEqual(dns, ["localhost", "corral.example"])
        XCTAssertEqual(ips, [
            [127, 0, 0, 1], [10, 0, 0, 5],
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        ])
    }

    func testNewSANReissuesServerFromSameCA() throws {
        let dir = try makeTempDir(self)
        let first = try PKI.ensure(directory: dir, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        let adminStamp = fileStamp("\(dir)/admin.crt")
        let caStamp = fileStamp("\(dir)/ca.key")
        let second = try PKI.ensure(directory: dir, dnsNames: ["localhost", "new.example"], ipAddresses: ["127.0.0.1", "192.168.7.9"])
        XCTAssertEqual(second.caCertificatePEM, first.caCertificatePEM)
        XCTAssertEqual(second.caPrivateKeyPEM, first.caPrivateKeyPEM)
        XCTAssertEqual(second.adminCertificatePEM, first.adminCertificatePEM)
        XCTAssertEqual(fileStamp("\(dir)/admin.crt"), adminStamp)
        XCTAssertEqual(fileStamp("\(dir)/ca.key"), caStamp)
        XCTAssertNotEqual(second.serverCertificatePEM, first.serverCertificatePEM)
        XCTAssertEqual(try readText("\(dir)/server.crt"), second.serverCertificatePEM)
        XCTAssertEqual(permissions("\(dir)/server.key"), 0o600)

        let ca = try certificate(second.caCertificatePEM)
        let server = try certificate(second.serverCertificatePEM)
        XCTAssertEqual(server.issuer, ca.subject)
        XCTAssertTrue(ca.publicKey.isValidSignature(server.signature, for: server))
        let sans = Array(try XCTUnwrap(server.extensions.subjectAlternativeNames))
        XCTAssertTrue(sans.contains(.dnsName("new.example")))
        XCTAssertTrue(sans.contains(.ipAddress(.init(contentBytes: [192, 168, 7, 9]))))
    }

    func testMissingCARegeneratesEverything() throws {
        let dir = try makeTempDir(self)
        let first = try PKI.ensure(directory: dir, dnsNames: ["localhost"], ipAddresses: [])
        try FileManager.default.removeItem(atPath: "\(dir)/ca.key")
        let second = try PKI.ensure(directory: dir, dnsNames: ["localhost"], ipAddresses: [])
        XCTAssertNotEqual(second.caCertificatePEM, first.caCertificatePEM)
        let ca = try certificate(second.caCertificatePEM)
        for pem in [second.serverCertificatePEM, second.adminCertificatePEM] {
            let leaf = try certificate(pem)
            XCTAssertTrue(ca.publicKey.isValidSignature(leaf.signature, for: leaf))
        }
    }

    func testMismatchedOrCorruptLeafIsReissued() throws {
        let dir = try makeTempDir(self)
        let first = try PKI.ensure(directory: dir, dnsNames: ["localhost"], ipAddresses: [])
        // admin.key now belongs to another certificate: must be detected.
        try first.serverPrivateKeyPEM.write(toFile: "\(dir)/admin.key", atomically: true, encoding: .utf8)
        try "garbage".write(toFile: "\(dir)/server.crt", atomically: true, encoding: .utf8)
        let second = try PKI.ensure(directory: dir, dnsNames: ["localhost"], ipAddresses: [])
        XCTAssertEqual(second.caCertificatePEM, first.caCertificatePEM)
        XCTAssertNotEqual(second.adminCertificatePEM, first.adminCertificatePEM)
        XCTAssertNotEqual(second.serverCertificatePEM, first.serverCertificatePEM)
        XCTAssertEqual(permissions("\(dir)/admin.key"), 0o600)
        XCTAssertEqual(PKI.identity(fromDER: try der(second.adminCertificatePEM))?.user, "corral-admin")
    }

    func testInvalidIPIsRejected() throws {
        let dir = try makeTempDir(self)
        XCTAssertThrowsError(try PKI.ensure(directory: dir, dnsNames: [], ipAddresses: ["300.1.1.1"])) { error in
            XCTAssertTrue(String(describing: error).contains("300.1.1.1"))
        }
        XCTAssertThrowsError(try PKI.ensure(directory: dir, dnsNames: [], ipAddresses: ["fe80::1%eth0"]))
    }

    func testHostFacts() {
        let name = HostFacts.hostName()
        XCTAssertFalse(name.isEmpty)
        XCTAssertEqual(name, name.lowercased())
        let addresses = HostFacts.interfaceAddresses()
        XCTAssertTrue(addresses.contains("127.0.0.1"), "\(addresses)")
        XCTAssertEqual(Set(addresses).count, addresses.count)
        XCTAssertFalse(addresses.contains { $0.lowercased().hasPrefix("fe80") || $0.contains("%") })
        // Every address must be accepted as an IP SAN.
        XCTAssertNoThrow(try PKI.ensure(directory: try makeTempDir(self), dnsNames: [name], ipAddresses: addresses))
    }
}
