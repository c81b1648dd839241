import Crypto
import Foundation
import X509

/// Creation, loading and use of Corral's certificate authority and certificates.
///
/// Layout of the PKI directory (all PEM; keys ECDSA P-256 in PKCS#8, mode 0600; certificates 0644):
/// `ca.crt`/`ca.key`, `server.crt`/`server.key`, `admin.crt`/`admin.key`.
public enum PKI {
    /// Common name of the generated self-signed CA.
    static let caCommonName = "corral-ca"
    /// Common name of the generated API server certificate (clients check SANs, not this).
    static let serverCommonName = "corral-apiserver"
    /// User and group of the generated administrator certificate.
    static let adminCommonName = "corral-admin"
    static let adminGroup = "system:masters"
    /// Certificates expiring sooner than this are reissued by ``ensure(directory:dnsNames:ipAddresses:)``.
    static let renewBefore: TimeInterval = 30 * 24 * 60 * 60

    /// Loads the PKI from `directory` (creating the directory with mode 0700 if missing),
    /// generating whatever is absent or unusable, and returns the resulting material.
    ///
    /// - `ca.crt`/`ca.key`: self-signed CA, CN "corral-ca", valid 10 years.
    /// - `server.crt`/`server.key`: serverAuth EKU, CN "corral-apiserver"; every entry of `dnsNames`
    ///   becomes a DNS SAN and every entry of `ipAddresses` (IPv4 or IPv6 text) an IP SAN.
    ///   Valid 10 years (rather than the usual 1) so a lab box never needs rotation; never beyond the CA.
    /// - `admin.crt`/`admin.key`: clientAuth EKU, CN "corral-admin", O "system:masters", valid 10 years.
    ///
    /// Keys are ECDSA P-256 written with mode 0600, certificates 0644; every file is written atomically.
    /// Existing files are reused untouched when they parse, match their key, chain to the CA and are
    /// valid for at least 30 more days. The server certificate is reissued from the same CA when it
    /// lacks one of the requested SANs. If the CA itself must be regenerated, the server and admin
    /// certificates are reissued too. Not safe against concurrent callers on the same directory.
    ///
    /// - Throws: ``PKIError`` for an invalid IP string or an empty DNS name, or a file-system failure.
    public static func ensure(directory: String, dnsNames: [String], ipAddresses: [String]) throws -> PKIMaterial {
        let requested = try SANEntry.requested(dnsNames: dnsNames, ipAddresses: ipAddresses)
        try FileIO.ensureDirectory(directory, mode: 0o700)
        let now = Date()
        let horizon = now.addingTimeInterval(renewBefore)

        var caIsNew = false
        let ca: KeyPair
        if let existing = load(directory, "ca"), existing.certificate.notValidAfter > horizon,
           existing.certificate.notValidBefore <= now {
            ca = existing
        } else {
            ca = try CertificateFactory.makeCA(commonName: caCommonName, validity: CertificateFactory.tenYears)
            try store(ca, directory, "ca")
            caIsNew = true
        }

        func usable(_ pair: KeyPair?) -> KeyPair? {
            guard !caIsNew, let pair,
                  CertificateFactory.isIssued(pair.certificate, by: ca.certificate, validAt: now),
                  pair.certificate.notValidAfter > horizon
            else { return nil }
            return pair
        }

        let server: KeyPair
        if let existing = usable(load(directory, "server")),
           SANEntry.present(in: existing.certificate).isSuperset(of: requested) {
            server = existing
        } else {
            server = try CertificateFactory.issueLeaf(
                ca: ca, subject: try DistinguishedName { CommonName(serverCommonName) },
                usage: .serverAuth, sans: requested, validity: CertificateFactory.tenYears)
            try store(server, directory, "server")
        }

        let admin: KeyPair
        if let existing = usable(load(directory, "admin")) {
            admin = existing
        } else {
            admin = try CertificateFactory.issueLeaf(
                ca: ca,
                subject: try CertificateFactory.clientSubject(commonName: adminCommonName, organizations: [adminGroup]),
                usage: .clientAuth, sans: [], validity: CertificateFactory.tenYears)
            try store(admin, directory, "admin")
        }

        return PKIMaterial(
            caCertificatePEM: try ca.certificatePEM(), caPrivateKeyPEM: ca.keyPEM,
            serverCertificatePEM: try server.certificatePEM(), serverPrivateKeyPEM: server.keyPEM,
            adminCertificatePEM: try admin.certificatePEM(), adminPrivateKeyPEM: admin.keyPEM)
    }

    /// Issues a client certificate signed by the CA in `material` (clientAuth EKU) for a fresh
    /// ECDSA P-256 key. The subject carries CN=`commonName` (the Kubernetes user name) and one
    /// O per entry of `organizations` (the groups), in that order. Validity starts one hour in the
    /// past (clock skew) and lasts `validityDays` days, capped at the CA's own expiry.
    ///
    /// - Returns: the certificate and its private key (PKCS#8), both PEM.
    /// - Throws: ``PKIError`` if the CA in `material` cannot be parsed or `validityDays` is not positive.
    public static func issueClientCertificate(
        material: PKIMaterial, commonName: String, organizations: [String], validityDays: Int
    ) throws -> (certificatePEM: String, privateKeyPEM: String) {
        guard validityDays > 0 else { throw PKIError("validityDays must be positive, got \(validityDays)") }
        guard let ca = KeyPair.parse(certificatePEM: material.caCertificatePEM, keyPEM: material.caPrivateKeyPEM) else {
            throw PKIError("the CA certificate or key in the PKI material cannot be parsed or do not match")
        }
        let pair = try CertificateFactory.issueLeaf(
            ca: ca,
            subject: try CertificateFactory.clientSubject(commonName: commonName, organizations: organizations),
            usage: .clientAuth, sans: [], validity: TimeInterval(validityDays) * 24 * 60 * 60)
        return (try pair.certificatePEM(), pair.keyPEM)
    }

    /// The user name (the first CN) and groups (every O, in order) in the subject of a
    /// DER-encoded certificate, as the Kubernetes x509 authenticator reads them.
    /// Returns nil if the certificate cannot be parsed or has no CN. Does not verify anything.
    public static func identity(fromDER der: [UInt8]) -> (user: String, groups: [String])? {
        guard let cert = try? Certificate(derEncoded: der) else { return nil }
        var user: String?
        var groups: [String] = []
        for rdn in cert.subject {
            for attribute in rdn {
                if attribute.type == .RDNAttributeType.commonName, user == nil {
                    user = String(attribute.value)
                } else if attribute.type == .RDNAttributeType.organizationName, let o = String(attribute.value) {
                    groups.append(o)
                }
            }
        }
        guard let user else { return nil }
        return (user, groups)
    }

    /// Reads `<name>.crt` and `<name>.key` from `directory`; nil if missing, unparsable or mismatched.
    static func load(_ directory: String, _ name: String) -> KeyPair? {
        let crt = "\(directory)/\(name).crt", key = "\(directory)/\(name).key"
        guard FileIO.fileExists(crt), FileIO.fileExists(key),
              let crtText = try? FileIO.readText(crt), let keyText = try? FileIO.readText(key),
              let pair = KeyPair.parse(certificatePEM: crtText, keyPEM: keyText)
        else { return nil }
        // Tighten a key file that someone loosened; contents stay untouched.
        if let mode = FileIO.mode(key), mode & 0o077 != 0 { _ = chmod(key, 0o600) }
        return pair
    }

    /// Writes `<name>.key` (0600) then `<name>.crt` (0644) atomically.
    static func store(_ pair: KeyPair, _ directory: String, _ name: String) throws {
        try FileIO.writeAtomically(pair.keyPEM, to: "\(directory)/\(name).key", mode: 0o600)
        try FileIO.writeAtomically(try pair.certificatePEM(), to: "\(directory)/\(name).crt", mode: 0o644)
    }
}
