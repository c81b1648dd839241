import Crypto
import Foundation
import XCTest
@testable import CorralAPI
@testable import CorralModel
import CorralStore

/// JWT signing and verification of service-account tokens.
final class ServiceAccountTokenTests: XCTestCase {
    let signer = ServiceAccountTokenSigner(key: P256.Signing.PrivateKey())
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func issue(seconds: Int64 = 3600, audiences: [String] = [], pod: Bool = false) throws -> (String, ServiceAccountClaims) {
        try signer.issue(namespace: "dev", serviceAccountName: "alice", serviceAccountUID: "uid-1",
                         podName: pod ? "web" : nil, podUID: pod ? "pod-uid" : nil, audiences: audiences,
                         expirationSeconds: seconds, now: now)
    }

    func testRoundTripAndClaimLayout() throws {
        let (token, claims) = try issue(pod: true)
        XCTAssertTrue(ServiceAccountTokenSigner.looksLikeJWT(token))
        let verified = try signer.verify(token, now: now.addingTimeInterval(10))
        XCTAssertEqual(verified, claims)
        XCTAssertEqual(verified.subject, "system:serviceaccount:dev:alice")
        XCTAssertEqual(verified.expiresAt - verified.issuedAt, 3600)
        XCTAssertEqual(verified.podName, "web")
        // The payload carries kube's claim names.
        let parts = token.split(separator: ".")
        let payload = try JSONParser.parse(ServiceAccountTokenSigner.unbase64url(parts[1])!)
        XCTAssertEqual(payload["iss"]?.stringValue, "https://kubernetes.default.svc.cluster.local")
        XCTAssertEqual(payload["sub"]?.stringValue, "system:serviceaccount:dev:alice")
        XCTAssertEqual(payload[path: ["kubernetes.io", "serviceaccount", "uid"]]?.stringValue, "uid-1")
        XCTAssertEqual(payload[path: ["kubernetes.io", "pod", "name"]]?.stringValue, "web")
        XCTAssertEqual(payload["aud"]?.arrayValue?.count, signer.audiences.count)
        let header = try JSONParser.parse(ServiceAccountTokenSigner.unbase64url(parts[0])!)
        XCTAssertEqual(header["alg"]?.stringValue, "ES256")
        XCTAssertEqual(header["kid"]?.stringValue, signer.keyID)
    }

    func testExpiryWithLeeway() throws {
        let (token, _) = try issue(seconds: 600)
        XCTAssertNoThrow(try signer.verify(token, now: now.addingTimeInterval(600 + 30)))
        XCTAssertThrowsError(try signer.verify(token, now: now.addingTimeInterval(600 + 61))) {
            XCTAssertEqual($0 as? TokenError, .expired)
        }
        XCTAssertThrowsError(try signer.verify(token, now: now.addingTimeInterval(-120))) {
            XCTAssertEqual($0 as? TokenError, .notYetValid)
        }
    }

    func testTamperingAndForeignKeysAreRejected() throws {
        let (token, _) = try issue()
        var parts = token.split(separator: ".").map(String.init)
        // Swap in a payload naming another service account, keeping the old signature.
        var claims = try signer.verify(token, now: now)
        claims.serviceAccountName = "admin"
        parts[1] = ServiceAccountTokenSigner.base64url(claims.json.serialized())
        XCTAssertThrowsError(try signer.verify(parts.joined(separator: "."), now: now)) { XCTAssertEqual($0 as? TokenError, .badSignature) }
        let other = ServiceAccountTokenSigner(key: P256.Signing.PrivateKey())
        XCTAssertThrowsError(try other.verify(token, now: now)) { XCTAssertEqual($0 as? TokenError, .badSignature) }
        XCTAssertThrowsError(try signer.verify("not.a.jwt", now: now)) { XCTAssertEqual($0 as? TokenError, .malformed) }
        // alg=none is refused before any signature logic.
        let none = ServiceAccountTokenSigner.base64url(Array(#"{"alg":"none"}"#.utf8)) + "." + parts[1] + "."
        XCTAssertThrowsError(try signer.verify(none, now: now))
    }

    func testAudienceMustMatchServer() throws {
        let (vault, _) = try issue(audiences: ["vault"])
        XCTAssertThrowsError(try signer.verify(vault, now: now)) { XCTAssertEqual($0 as? TokenError, .wrongAudience) }
        let (ok, _) = try issue(audiences: ["corral", "vault"])
        XCTAssertNoThrow(try signer.verify(ok, now: now))
    }

    func testKeyIsPersistedAndReused() throws {
        let dir = NSTemporaryDirectory() + "sa-key-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try ServiceAccountTokenSigner.loadOrCreate(path: dir + "/sa.key")
        let b = try ServiceAccountTokenSigner.loadOrCreate(path: dir + "/sa.key")
        XCTAssertEqual(a.keyID, b.keyID)
        let mode = (try FileManager.default.attributesOfItem(atPath: dir + "/sa.key")[.posixPermissions] as? NSNumber)?.intValue
        XCTAssertEqual(mode, 0o600)
        let (token, _) = try a.issue(namespace: "n", serviceAccountName: "s", serviceAccountUID: "u", expirationSeconds: 600)
        XCTAssertNoThrow(try b.verify(token, now: Date()))
    }

    /// Bound-token semantics: the token dies with its service account, even if one of the same name comes back.
    func testTokenFollowsServiceAccountLifetime() async throws {
        let dir = NSTemporaryDirectory() + "sa-auth-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/store.db", sync: .normal)
        defer { store.close() }
        let objects = ObjectService(store: store, registry: ResourceRegistry.builtins())
        let nsType = objects.registry.lookup(group: "", version: "v1", resource: "namespaces")!
        let saType = objects.registry.lookup(group: "", version: "v1", resource: "serviceaccounts")!
        _ = try await objects.create(nsType, namespace: nil, object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "dev"]])
        let saObj: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "alice", "namespace": "dev"]]
        let sa = try await objects.create(saType, namespace: "dev", object: saObj)
        let auth = Authenticator()
        auth.enableServiceAccountsAndRBAC(objects: objects, signer: signer)
        let (token, _) = try signer.issue(namespace: "dev", serviceAccountName: "alice",
                                          serviceAccountUID: sa[path: ["metadata", "uid"]]!.stringValue!, expirationSeconds: 600)
        let user = try await auth.authenticateServiceAccountToken(token).get()
        XCTAssertEqual(user.name, "system:serviceaccount:dev:alice")
        XCTAssertEqual(user.groups, ["system:serviceaccounts", "system:serviceaccounts:dev", "system:authenticated"])
        XCTAssertEqual(user.uid, sa[path: ["metadata", "uid"]]?.stringValue)
        XCTAssertEqual(user.extra["authentication.kubernetes.io/credential-id"]?.first?.hasPrefix("JTI="), true)

        _ = try await objects.delete(saType, namespace: "dev", name: "alice")
        guard case .failure(.serviceAccountGone) = await auth.authenticateServiceAccountToken(token) else {
            return XCTFail("token of a deleted service account still authenticates")
        }
        _ = try await objects.create(saType, namespace: "dev", object: saObj)
        guard case .failure(.serviceAccountGone) = await auth.authenticateServiceAccountToken(token) else {
            return XCTFail("token authenticates against a recreated service account")
        }
        let expired = try signer.issue(namespace: "dev", serviceAccountName: "alice", serviceAccountUID: "x",
                                       expirationSeconds: 600, now: Date().addingTimeInterval(-3600)).token
        guard case .failure(.expired) = await auth.authenticateServiceAccountToken(expired) else {
            return XCTFail("expired token accepted")
        }
    }
}
