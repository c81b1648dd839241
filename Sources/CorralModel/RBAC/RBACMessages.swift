/// 403 errors worded exactly as kube-apiserver words them.
public enum RBACMessages {
    /// apimachinery's NewForbidden: `pods "x" is forbidden: <detail>` (group-qualified resource),
    /// or `forbidden: <detail>` when there is no resource.
    public static func forbidden(group: String, resource: String, name: String, detail: String) -> APIError {
        let qualified = group.isEmpty ? resource : "\(resource).\(group)"
        let message: String
        if qualified.isEmpty {
            message = "forbidden: \(detail)"
        } else if name.isEmpty {
            message = "\(qualified) is forbidden: \(detail)"
        } else {
            message = "\(qualified) \(goQuoted(name)) is forbidden: \(detail)"
        }
        return APIError(code: 403, reason: "Forbidden", message: message, name: name.isEmpty ? nil : name,
                        group: group.isEmpty ? nil : group, kind: resource.isEmpty ? nil : resource)
    }

    /// The denial of a request by the authorizer: `User "alice" cannot list resource "pods" in API
    /// group "" in the namespace "default"`, with the authorizer's reason appended after ": ".
    public static func denied(_ a: RequestAttributes, reason: String) -> APIError {
        let q = goQuoted
        var detail: String
        if !a.isResourceRequest {
            detail = "User \(q(a.user.name)) cannot \(a.verb) path \(q(a.path))"
        } else if !a.namespace.isEmpty {
            detail = "User \(q(a.user.name)) cannot \(a.verb) resource \(q(a.combinedResource)) in API group \(q(a.apiGroup)) in the namespace \(q(a.namespace))"
        } else {
            detail = "User \(q(a.user.name)) cannot \(a.verb) resource \(q(a.combinedResource)) in API group \(q(a.apiGroup)) at the cluster scope"
        }
        if !reason.isEmpty { detail += ": " + reason }
        return forbidden(group: a.isResourceRequest ? a.apiGroup : "", resource: a.isResourceRequest ? a.resource : "",
                         name: a.name, detail: detail)
    }
}
