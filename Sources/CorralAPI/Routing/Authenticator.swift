import CorralModel
import Foundation

/// Decides who a request comes from and whether they may make it.
/// Identities: a verified client certificate (CN is the user, O the
/// groups), a static token from the token file, or a service-account JWT
/// (once `enableServiceAccounts` ran). Anonymous requests get no identity
/// and are refused with 401. Authorization is RBAC once enabled; before
/// that every authenticated request is allowed.
public final class Authenticator: @unchecked Sendable {
    private var tokens: [String: Identity] = [:]
    private let lock = NSLock()
    /// Signs and checks service-account tokens; nil until enabled.
    public private(set) var tokenSigner: ServiceAccountTokenSigner?
    /// The RBAC authorizer; nil means "allow every authenticated request".
    public private(set) var authorizer: RBACAuthorizer?
    var objects: ObjectService?
    /// Tokens whose signature verified, with their claims (bounded; cleared when full).
    private var verified: [String: ServiceAccountClaims] = [:]
    static let verifiedCacheSize = 4096

    /// The user the original admin certificate names; old data dirs have it without O=system:masters.
    static let legacyAdminUser = "corral-admin"

    /// An authenticator with no tokens, no service accounts and no RBAC (allow-all) yet.
    public init() {}

    /// Loads a kube-apiserver style token file: `token,user,uid,"group1,group2"` per line.
    public func loadTokenFile(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var map: [String: Identity] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = splitCSV(String(line))
            guard fields.count >= 2, !fields[0].isEmpty else { continue }
            let groups = fields.count >= 4 ? fields[3].split(separator: ",").map(String.init) : []
            map[fields[0]] = Identity(user: fields[1], groups: groups + ["system:authenticated"])
        }
        lock.withLock { tokens = map }
    }

    /// Registers one token (tests, bootstrap).
    public func addToken(_ token: String, identity: Identity) {
        lock.withLock { tokens[token] = identity }
    }

    /// Turns on service-account tokens signed by `signer` (checked against the live ServiceAccounts
    /// and Pods in `objects`) and RBAC authorization over the RBAC objects in `objects`.
    /// Call once at startup, before serving.
    public func enableServiceAccountsAndRBAC(objects: ObjectService, signer: ServiceAccountTokenSigner) {
        self.objects = objects
        tokenSigner = signer
        authorizer = RBACAuthorizer(objects: objects)
    }

    func authenticate(_ req: HTTPRequest) async -> Identity? {
        guard let u = await authenticatedUser(req) else { return nil }
        return Identity(user: u.name, groups: u.groups)
    }

    /// The full user (uid and extra included) behind a request, or nil when anonymous or invalid.
    func authenticatedUser(_ req: HTTPRequest) async -> RBACUser? {
        if var id = req.certificateIdentity {
            // Compatibility: an admin certificate issued before it carried O=system:masters.
            if id.user == Self.legacyAdminUser && id.groups.isEmpty { id.groups = [RBACPolicy.privilegedGroup] }
            if !id.groups.contains("system:authenticated") { id.groups.append("system:authenticated") }
            return RBACUser(name: id.user, groups: id.groups)
        }
        guard let auth = req.headers.first(name: "Authorization"), auth.lowercased().hasPrefix("bearer ") else { return nil }
        let token = auth.dropFirst(7).trimmingCharacters(in: .whitespaces)
        if let id = lock.withLock({ tokens[token] }) { return RBACUser(name: id.user, groups: id.groups) }
        return try? await authenticateServiceAccountToken(token).get()
    }

    /// Checks a service-account JWT: signature, issuer, audience, expiry, and that the service
    /// account (and bound pod) still exist with the UIDs the token names.
    public func authenticateServiceAccountToken(_ token: String, now: Date = Date()) async -> Result<RBACUser, TokenError> {
        guard let signer = tokenSigner, let objects, ServiceAccountTokenSigner.looksLikeJWT(token) else { return .failure(.malformed) }
        do {
            let c = try verifiedClaims(token, signer: signer, now: now)
            let saType = objects.registry.lookup(group: "", version: "v1", resource: "serviceaccounts")!
            let sa = try? await objects.get(saType, namespace: c.namespace, name: c.serviceAccountName)
            guard let sa, sa[path: ["metadata", "uid"]]?.stringValue == c.serviceAccountUID,
                  sa[path: ["metadata", "deletionTimestamp"]] == nil
            else { return .failure(.serviceAccountGone("\(c.namespace)/\(c.serviceAccountName)")) }
            var extra = ["authentication.kubernetes.io/credential-id": ["JTI=\(c.id)"]]
            if let podName = c.podName {
                let podType = objects.registry.lookup(group: "", version: "v1", resource: "pods")!
                let pod = try? await objects.get(podType, namespace: c.namespace, name: podName)
                guard let pod, pod[path: ["metadata", "uid"]]?.stringValue == c.podUID, !Self.deletedLongAgo(pod, now: now) else {
                    return .failure(.podGone("\(c.namespace)/\(podName)"))
                }
                extra["authentication.kubernetes.io/pod-name"] = [podName]
                extra["authentication.kubernetes.io/pod-uid"] = [c.podUID ?? ""]
            }
            return .success(RBACUser(name: c.subject, uid: c.serviceAccountUID,
                                     groups: RBACUser.serviceAccountGroups(namespace: c.namespace), extra: extra))
        } catch let e as TokenError {
            return .failure(e)
        } catch {
            return .failure(.malformed)
        }
    }

    /// Signature checks are cached per token (the claims cannot change); the time window is
    /// checked on every use, and existence of the service account by the caller.
    private func verifiedClaims(_ token: String, signer: ServiceAccountTokenSigner, now: Date) throws -> ServiceAccountClaims {
        if let c = lock.withLock({ verified[token] }) {
            if Int64(now.timeIntervalSince1970) > c.expiresAt + ServiceAccountTokenSigner.leeway { throw TokenError.expired }
            return c
        }
        let c = try signer.verify(token, now: now)
        lock.withLock {
            if verified.count >= Self.verifiedCacheSize { verified.removeAll(keepingCapacity: true) }
            verified[token] = c
        }
        return c
    }

    /// A pod whose deletion started over a minute ago no longer vouches for its tokens (as in kube).
    static func deletedLongAgo(_ pod: JSONValue, now: Date) -> Bool {
        guard let ts = pod[path: ["metadata", "deletionTimestamp"]]?.stringValue,
              let when = ObjectLifecycle.parseTimestamp(ts) else { return false }
        return when < now.addingTimeInterval(-60)
    }

    /// Authorizes a request for `requester`; throws kube's 403 Forbidden when RBAC denies it.
    /// Returns the identity the request runs as (the impersonated one with `Impersonate-*` headers).
    func authorize(_ req: HTTPRequest, identity requester: Identity) async throws -> Identity {
        guard let authorizer else { return requester }
        var identity = requester
        if let plan = try Impersonation.plan(req.headers, requester: RBACUser(name: requester.user, groups: requester.groups)) {
            for check in plan.checks {
                let d = try await authorizer.authorize(check)
                if !d.allowed { throw RBACMessages.denied(check, reason: d.reason) }
            }
            identity = plan.identity
        }
        let attrs = AuthorizationAttributes.of(req, user: RBACUser(name: identity.user, groups: identity.groups))
        for check in [attrs] + [AuthorizationAttributes.upgradeCheck(attrs)].compactMap({ $0 }) {
            let d = try await authorizer.authorize(check)
            if !d.allowed { throw RBACMessages.denied(check, reason: d.reason) }
        }
        return identity
    }

    private func splitCSV(_ line: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var quoted = false
        for c in line {
            if c == "\"" { quoted.toggle(); continue }
            if c == "," && !quoted { out.append(cur); cur = ""; continue }
            cur.append(c)
        }
        out.append(cur)
        return out.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
