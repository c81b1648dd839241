import CorralModel
import Crypto
import Foundation

/// The claims Corral puts in a service-account token, laid out as
/// kube-apiserver lays them out (`kubernetes.io` private claim).
public struct ServiceAccountClaims: Equatable, Sendable {
    public var issuer: String
    public var audiences: [String]
    public var issuedAt: Int64
    public var notBefore: Int64
    public var expiresAt: Int64
    public var id: String
    public var namespace: String
    public var serviceAccountName: String
    public var serviceAccountUID: String
    /// Set when the token is bound to a pod (projected volumes, `--bound-object-kind Pod`).
    public var podName: String?
    public var podUID: String?

    /// Claims from their parts (times in Unix seconds).
    public init(issuer: String, audiences: [String], issuedAt: Int64, notBefore: Int64, expiresAt: Int64, id: String,
                namespace: String, serviceAccountName: String, serviceAccountUID: String, podName: String? = nil, podUID: String? = nil) {
        self.issuer = issuer
        self.audiences = audiences
        self.issuedAt = issuedAt
        self.notBefore = notBefore
        self.expiresAt = expiresAt
        self.id = id
        self.namespace = namespace
        self.serviceAccountName = serviceAccountName
        self.serviceAccountUID = serviceAccountUID
        self.podName = podName
        self.podUID = podUID
    }

    /// `system:serviceaccount:NS:NAME`.
    public var subject: String { RBACUser.serviceAccountUsername(namespace: namespace, name: serviceAccountName) }

    /// The JWT payload object.
    public var json: JSONValue {
        var k8s: JSONValue = ["namespace": .string(namespace),
                              "serviceaccount": ["name": .string(serviceAccountName), "uid": .string(serviceAccountUID)]]
        if let podName, let podUID { k8s["pod"] = ["name": .string(podName), "uid": .string(podUID)] }
        return ["aud": .array(audiences.map { .string($0) }), "exp": .int(expiresAt), "iat": .int(issuedAt),
                "iss": .string(issuer), "jti": .string(id), "kubernetes.io": k8s, "nbf": .int(notBefore),
                "sub": .string(subject)]
    }

    /// Reads a payload; nil when a required claim is missing or has the wrong type.
    public init?(json: JSONValue) {
        // "aud" may be a single string or a list (RFC 7519 §4.1.3).
        let aud = json["aud"]?.arrayValue?.compactMap(\.stringValue) ?? json["aud"]?.stringValue.map { [$0] }
        guard let iss = json["iss"]?.stringValue, let aud, let exp = json["exp"]?.intValue,
              let ns = json[path: ["kubernetes.io", "namespace"]]?.stringValue,
              let name = json[path: ["kubernetes.io", "serviceaccount", "name"]]?.stringValue,
              let uid = json[path: ["kubernetes.io", "serviceaccount", "uid"]]?.stringValue,
              json["sub"]?.stringValue == RBACUser.serviceAccountUsername(namespace: ns, name: name)
        else { return nil }
        self.init(issuer: iss, audiences: aud, issuedAt: json["iat"]?.intValue ?? 0, notBefore: json["nbf"]?.intValue ?? 0,
                  expiresAt: exp, id: json["jti"]?.stringValue ?? "", namespace: ns, serviceAccountName: name,
                  serviceAccountUID: uid, podName: json[path: ["kubernetes.io", "pod", "name"]]?.stringValue,
                  podUID: json[path: ["kubernetes.io", "pod", "uid"]]?.stringValue)
    }
}

/// Why a bearer token was not accepted. Every case ends as a 401; the text goes to the log and TokenReview.
public enum TokenError: Error, Equatable, CustomStringConvertible {
    case malformed
    case unsupportedAlgorithm(String)
    case badSignature
    case wrongIssuer(String)
    case wrongAudience
    case expired
    case notYetValid
    case invalidClaims
    case serviceAccountGone(String)
    case podGone(String)
    /// The signing key file could not be read or written (startup, not a request).
    case keyFile(String)

    public var description: String {
        switch self {
        case .malformed: return "token is not a well-formed JWT"
        case .unsupportedAlgorithm(let a): return "unsupported signing algorithm \(a)"
        case .badSignature: return "invalid signature"
        case .wrongIssuer(let i): return "token issuer \(i) is not this API server"
        case .wrongAudience: return "token audiences is invalid"
        case .expired: return "service account token has expired"
        case .notYetValid: return "service account token is not valid yet"
        case .invalidClaims: return "service account token claims are invalid"
        case .serviceAccountGone(let s): return "service account \(s) has been deleted or recreated"
        case .podGone(let s): return "pod \(s) has been deleted or recreated"
        case .keyFile(let s): return s
        }
    }
}

/// Signs and verifies service-account JWTs with one ECDSA P-256 key (ES256).
/// The key is immutable after init, so sharing across tasks is safe.
public struct ServiceAccountTokenSigner: @unchecked Sendable {
    /// kube-apiserver's default issuer and audience for in-cluster tokens.
    public static let defaultIssuer = "https://kubernetes.default.svc.cluster.local"
    /// Clock skew tolerated on exp/nbf, as go-jose's default leeway.
    public static let leeway: Int64 = 60

    let key: P256.Signing.PrivateKey
    public let keyID: String
    public let issuer: String
    /// Audiences this API server accepts; a token must name at least one. The first is the default for new tokens.
    public let audiences: [String]

    /// A signer over `key`; tokens name `issuer` and must carry one of `audiences`.
    public init(key: P256.Signing.PrivateKey, issuer: String = defaultIssuer, audiences: [String] = [defaultIssuer, "corral"]) {
        self.key = key
        self.issuer = issuer
        self.audiences = audiences
        // kube's key id: unpadded base64url of SHA-256 over the DER public key.
        keyID = Self.base64url(Array(SHA256.hash(data: key.publicKey.derRepresentation)))
    }

    /// Loads the PEM key at `path`, creating it (mode 0600) when missing.
    public static func loadOrCreate(path: String, issuer: String = defaultIssuer,
                                    audiences: [String] = [defaultIssuer, "corral"]) throws -> ServiceAccountTokenSigner {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            return ServiceAccountTokenSigner(key: try P256.Signing.PrivateKey(pemRepresentation: text), issuer: issuer, audiences: audiences)
        }
        let key = P256.Signing.PrivateKey()
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data((key.pemRepresentation + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw TokenError.keyFile("cannot write service-account signing key \(tmp)")
        }
        guard rename(tmp, path) == 0 else { throw TokenError.keyFile("cannot rename \(tmp) to \(path): errno \(errno)") }
        return ServiceAccountTokenSigner(key: key, issuer: issuer, audiences: audiences)
    }

    /// Issues a token for a service account (optionally bound to a pod), valid `expirationSeconds`
    /// from `now`, for `audiences` (all of the server's audiences when empty).
    public func issue(namespace: String, serviceAccountName: String, serviceAccountUID: String, podName: String? = nil,
                      podUID: String? = nil, audiences: [String] = [], expirationSeconds: Int64, now: Date = Date()) throws
        -> (token: String, claims: ServiceAccountClaims)
    {
        let t = Int64(now.timeIntervalSince1970)
        let claims = ServiceAccountClaims(
            issuer: issuer, audiences: audiences.isEmpty ? self.audiences : audiences, issuedAt: t, notBefore: t,
            expiresAt: t + expirationSeconds, id: UUID().uuidString.lowercased(), namespace: namespace,
            serviceAccountName: serviceAccountName, serviceAccountUID: serviceAccountUID, podName: podName, podUID: podUID)
        return (try sign(claims), claims)
    }

    /// A compact JWS: header.payload.signature.
    public func sign(_ claims: ServiceAccountClaims) throws -> String {
        let header: JSONValue = ["alg": "ES256", "kid": .string(keyID)]
        let input = Self.base64url(header.serialized()) + "." + Self.base64url(claims.json.serialized())
        let sig = try key.signature(for: Data(input.utf8))
        return input + "." + Self.base64url(Array(sig.rawRepresentation))
    }

    /// Checks signature, issuer, audience and validity window; returns the claims.
    /// Existence of the service account and pod is the caller's check.
    public func verify(_ token: String, now: Date) throws -> ServiceAccountClaims {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Self.unbase64url(parts[0]), let payloadBytes = Self.unbase64url(parts[1]),
              let sigBytes = Self.unbase64url(parts[2]), let header = try? JSONParser.parse(headerBytes),
              let payload = try? JSONParser.parse(payloadBytes)
        else { throw TokenError.malformed }
        guard header["alg"]?.stringValue == "ES256" else { throw TokenError.unsupportedAlgorithm(header["alg"]?.stringValue ?? "none") }
        guard let sig = try? P256.Signing.ECDSASignature(rawRepresentation: sigBytes),
              key.publicKey.isValidSignature(sig, for: Data((parts[0] + "." + parts[1]).utf8))
        else { throw TokenError.badSignature }
        guard let claims = ServiceAccountClaims(json: payload) else { throw TokenError.invalidClaims }
        guard claims.issuer == issuer else { throw TokenError.wrongIssuer(claims.issuer) }
        guard claims.audiences.contains(where: audiences.contains) else { throw TokenError.wrongAudience }
        let t = Int64(now.timeIntervalSince1970)
        if t > claims.expiresAt + Self.leeway { throw TokenError.expired }
        if claims.notBefore > 0 && t + Self.leeway < claims.notBefore { throw TokenError.notYetValid }
        return claims
    }

    /// Whether a bearer token looks like a JWT (so static tokens are not run through ECDSA).
    public static func looksLikeJWT(_ token: String) -> Bool {
        token.hasPrefix("eyJ") && token.split(separator: ".", omittingEmptySubsequences: false).count == 3
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unbase64url(_ s: Substring) -> [UInt8]? {
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        return Data(base64Encoded: b).map { [UInt8]($0) }
    }
}

