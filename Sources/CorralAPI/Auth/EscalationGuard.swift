import CorralModel
import Foundation
import NIOHTTP1

/// RBAC escalation prevention: a user may write a Role/ClusterRole only with
/// rules they already hold (or the `escalate` verb on it), and a binding only
/// to a role whose rules they hold (or the `bind` verb on it). system:masters
/// is exempt. The object to check is learned by running the same request as a
/// dry run first, so create, update, patch and apply are all covered.
struct EscalationGuard {
    /// Set while the guard itself runs the request, so it does not check twice.
    @TaskLocal static var running = false

    static let rbacGroup = "rbac.authorization.k8s.io"
    static let roleKinds: Set<String> = ["roles", "clusterroles"]
    static let bindingKinds: Set<String> = ["rolebindings", "clusterrolebindings"]

    let server: APIServer

    /// nil when the request needs no check (the caller goes on); otherwise the response,
    /// or a thrown 403 when the write would grant what the user does not hold.
    func check(_ ctx: RequestContext, next: @escaping (RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse? {
        let resource = ctx.type.resource
        guard !Self.running, ctx.type.group == Self.rbacGroup, Self.roleKinds.contains(resource) || Self.bindingKinds.contains(resource),
              ["create", "update", "patch"].contains(ctx.info.verb), ctx.info.subresource == nil,
              let authorizer = server.authenticator.authorizer, !ctx.identity.groups.contains(RBACPolicy.privilegedGroup)
        else { return nil }
        let user = RBACUser(name: ctx.identity.user, groups: ctx.identity.groups)
        let ns = ctx.type.namespaced ? (ctx.info.namespace ?? "") : ""
        if Self.roleKinds.contains(resource) {
            let escalate = RequestAttributes.resource(user: user, verb: "escalate", group: Self.rbacGroup, resource: resource,
                                                      namespace: ns, name: ctx.info.name ?? "")
            if try await authorizer.authorize(escalate).allowed { return nil }
        }
        // Learn the object this request would write (JSON, whatever the client asked for).
        var dry = ctx.request
        dry.query["dryRun"] = ["All"]
        dry.headers.replaceOrAdd(name: "Accept", value: "application/json")
        let preview = try await Self.$running.withValue(true) {
            try await next(RequestContext(request: dry, info: ctx.info, type: ctx.type, identity: ctx.identity))
        }
        guard (200..<300).contains(preview.status) else { return preview }
        guard case .bytes(let bytes) = preview.body, let obj = try? JSONParser.parse(bytes) else {
            throw APIError.internalError("cannot read the \(resource) this request would write")
        }
        let name = obj[path: ["metadata", "name"]]?.stringValue ?? ""
        var unchanged = false
        if ctx.info.verb != "create", let old = try? await server.objects.get(ctx.type, namespace: ns, name: name) {
            unchanged = Self.grants(old) == Self.grants(obj)
        }
        if !unchanged {
            try await confirm(obj, resource: resource, name: name, namespace: ns, user: user, authorizer: authorizer)
        }
        if ctx.dryRun { return preview }
        return try await Self.$running.withValue(true) { try await next(ctx) }
    }

    /// The parts of an RBAC object that grant anything.
    static func grants(_ obj: JSONValue) -> [JSONValue?] {
        [obj["rules"], obj["aggregationRule"], obj["roleRef"], obj["subjects"]]
    }

    func confirm(_ obj: JSONValue, resource: String, name: String, namespace: String, user: RBACUser,
                 authorizer: RBACAuthorizer) async throws {
        let needed: [PolicyRule]
        if Self.roleKinds.contains(resource) {
            needed = PolicyRule.rules(of: obj)
            if let agg = obj["aggregationRule"], !agg.isNull {
                let (owner, _) = try await authorizer.rules(for: user, namespace: namespace)
                if !RBACCovers.covers(owner: owner, servant: RBACPolicy.fullAuthority).covered {
                    throw RBACMessages.forbidden(group: Self.rbacGroup, resource: resource, name: name,
                                                 detail: "must have cluster-admin privileges to use the aggregationRule")
                }
            }
        } else {
            let binding = RBACBinding(json: obj)
            let roleResource = binding.roleRef.kind == "Role" ? "roles" : "clusterroles"
            let bind = RequestAttributes.resource(user: user, verb: "bind", group: Self.rbacGroup, resource: roleResource,
                                                  namespace: namespace, name: binding.roleRef.name)
            if try await authorizer.authorize(bind).allowed { return }
            switch try await authorizer.policy().roleReferenceRules(binding.roleRef, bindingNamespace: namespace) {
            case .success(let rules): needed = rules
            case .failure:
                let t = server.registry.lookup(group: Self.rbacGroup, version: "v1", resource: roleResource)!
                throw APIError.notFound(t, binding.roleRef.name)
            }
        }
        let (owner, errors) = try await authorizer.rules(for: user, namespace: namespace)
        let (ok, missing) = RBACCovers.covers(owner: owner, servant: needed)
        if !ok {
            throw RBACMessages.forbidden(group: Self.rbacGroup, resource: resource, name: name,
                                         detail: RBACCovers.escalationMessage(user: user, missing: missing, resolutionErrors: errors))
        }
    }
}
