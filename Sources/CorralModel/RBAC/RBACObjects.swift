/// A binding's subject: a User, Group or ServiceAccount.
public struct RBACSubject: Equatable, Sendable {
    public var kind: String
    public var name: String
    /// Only for ServiceAccount; empty means "the binding's namespace".
    public var namespace: String

    /// A subject; `namespace` only matters for ServiceAccount.
    public init(kind: String, name: String, namespace: String = "") {
        self.kind = kind
        self.name = name
        self.namespace = namespace
    }

    /// Reads a `subjects[]` entry.
    public init(json: JSONValue) {
        self.init(kind: json["kind"]?.stringValue ?? "", name: json["name"]?.stringValue ?? "",
                  namespace: json["namespace"]?.stringValue ?? "")
    }

    /// Whether this subject names `user` (kube's appliesToUser). `bindingNamespace` defaults a
    /// ServiceAccount subject's namespace; "" for ClusterRoleBindings.
    public func applies(to user: RBACUser, bindingNamespace: String) -> Bool {
        switch kind {
        case "User": return user.name == name
        case "Group": return user.groups.contains(name)
        case "ServiceAccount":
            let ns = namespace.isEmpty ? bindingNamespace : namespace
            guard !ns.isEmpty else { return false }
            return user.name == RBACUser.serviceAccountUsername(namespace: ns, name: name)
        default: return false
        }
    }

    /// `ServiceAccount "alice/dev"` / `User "bob"`, as in kube's "allowed by" reasons.
    func describe(bindingNamespace: String) -> String {
        if kind == "ServiceAccount" {
            let ns = namespace.isEmpty ? bindingNamespace : namespace
            return "\(kind) \(goQuoted(name + "/" + ns))"
        }
        return "\(kind) \(goQuoted(name))"
    }
}

/// A binding's reference to a Role or ClusterRole.
public struct RoleRef: Equatable, Sendable {
    public var kind: String
    public var name: String

    /// A reference to a "Role" or "ClusterRole" by name.
    public init(kind: String, name: String) {
        self.kind = kind
        self.name = name
    }
}

/// A Role or ClusterRole, reduced to what authorization needs.
public struct RBACRole: Equatable, Sendable {
    public var name: String
    /// nil for a ClusterRole.
    public var namespace: String?
    public var rules: [PolicyRule]
    public var labels: [String: String]
    /// ClusterRole aggregationRule.clusterRoleSelectors (raw LabelSelector objects); nil when not aggregated.
    public var aggregationSelectors: [JSONValue]?

    /// A role; `namespace` nil for a ClusterRole.
    public init(name: String, namespace: String? = nil, rules: [PolicyRule], labels: [String: String] = [:],
                aggregationSelectors: [JSONValue]? = nil) {
        self.name = name
        self.namespace = namespace
        self.rules = rules
        self.labels = labels
        self.aggregationSelectors = aggregationSelectors
    }

    /// Reads a Role or ClusterRole object.
    public init(json: JSONValue) {
        let ns = json[path: ["metadata", "namespace"]]?.stringValue
        self.init(name: json[path: ["metadata", "name"]]?.stringValue ?? "", namespace: (ns?.isEmpty ?? true) ? nil : ns,
                  rules: PolicyRule.rules(of: json), labels: LabelSelector.labels(of: json),
                  aggregationSelectors: json[path: ["aggregationRule", "clusterRoleSelectors"]]?.arrayValue)
    }
}

/// A RoleBinding or ClusterRoleBinding, reduced to what authorization needs.
public struct RBACBinding: Equatable, Sendable {
    public var name: String
    /// nil for a ClusterRoleBinding.
    public var namespace: String?
    public var roleRef: RoleRef
    public var subjects: [RBACSubject]

    /// A binding; `namespace` nil for a ClusterRoleBinding.
    public init(name: String, namespace: String? = nil, roleRef: RoleRef, subjects: [RBACSubject]) {
        self.name = name
        self.namespace = namespace
        self.roleRef = roleRef
        self.subjects = subjects
    }

    /// Reads a RoleBinding or ClusterRoleBinding object.
    public init(json: JSONValue) {
        let ns = json[path: ["metadata", "namespace"]]?.stringValue
        self.init(name: json[path: ["metadata", "name"]]?.stringValue ?? "", namespace: (ns?.isEmpty ?? true) ? nil : ns,
                  roleRef: RoleRef(kind: json[path: ["roleRef", "kind"]]?.stringValue ?? "",
                                   name: json[path: ["roleRef", "name"]]?.stringValue ?? ""),
                  subjects: json["subjects"]?.arrayValue?.map(RBACSubject.init(json:)) ?? [])
    }

    /// The first subject that names `user`, if any.
    public func subject(for user: RBACUser) -> RBACSubject? {
        subjects.first { $0.applies(to: user, bindingNamespace: namespace ?? "") }
    }

    /// `ClusterRoleBinding "x" of ClusterRole "y" to Group "z"` / `RoleBinding "x/ns" of Role "y" to ...`.
    func describe(_ subject: RBACSubject) -> String {
        let q = goQuoted
        if let ns = namespace {
            return "RoleBinding \(q(name + "/" + ns)) of \(roleRef.kind) \(q(roleRef.name)) to \(subject.describe(bindingNamespace: ns))"
        }
        return "ClusterRoleBinding \(q(name)) of \(roleRef.kind) \(q(roleRef.name)) to \(subject.describe(bindingNamespace: ""))"
    }
}
