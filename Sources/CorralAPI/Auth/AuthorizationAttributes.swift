import CorralModel
import Foundation
import NIOHTTP1

/// Turns an HTTP request into authorizer attributes the way kube-apiserver's
/// RequestInfoFactory does.
enum AuthorizationAttributes {
    /// Subresources whose websocket GET also needs "create" (kube's AuthorizePodWebsocketUpgradeCreatePermission).
    static let upgradeSubresources: Set<String> = ["exec", "attach", "portforward"]

    /// The attributes of `req` made by `user`.
    static func of(_ req: HTTPRequest, user: RBACUser) -> RequestAttributes {
        let path = req.path.count > 1 && req.path.hasSuffix("/") ? String(req.path.dropLast()) : req.path
        let watch = req.param("watch") == "true" || req.param("watch") == "1"
        guard let info = RequestInfo.parse(path: path, method: req.method, watchParam: watch) else {
            return .nonResource(user: user, verb: req.method.rawValue.lowercased(), path: req.path)
        }
        var name = info.name ?? ""
        var namespace = info.namespace ?? ""
        // A list or watch narrowed to one object by name is authorized for that name.
        if name.isEmpty, info.verb == "list" || info.verb == "watch", let fs = req.param("fieldSelector") {
            name = singleName(fieldSelector: fs) ?? ""
        }
        // Requests on a namespace object are "in" that namespace (so a RoleBinding can grant `get ns/dev`).
        if info.resource == "namespaces" && info.group.isEmpty && namespace.isEmpty { namespace = name }
        return .resource(user: user, verb: info.verb, group: info.group, version: info.version, resource: info.resource,
                         subresource: info.subresource ?? "", namespace: namespace, name: name)
    }

    /// `metadata.name=X` (or `==`) when it is the selector's only term.
    static func singleName(fieldSelector: String) -> String? {
        guard !fieldSelector.contains(",") else { return nil }
        for op in ["==", "="] {
            let parts = fieldSelector.components(separatedBy: op)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == "metadata.name" {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// The extra check a websocket GET on pods/exec|attach|portforward needs, if any.
    static func upgradeCheck(_ a: RequestAttributes) -> RequestAttributes? {
        guard a.isResourceRequest, a.verb == "get", a.apiGroup.isEmpty, a.resource == "pods",
              upgradeSubresources.contains(a.subresource) else { return nil }
        var c = a
        c.verb = "create"
        return c
    }
}
