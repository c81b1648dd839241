import CorralModel
import Foundation

/// SelfSubjectAccessReview / SubjectAccessReview / LocalSubjectAccessReview
/// (`kubectl auth can-i VERB RESOURCE`) and SelfSubjectRulesReview
/// (`kubectl auth can-i --list`).
struct AccessReviews {
    let server: APIServer
    static let group = "authorization.k8s.io"

    /// The review from the body; kubectl sends these as protobuf, which the generated schema lacks.
    func body(_ ctx: RequestContext) throws -> JSONValue {
        let ct = ctx.request.headers.first(name: "Content-Type") ?? ""
        if ct.lowercased().contains("protobuf") && !ctx.request.body.isEmpty {
            do {
                return try ReviewProtobuf.decode(ctx.request.body)
            } catch {
                throw APIError.badRequest("error decoding protobuf request body: \(error)")
            }
        }
        return try BodyDecoding.decode(ctx.request.body, contentType: ct)
    }

    /// The user a review asks about: the caller for Self* reviews, spec.user/groups otherwise.
    func subject(_ ctx: RequestContext, spec: JSONValue) -> RBACUser {
        if ctx.type.kind.hasPrefix("Self") { return RBACUser(name: ctx.identity.user, groups: ctx.identity.groups) }
        return RBACUser(name: spec["user"]?.stringValue ?? "", uid: spec["uid"]?.stringValue ?? "",
                        groups: spec["groups"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    /// Decides `spec.resourceAttributes` or `spec.nonResourceAttributes` and fills in `status`.
    func accessReview(_ ctx: RequestContext) async throws -> HTTPResponse {
        var review = try body(ctx)
        let spec = review["spec"] ?? .null
        let user = subject(ctx, spec: spec)
        let ra = spec["resourceAttributes"].flatMap { $0.isNull ? nil : $0 }
        let nra = spec["nonResourceAttributes"].flatMap { $0.isNull ? nil : $0 }
        guard (ra == nil) != (nra == nil) else {
            throw AuthHandlers.invalid(kind: ctx.type.kind, group: Self.group, name: "",
                                       [.invalid("spec.resourceAttributes", .string("null"),
                                                 "exactly one of nonResourceAttributes or resourceAttributes must be specified")])
        }
        if ctx.type.kind != "SelfSubjectAccessReview" && user.name.isEmpty && user.groups.isEmpty {
            throw AuthHandlers.invalid(kind: ctx.type.kind, group: Self.group, name: "",
                                       [.required("spec.user", "at least one of user or group must be specified")])
        }
        var attrs: RequestAttributes
        if let ra {
            func s(_ k: String) -> String { ra[k]?.stringValue ?? "" }
            var ns = s("namespace")
            if ctx.type.kind == "LocalSubjectAccessReview" {
                let reqNS = ctx.info.namespace ?? ""
                if !ns.isEmpty && ns != reqNS {
                    throw AuthHandlers.invalid(kind: ctx.type.kind, group: Self.group, name: "",
                                               [.invalid("spec.resourceAttributes.namespace", .string(ns),
                                                         "must match metadata.namespace")])
                }
                ns = reqNS
            }
            attrs = .resource(user: user, verb: s("verb"), group: s("group"), version: s("version"), resource: s("resource"),
                              subresource: s("subresource"), namespace: ns, name: s("name"))
        } else {
            attrs = .nonResource(user: user, verb: nra?["verb"]?.stringValue ?? "", path: nra?["path"]?.stringValue ?? "")
        }
        var status: JSONValue = ["allowed": false]
        if let authorizer = server.authenticator.authorizer {
            let d = try await authorizer.authorize(attrs)
            status["allowed"] = .bool(d.allowed)
            if !d.reason.isEmpty { status["reason"] = .string(d.reason) }
        } else {
            status["allowed"] = true
        }
        review["status"] = status
        var meta = review["metadata"]?.objectValue ?? JSONObject()
        if meta["creationTimestamp"] == nil { meta["creationTimestamp"] = .null }
        review["metadata"] = .object(meta)
        return try APIServer.json(201, review)
    }

    /// Lists what the caller may do in spec.namespace.
    func rulesReview(_ ctx: RequestContext) async throws -> HTTPResponse {
        let review = try body(ctx)
        let ns = review[path: ["spec", "namespace"]]?.stringValue ?? ""
        guard !ns.isEmpty else { throw APIError.badRequest("no namespace on request") }
        let user = RBACUser(name: ctx.identity.user, groups: ctx.identity.groups)
        var rules = RBACPolicy.fullAuthority
        var errors: [RBACResolutionError] = []
        if let authorizer = server.authenticator.authorizer {
            (rules, errors) = try await authorizer.rules(for: user, namespace: ns)
        }
        var resourceRules: [JSONValue] = []
        var nonResourceRules: [JSONValue] = []
        func list(_ l: [String]) -> JSONValue { .array(l.map { .string($0) }) }
        for r in rules {
            if !r.resources.isEmpty {
                var o: JSONValue = ["verbs": list(r.verbs), "apiGroups": list(r.apiGroups), "resources": list(r.resources)]
                if !r.resourceNames.isEmpty { o["resourceNames"] = list(r.resourceNames) }
                resourceRules.append(o)
            }
            if !r.nonResourceURLs.isEmpty {
                nonResourceRules.append(["verbs": list(r.verbs), "nonResourceURLs": list(r.nonResourceURLs)])
            }
        }
        var status: JSONValue = ["resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules),
                                 "incomplete": false]
        if !errors.isEmpty { status["evaluationError"] = .string(RBACResolutionError.aggregate(errors)) }
        // kube answers with a fresh object: empty spec, only the status.
        let out: JSONValue = ["kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
                              "metadata": ["creationTimestamp": .null], "spec": .object(JSONObject()), "status": status]
        return try APIServer.json(201, out)
    }
}
