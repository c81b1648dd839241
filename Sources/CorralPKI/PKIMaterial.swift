import Foundation

/// The PEM-encoded key material of a Corral installation: the cluster CA, the API server's
/// serving certificate and the built-in administrator's client certificate.
///
/// Values are plain strings so the material can be handed to TLS libraries (NIOSSL) and
/// kubeconfig renderers without further conversion. Produced by ``PKI/ensure(directory:dnsNames:ipAddresses:)``.
public struct PKIMaterial: Sendable {
    /// The self-signed cluster CA certificate (`ca.crt`), PEM "CERTIFICATE".
    public var caCertificatePEM: String
    /// The CA's ECDSA P-256 private key (`ca.key`), PEM "PRIVATE KEY" (PKCS#8).
    public var caPrivateKeyPEM: String
    /// The API server's serving certificate (`server.crt`), signed by the CA, serverAuth EKU.
    public var serverCertificatePEM: String
    /// The serving certificate's ECDSA P-256 private key (`server.key`), PEM PKCS#8.
    public var serverPrivateKeyPEM: String
    /// The administrator client certificate (`admin.crt`), CN "corral-admin", O "system:masters".
    public var adminCertificatePEM: String
    /// The administrator certificate's ECDSA P-256 private key (`admin.key`), PEM PKCS#8.
    public var adminPrivateKeyPEM: String

    /// Creates a material bundle from already PEM-encoded certificates and keys.
    public init(
        caCertificatePEM: String, caPrivateKeyPEM: String,
        serverCertificatePEM: String, serverPrivateKeyPEM: String,
        adminCertificatePEM: String, adminPrivateKeyPEM: String
    ) {
        self.caCertificatePEM = caCertificatePEM
        self.caPrivateKeyPEM = caPrivateKeyPEM
        self.serverCertificatePEM = serverCertificatePEM
        self.serverPrivateKeyPEM = serverPrivateKeyPEM
        self.adminCertificatePEM = adminCertificatePEM
        self.adminPrivateKeyPEM = adminPrivateKeyPEM
    }
}

/// The one error type of the PKI area: file-system failures, unparsable PEM, invalid
/// SAN strings and certificate-building failures, each with a human-readable description.
public struct PKIError: Error, CustomStringConvertible {
    /// What went wrong, including the path or value involved.
    public var description: String

    /// Creates an error with the given human-readable description.
    public init(_ description: String) {
        self.description = description
    }
}
