/// An authenticated user as authorizers see it (Kubernetes `user.Info`).
public struct RBACUser: Equatable, Sendable {
    public var name: String
    public var uid: String
    public var groups: [String]
    /// Extra attributes (`authentication.kubernetes.io/credential-id`, pod name/uid for bound tokens).
    public var extra: [String: [String]]

    /// A user with groups (uid and extra optional).
    public init(name: String, uid: String = "", groups: [String], extra: [String: [String]] = [:]) {
        self.name = name
        self.uid = uid
        self.groups = groups
        self.extra = extra
    }

    /// `system:serviceaccount:NS:NAME` split into namespace and name; nil for other users.
    public var serviceAccount: (namespace: String, name: String)? {
        let prefix = "system:serviceaccount:"
        guard name.hasPrefix(prefix) else { return nil }
        let rest = name.dropFirst(prefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard rest.count == 2, !rest[0].isEmpty, !rest[1].isEmpty else { return nil }
        return (String(rest[0]), String(rest[1]))
    }

    /// The user name a service account authenticates as.
    public static func serviceAccountUsername(namespace: String, name: String) -> String {
        "system:serviceaccount:\(namespace):\(name)"
    }

    /// The groups every service account token carries.
    public static func serviceAccountGroups(namespace: String) -> [String] {
        ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"]
    }
}

/// What a request asks to do, in authorizer terms (kube's `authorizer.Attributes`).
/// Resource requests carry group/resource/subresource/name/namespace;
/// non-resource requests carry the URL path and a lower-cased HTTP method as verb.
public struct RequestAttributes: Equatable, Sendable {
    public var user: RBACUser
    public var verb: String
    public var isResourceRequest: Bool
    public var namespace: String
    public var apiGroup: String
    public var apiVersion: String
    public var resource: String
    public var subresource: String
    public var name: String
    public var path: String

    /// A resource request ("" for namespace means cluster scope or all namespaces).
    public static func resource(user: RBACUser, verb: String, group: String, version: String = "", resource: String,
                                subresource: String = "", namespace: String = "", name: String = "") -> RequestAttributes {
        RequestAttributes(user: user, verb: verb, isResourceRequest: true, namespace: namespace, apiGroup: group,
                          apiVersion: version, resource: resource, subresource: subresource, name: name, path: "")
    }

    /// A non-resource request such as `GET /version`.
    public static func nonResource(user: RBACUser, verb: String, path: String) -> RequestAttributes {
        RequestAttributes(user: user, verb: verb, isResourceRequest: false, namespace: "", apiGroup: "", apiVersion: "",
                          resource: "", subresource: "", name: "", path: path)
    }

    /// "pods" or "pods/log".
    public var combinedResource: String { subresource.isEmpty ? resource : "\(resource)/\(subresource)" }
}
