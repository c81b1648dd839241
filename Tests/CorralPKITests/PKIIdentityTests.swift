import CorralPKI
import Foundation
import X509
import XCTest

final class PKIIdentityTests: XCTestCase {
    func testAdminIdentity() throws {
        let material = try PKI.ensure(directory: try makeTempDir(self), dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        let identity = try XCTUnwrap(PKI.identity(fromDER: try der(material.adminCertificatePEM)))
        XCTAssertEqual(identity.user, "corral-admin")
        XCTAssertEqual(identity.groups, ["system:masters"])
    }

    func testIssuedClientCertificateRoundTrips() throws {
        let material = try PKI.ensure(directory: try makeTempDir(self), dnsNames: ["localhost"], ipAddresses: [])
        let issued = try PKI.issueClientCertificate(
            material: material, commonName: "jane", organizations: ["devs", "system:authenticated", "ünïcode team"],
            validityDays: 30)
        XCTAssertTrue(issued.privateKeyPEM.contains("BEGIN PRIVATE KEY"))
        let identity = try XCTUnwrap(PKI.identity(fromDER: try der(issued.certificatePEM)))
        XCTAssertEqual(identity.user, "jane")
        XCTAssertEqual(identity.groups, ["devs", "system:authenticated", "ünïcode team"])

        let cert = try certificate(issued.certificatePEM)
        let ca = try certificate(material.caCertificatePEM)
        XCTAssertEqual(cert.issuer, ca.subject)
        XCTAssertTrue(ca.publicKey.isValidSignature(cert.signature, for: cert))
        XCTAssertEqual(try cert.extensions.extendedKeyUsage, try ExtendedKeyUsage([.clientAuth]))
        XCTAssertEqual(cert.notValidAfter.timeIntervalSinceNow, 30 * 86400, accuracy: 120)

        let noGroups = try PKI.issueClientCertificate(material: material, commonName: "bob", organizations: [], validityDays: 1)
        let bob = try XCTUnwrap(PKI.identity(fromDER: try der(noGroups.certificatePEM)))
        XCTAssertEqual(bob.user, "bob")
        XCTAssertEqual(bob.groups, [])
    }

    func testIssueRejectsBadInput() throws {
        let material = try PKI.ensure(directory: try makeTempDir(self), dnsNames: [], ipAddresses: [])
        XCTAssertThrowsError(try PKI.issueClientCertificate(material: material, commonName: "x", organizations: [], validityDays: 0))
        var broken = material
        broken.caPrivateKeyPEM = material.adminPrivateKeyPEM
        XCTAssertThrowsError(try PKI.issueClientCertificate(material: broken, commonName: "x", organizations: [], validityDays: 1))
    }

    func testIdentityOfGarbageIsNil() {
        XCTAssertNil(PKI.identity(fromDER: []))
        XCTAssertNil(PKI.identity(fromDER: [0x30, 0x03, 0x02, 0x01, 0x01]))
    }

    /// Chain validation with swift-certificates' own RFC 5280 verifier (+ server identity for the server cert).
    func testCertificatesVerifyAgainstCA() async throws {
        let material = try PKI.ensure(
            directory: try makeTempDir(self), dnsNames: ["localhost", "corral.test"], ipAddresses: ["127.0.0.1", "::1"])
        let ca = try certificate(material.caCertificatePEM)
        let server = try certificate(material.serverCertificatePEM)
        let admin = try certificate(material.adminCertificatePEM)

        for (host, ip) in [("corral.test", nil), (nil, "::1"), (nil, "127.0.0.1")] as [(String?, String?)] {
            var verifier = Verifier(rootCertificates: CertificateStore([ca])) {
                RFC5280Policy()
                ServerIdentityPolicy(serverHostname: host, serverIP: ip)
            }
            let result = await verifier.validate(leaf: server, intermediates: CertificateStore())
            guard case .validCertificate(let chain) = result else {
                return XCTFail("server cert did not verify for \(host ?? ip ?? ""): \(result)")
            }
            XCTAssertEqual(Array(chain), [server, ca])
        }

        var wrongName = Verifier(rootCertificates: CertificateStore([ca])) {
            RFC5280Policy()
            ServerIdentityPolicy(serverHostname: "other.example", serverIP: nil)
        }
        guard case .couldNotValidate = await wrongName.validate(leaf: server, intermediates: CertificateStore()) else {
            return XCTFail("server cert must not verify for a name it does not carry")
        }

        var clientVerifier = Verifier(rootCertificates: CertificateStore([ca])) { RFC5280Policy() }
        guard case .validCertificate = await clientVerifier.validate(leaf: admin, intermediates: CertificateStore()) else {
            return XCTFail("admin cert did not verify")
        }

        // A certificate from a different CA must not verify.
        let other = try PKI.ensure(directory: try makeTempDir(self), dnsNames: ["localhost"], ipAddresses: [])
        let foreign = try certificate(other.adminCertificatePEM)
        guard case .couldNotValidate = await clientVerifier.validate(leaf: foreign, intermediates: CertificateStore()) else {
            return XCTFail("foreign cert verified")
        }
        XCTAssertFalse(ca.publicKey.isValidSignature(foreign.signature, for: foreign))
    }
}
