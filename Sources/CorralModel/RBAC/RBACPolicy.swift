/// The outcome of an authorization check: allowed or not, and kube's reason text
/// ("RBAC: allowed by ..." when allowed; resolution errors, if any, when denied).
public struct RBACDecision: Equatable, Sendable {
    public var allowed: Bool
    public var reason: String

    /// A decision with kube's reason text.
    public init(allowed: Bool, reason: String) {
        self.allowed = allowed
        self.reason = reason
    }
}

/// A snapshot of every Role, ClusterRole and binding, indexed for evaluation.
/// Pure: answers "may this user do this" and "what may this user do here"
/// exactly as kube-apiserver's RBAC authorizer and rule resolver do.
public struct RBACPolicy: Sendable {
    /// Members of this group are allowed everything without consulting RBAC (kube's privileged group).
    public static let privilegedGroup = "system:masters"

    /// name → ClusterRole.
    public private(set) var clusterRoles: [String: RBACRole] = [:]
    /// namespace → name → Role.
    public private(set) var roles: [String: [String: RBACRole]] = [:]
    /// Ordered by name, as an informer lister returns them.
    public private(set) var clusterRoleBindings: [RBACBinding] = []
    /// namespace → bindings ordered by name.
    public private(set) var roleBindings: [String: [RBACBinding]] = [:]

    /// Indexes already-parsed roles and bindings.
    public init(roles: [RBACRole] = [], clusterRoles: [RBACRole] = [], roleBindings: [RBACBinding] = [],
                clusterRoleBindings: [RBACBinding] = []) {
        for r in clusterRoles { self.clusterRoles[r.name] = r }
        for r in roles { self.roles[r.namespace ?? "", default: [:]][r.name] = r }
        self.clusterRoleBindings = clusterRoleBindings.sorted { $0.name < $1.name }
        for b in roleBindings.sorted(by: { $0.name < $1.name }) { self.roleBindings[b.namespace ?? "", default: []].append(b) }
    }

    /// Builds the snapshot from raw objects of the four RBAC kinds.
    public init(roleObjects: [JSONValue], clusterRoleObjects: [JSONValue], roleBindingObjects: [JSONValue],
                clusterRoleBindingObjects: [JSONValue]) {
        self.init(roles: roleObjects.map(RBACRole.init(json:)), clusterRoles: clusterRoleObjects.map(RBACRole.init(json:)),
                  roleBindings: roleBindingObjects.map(RBACBinding.init(json:)),
                  clusterRoleBindings: clusterRoleBindingObjects.map(RBACBinding.init(json:)))
    }

    /// The rules a binding's roleRef points at, or kube's lister error text when it is missing.
    public func roleReferenceRules(_ ref: RoleRef, bindingNamespace: String) -> Result<[PolicyRule], RBACResolutionError> {
        switch ref.kind {
        case "Role":
            guard let r = roles[bindingNamespace]?[ref.name] else {
                return .failure(RBACResolutionError("role.rbac.authorization.k8s.io \(goQuoted(ref.name)) not found"))
            }
            return .success(r.rules)
        case "ClusterRole":
            guard let r = clusterRoles[ref.name] else {
                return .failure(RBACResolutionError("clusterrole.rbac.authorization.k8s.io \(goQuoted(ref.name)) not found"))
            }
            return .success(r.rules)
        default:
            return .failure(RBACResolutionError("unsupported role reference kind: \(goQuoted(ref.kind))"))
        }
    }

    /// Calls `visit` with every rule that applies to `user` in `namespace` (cluster bindings first, then
    /// the namespace's RoleBindings), or with a resolution error. Returning false stops the walk.
    public func visitRules(for user: RBACUser, namespace: String,
                           _ visit: (_ binding: RBACBinding?, _ subject: RBACSubject?, _ rule: PolicyRule?, _ error: RBACResolutionError?) -> Bool) {
        for b in clusterRoleBindings {
            guard let s = b.subject(for: user) else { continue }
            switch roleReferenceRules(b.roleRef, bindingNamespace: "") {
            case .failure(let e): if !visit(nil, nil, nil, e) { return }
            case .success(let rules): for r in rules where !visit(b, s, r, nil) { return }
            }
        }
        guard !namespace.isEmpty else { return }
        for b in roleBindings[namespace] ?? [] {
            guard let s = b.subject(for: user) else { continue }
            switch roleReferenceRules(b.roleRef, bindingNamespace: namespace) {
            case .failure(let e): if !visit(nil, nil, nil, e) { return }
            case .success(let rules): for r in rules where !visit(b, s, r, nil) { return }
            }
        }
    }

    /// Decides a request: members of system:masters always; otherwise the first RBAC rule that allows it.
    public func authorize(_ a: RequestAttributes) -> RBACDecision {
        if a.user.groups.contains(Self.privilegedGroup) { return RBACDecision(allowed: true, reason: "") }
        var errors: [RBACResolutionError] = []
        var decision: RBACDecision?
        visitRules(for: a.user, namespace: a.namespace) { binding, subject, rule, error in
            if let rule, let binding, let subject, rule.allows(a) {
                decision = RBACDecision(allowed: true, reason: "RBAC: allowed by \(binding.describe(subject))")
                return false
            }
            if let error { errors.append(error) }
            return true
        }
        if let decision { return decision }
        return RBACDecision(allowed: false, reason: errors.isEmpty ? "" : "RBAC: " + RBACResolutionError.aggregate(errors))
    }

    /// Every rule `user` holds in `namespace` ("" = cluster bindings only), plus resolution errors.
    /// Members of system:masters get the all-powerful rules first.
    public func rules(for user: RBACUser, namespace: String) -> (rules: [PolicyRule], errors: [RBACResolutionError]) {
        // The privileged-group authorizer runs first in kube's union and reports full authority.
        var rules: [PolicyRule] = user.groups.contains(Self.privilegedGroup) ? Self.fullAuthority : []
        var errors: [RBACResolutionError] = []
        visitRules(for: user, namespace: namespace) { _, _, rule, error in
            if let rule { rules.append(rule) }
            if let error { errors.append(error) }
            return true
        }
        return (rules, errors)
    }

    /// `*` on everything, resource and non-resource (cluster-admin).
    public static let fullAuthority = [
        PolicyRule(verbs: ["*"], apiGroups: ["*"], resources: ["*"]),
        PolicyRule(verbs: ["*"], nonResourceURLs: ["*"]),
    ]
}

/// A binding whose role cannot be resolved; carried into denial reasons and rules reviews.
public struct RBACResolutionError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    /// An error with kube's message text.
    public init(_ description: String) { self.description = description }

    /// Go's utilerrors.NewAggregate(...).Error(): one message as is, several as "[a, b]".
    public static func aggregate(_ errors: [RBACResolutionError]) -> String {
        errors.count == 1 ? errors[0].description : "[" + errors.map(\.description).joined(separator: ", ") + "]"
    }
}
