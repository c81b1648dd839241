import Crypto
import Foundation
import X509
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A certificate together with its private key.
struct KeyPair {
    var certificate: Certificate
    var key: P256.Signing.PrivateKey

    /// PEM text of the certificate.
    func certificatePEM() throws -> String {
        try certificate.serializeAsPEM().pemString + "\n"
    }

    /// PEM text (PKCS#8 "PRIVATE KEY") of the private key.
    var keyPEM: String { key.pemRepresentation + "\n" }

    /// Parses a PEM certificate and PEM private key; nil if either is unreadable or they do not match.
    static func parse(certificatePEM: String, keyPEM: String) -> KeyPair? {
        guard let cert = try? Certificate(pemEncoded: certificatePEM),
              let key = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM),
              cert.publicKey == Certificate.PublicKey(key.publicKey)
        else { return nil }
        return KeyPair(certificate: cert, key: key)
    }
}

/// A normalized subject alternative name, used to compare requested and present SANs.
enum SANEntry: Hashable, CustomStringConvertible {
    case dns(String)
    case ip([UInt8])

    /// Parses a textual IPv4 or IPv6 address (an IPv6 zone suffix "%eth0" is rejected).
    static func ipBytes(_ string: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, string, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, string, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// Normalizes requested names: DNS names lower-cased (a trailing dot dropped), IPs parsed.
    static func requested(dnsNames: [String], ipAddresses: [String]) throws -> [SANEntry] {
        var out: [SANEntry] = []
        for name in dnsNames {
            var n = name.trimmingCharacters(in: .whitespaces).lowercased()
            if n.hasSuffix(".") { n.removeLast() }
            guard !n.isEmpty else { throw PKIError("empty DNS name in subject alternative names") }
            if !out.contains(.dns(n)) { out.append(.dns(n)) }
        }
        for address in ipAddresses {
            guard let bytes = ipBytes(address.trimmingCharacters(in: .whitespaces)) else {
                throw PKIError("invalid IP address for subject alternative name: \(address)")
            }
            if !out.contains(.ip(bytes)) { out.append(.ip(bytes)) }
        }
        return out
    }

    /// The SANs present in `certificate` (empty if it has none or they cannot be parsed).
    static func present(in certificate: Certificate) -> Set<SANEntry> {
        guard let sans = try? certificate.extensions.subjectAlternativeNames else { return [] }
        var out = Set<SANEntry>()
        for name in sans {
            switch name {
            case .dnsName(let n): out.insert(.dns(n.lowercased()))
            case .ipAddress(let octets): out.insert(.ip(Array(octets.bytes)))
            default: break
            }
        }
        return out
    }

    /// The X.509 general name for this entry.
    var generalName: GeneralName {
        switch self {
        case .dns(let n): return .dnsName(n)
        // ASN1OctetString lives in SwiftASN1, which CorralPKI does not import; `.init` infers it.
        case .ip(let bytes): return .ipAddress(.init(contentBytes: ArraySlice(bytes)))
        }
    }

    var description: String {
        switch self {
        case .dns(let n): return "DNS:\(n)"
        case .ip(let b):
            var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            let family = b.count == 4 ? AF_INET : AF_INET6
            _ = b.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buf, socklen_t(buf.count)) }
            return "IP:\(String(cString: buf))"
        }
    }
}

/// Builds CA and leaf certificates. All keys are ECDSA P-256, signatures ecdsa-with-SHA256.
enum CertificateFactory {
    /// Validity start is back-dated by this much to tolerate small clock skew between hosts.
    static let backdate: TimeInterval = 60 * 60
    /// Ten years, the lifetime of the CA and of the generated server/admin certificates.
    static let tenYears: TimeInterval = 3650 * 24 * 60 * 60

    /// A self-signed CA certificate with BasicConstraints CA:TRUE and keyCertSign/cRLSign usage.
    static func makeCA(commonName: String, validity: TimeInterval, now: Date = Date()) throws -> KeyPair {
        let key = P256.Signing.PrivateKey()
        let signer = Certificate.PrivateKey(key)
        let name = try DistinguishedName { CommonName(commonName) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            SubjectKeyIdentifier(hash: signer.publicKey)
        }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: signer.publicKey,
            notValidBefore: now.addingTimeInterval(-backdate), notValidAfter: now.addingTimeInterval(validity),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: signer)
        return KeyPair(certificate: cert, key: key)
    }

    /// The subject for a client certificate: one RDN per organization (Kubernetes groups), then the CN (user).
    static func clientSubject(commonName: String, organizations: [String]) throws -> DistinguishedName {
        var attributes: [RelativeDistinguishedName.Attribute] = organizations.map {
            .init(type: .RDNAttributeType.organizationName, utf8String: $0)
        }
        attributes.append(.init(type: .RDNAttributeType.commonName, utf8String: commonName))
        return try DistinguishedName(attributes)
    }

    /// A leaf certificate for a fresh key, signed by `ca`, with the given EKU and SANs.
    static func issueLeaf(
        ca: KeyPair, subject: DistinguishedName, usage: ExtendedKeyUsage.Usage,
        sans: [SANEntry], validity: TimeInterval, now: Date = Date()
    ) throws -> KeyPair {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let caSigner = Certificate.PrivateKey(ca.key)
        let caKeyID = (try? ca.certificate.extensions.subjectKeyIdentifier)??.keyIdentifier
            ?? SubjectKeyIdentifier(hash: ca.certificate.publicKey).keyIdentifier
        let notAfter = min(now.addingTimeInterval(validity), ca.certificate.notValidAfter)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            try ExtendedKeyUsage([usage])
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: caKeyID)
            if !sans.isEmpty {
                SubjectAlternativeNames(sans.map(\.generalName))
            }
        }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-backdate), notValidAfter: notAfter,
            issuer: ca.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions, issuerPrivateKey: caSigner)
        return KeyPair(certificate: cert, key: key)
    }

    /// Whether `leaf` was issued by `ca` (issuer name and signature) and is valid at `now`.
    static func isIssued(_ leaf: Certificate, by ca: Certificate, validAt now: Date = Date()) -> Bool {
        leaf.issuer == ca.subject
            && ca.publicKey.isValidSignature(leaf.signature, for: leaf)
            && leaf.notValidBefore <= now && now < leaf.notValidAfter
    }
}
