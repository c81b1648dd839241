import CorralModel
import Foundation

/// The authentication/authorization APIs: TokenRequest (`serviceaccounts/NAME/token`),
/// SelfSubjectReview (`kubectl auth whoami`), TokenReview, the access and rules reviews
/// (AccessReviews.swift), and the RBAC escalation guard (EscalationGuard.swift).
struct AuthHandlers {
    let server: APIServer
    var authenticator: Authenticator { server.authenticator }

    /// Serves the request when it is one of ours; nil lets the generic handlers run.
    /// `next` runs the generic handlers (used by the escalation guard's dry run).
    func intercept(_ ctx: RequestContext, next: @escaping (RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse? {
        let info = ctx.info
        if !ctx.type.verbs.contains(info.verb) && info.subresource == nil { throw APIError.methodNotAllowed() }
        switch (ctx.type.storageKey, info.verb, info.subresource) {
        case ("serviceaccounts", "create", "token"): return try await tokenRequest(ctx)
        case ("serviceaccounts", _, "token"): throw APIError.methodNotAllowed()
        case ("selfsubjectreviews.authentication.k8s.io", "create", nil): return try await selfSubjectReview(ctx)
        case ("tokenreviews.authentication.k8s.io", "create", nil): return try await tokenReview(ctx)
        case ("selfsubjectaccessreviews.authorization.k8s.io", "create", nil),
             ("subjectaccessreviews.authorization.k8s.io", "create", nil),
             ("localsubjectaccessreviews.authorization.k8s.io", "create", nil):
            return try await AccessReviews(server: server).accessReview(ctx)
        case ("selfsubjectrulesreviews.authorization.k8s.io", "create", nil):
            return try await AccessReviews(server: server).rulesReview(ctx)
        default:
            return try await EscalationGuard(server: server).check(ctx, next: next)
        }
    }

    func body(_ ctx: RequestContext) throws -> JSONValue {
        try BodyDecoding.decode(ctx.request.body, contentType: ctx.request.headers.first(name: "Content-Type"))
    }

    /// kube's NewInvalid for a kind outside the registry ("TokenRequest.authentication.k8s.io").
    static func invalid(kind: String, group: String, name: String, _ causes: [FieldCause]) -> APIError {
        let list = causes.map(\.rendered)
        let joined = list.count == 1 ? list[0] : "[" + list.joined(separator: ", ") + "]"
        return APIError(code: 422, reason: "Invalid", message: "\(kind).\(group) \"\(name)\" is invalid: \(joined)",
                        name: name, group: group, kind: kind, causes: causes)
    }

    // MARK: TokenRequest

    /// POST .../serviceaccounts/NAME/token: a signed, bound token for the service account.
    func tokenRequest(_ ctx: RequestContext) async throws -> HTTPResponse {
        guard let signer = authenticator.tokenSigner else {
            throw APIError(code: 404, reason: "NotFound", message: "the TokenRequest API is not enabled on this server")
        }
        let ns = ctx.info.namespace ?? "", name = ctx.info.name ?? ""
        let sa = try await server.objects.get(ctx.type, namespace: ns, name: name)
        let req = try body(ctx)
        var seconds = req[path: ["spec", "expirationSeconds"]]?.intValue ?? 3600
        if req[path: ["spec", "expirationSeconds"]]?.isNull ?? false { seconds = 3600 }
        if seconds < 600 {
            throw Self.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: name,
                               [.invalid("spec.expirationSeconds", .int(seconds), "may not specify a duration less than 10 minutes")])
        }
        if seconds > 1 << 32 {
            throw Self.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: name,
                               [.invalid("spec.expirationSeconds", .int(seconds), "may not specify a duration larger than 2^32 seconds")])
        }
        let audiences = req[path: ["spec", "audiences"]]?.arrayValue?.compactMap(\.stringValue) ?? []
        var podName: String?, podUID: String?
        var boundRef: JSONValue = .null
        if let ref = req[path: ["spec", "boundObjectRef"]], !ref.isNull {
            (podName, podUID, boundRef) = try await boundPod(ref, namespace: ns, serviceAccount: name)
        }
        let (token, claims) = try signer.issue(namespace: ns, serviceAccountName: name,
                                               serviceAccountUID: sa[path: ["metadata", "uid"]]?.stringValue ?? "",
                                               podName: podName, podUID: podUID, audiences: audiences, expirationSeconds: seconds)
        let now = Date(timeIntervalSince1970: TimeInterval(claims.issuedAt))
        var spec: JSONValue = ["audiences": .array(claims.audiences.map { .string($0) }), "expirationSeconds": .int(seconds)]
        spec["boundObjectRef"] = boundRef
        let out: JSONValue = [
            "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
            "metadata": ["name": .string(name), "namespace": .string(ns), "creationTimestamp": .string(ObjectLifecycle.timestamp(now))],
            "spec": spec,
            "status": ["token": .string(token),
                       "expirationTimestamp": .string(ObjectLifecycle.timestamp(Date(timeIntervalSince1970: TimeInterval(claims.expiresAt))))],
        ]
        return try APIServer.json(201, out)
    }

    /// Resolves spec.boundObjectRef (Pod only) to the pod's name and UID.
    func boundPod(_ ref: JSONValue, namespace: String, serviceAccount: String) async throws -> (String, String, JSONValue) {
        let kind = ref["kind"]?.stringValue ?? ""
        guard kind == "Pod" else {
            throw APIError.badRequest("cannot bind token to object of type \(kind.isEmpty ? "<empty>" : kind): only Pod is supported")
        }
        let podType = server.registry.lookup(group: "", version: "v1", resource: "pods")!
        let podName = ref["name"]?.stringValue ?? ""
        let pod = try await server.objects.get(podType, namespace: namespace, name: podName)
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        if let want = ref["uid"]?.stringValue, !want.isEmpty, want != uid {
            throw APIError.conflict(podType, podName, "the UID in the bound object reference (\(want)) does not match the UID in record. The object might have been deleted and then recreated")
        }
        let podSA = pod[path: ["spec", "serviceAccountName"]]?.stringValue ?? "default"
        if podSA != serviceAccount {
            throw APIError.badRequest("cannot bind token for serviceaccount \"\(serviceAccount)\" to pod running with different serviceaccount name.")
        }
        return (podName, uid, ["kind": "Pod", "apiVersion": "v1", "name": .string(podName), "uid": .string(uid)])
    }

    // MARK: who am I / token review

    static func userInfo(_ u: RBACUser) -> JSONValue {
        var o: JSONValue = ["username": .string(u.name)]
        if !u.uid.isEmpty { o["uid"] = .string(u.uid) }
        o["groups"] = .array(u.groups.map { .string($0) })
        if !u.extra.isEmpty {
            o["extra"] = .object(JSONObject(u.extra.sorted { $0.key < $1.key }.map { ($0.key, .array($0.value.map { .string($0) })) }))
        }
        return o
    }

    /// POST selfsubjectreviews: the caller's own user info.
    func selfSubjectReview(_ ctx: RequestContext) async throws -> HTTPResponse {
        var user = RBACUser(name: ctx.identity.user, groups: ctx.identity.groups)
        // uid and extra come from the credential itself, unless someone is being impersonated.
        if ctx.request.headers.first(name: "Impersonate-User") == nil, let full = await authenticator.authenticatedUser(ctx.request) {
            user = full
        }
        let out: JSONValue = ["kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                              "metadata": ["creationTimestamp": .null], "status": ["userInfo": Self.userInfo(user)]]
        return try APIServer.json(201, out)
    }

    /// POST tokenreviews: whether spec.token authenticates, and as whom.
    func tokenReview(_ ctx: RequestContext) async throws -> HTTPResponse {
        var review = try body(ctx)
        let token = review[path: ["spec", "token"]]?.stringValue ?? ""
        var fake = ctx.request
        fake.certificateIdentity = nil
        fake.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
        var status: JSONValue
        if !token.isEmpty, let user = await authenticator.authenticatedUser(fake) {
            status = ["authenticated": true, "user": Self.userInfo(user),
                      "audiences": .array((authenticator.tokenSigner?.audiences ?? []).map { .string($0) })]
        } else {
            var reason = "invalid bearer token"
            if case .failure(let e) = await authenticator.authenticateServiceAccountToken(token) { reason = "[invalid bearer token, \(e)]" }
            status = ["user": .object(JSONObject()), "error": .string(reason)]
        }
        review["status"] = status
        review["metadata"] = ["creationTimestamp": .null]
        return try APIServer.json(201, review)
    }
}
