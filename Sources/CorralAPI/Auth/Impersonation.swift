import CorralModel
import NIOHTTP1

/// `Impersonate-User` / `Impersonate-Group` / `Impersonate-Uid` / `Impersonate-Extra-*`
/// headers (`kubectl --as`, `--as-group`): who the request should run as, and the
/// `impersonate` checks the real user must pass for each part, as kube's filter does.
enum Impersonation {
    struct Plan {
        var identity: Identity
        var checks: [RequestAttributes]
    }

    /// nil when the request impersonates nobody; throws 400 for groups/extras without a user.
    static func plan(_ headers: HTTPHeaders, requester: RBACUser) throws -> Plan? {
        let user = headers.first(name: "Impersonate-User")
        let groups = headers[canonicalForm: "Impersonate-Group"].map(String.init)
        let uid = headers.first(name: "Impersonate-Uid")
        let extras = headers.filter { $0.name.lowercased().hasPrefix("impersonate-extra-") }
        guard let user else {
            if !groups.isEmpty || uid != nil || !extras.isEmpty {
                throw APIError.badRequest("requested impersonation of groups, uid or extras without impersonating a user")
            }
            return nil
        }
        var checks: [RequestAttributes] = []
        var effectiveGroups: [String] = []
        let asUser = RBACUser(name: user, groups: [])
        if let sa = asUser.serviceAccount {
            checks.append(.resource(user: requester, verb: "impersonate", group: "", resource: "serviceaccounts",
                                    namespace: sa.namespace, name: sa.name))
            effectiveGroups = RBACUser.serviceAccountGroups(namespace: sa.namespace).filter { $0 != "system:authenticated" }
        } else {
            checks.append(.resource(user: requester, verb: "impersonate", group: "", resource: "users", name: user))
        }
        for g in groups {
            checks.append(.resource(user: requester, verb: "impersonate", group: "", resource: "groups", name: g))
            if !effectiveGroups.contains(g) { effectiveGroups.append(g) }
        }
        if let uid {
            checks.append(.resource(user: requester, verb: "impersonate", group: "authentication.k8s.io", resource: "uids", name: uid))
        }
        for (name, value) in extras {
            let key = String(name.dropFirst("impersonate-extra-".count)).lowercased()
            checks.append(.resource(user: requester, verb: "impersonate", group: "authentication.k8s.io", resource: "userextras",
                                    subresource: key, name: value))
        }
        if user != "system:anonymous" && !effectiveGroups.contains("system:authenticated") {
            effectiveGroups.append("system:authenticated")
        }
        return Plan(identity: Identity(user: user, groups: effectiveGroups), checks: checks)
    }
}
