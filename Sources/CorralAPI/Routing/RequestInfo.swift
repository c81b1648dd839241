import CorralModel
import NIOHTTP1

/// What a resource request asks for, parsed from the URL the way
/// kube-apiserver's RequestInfoFactory does.
public struct RequestInfo: Equatable {
    public var group: String
    public var version: String
    public var namespace: String?
    public var resource: String
    public var name: String?
    public var subresource: String?
    /// get, list, watch, create, update, patch, delete, deletecollection.
    public var verb: String

    /// Parses "/api/v1/namespaces/ns/pods/name/status" style paths; nil when
    /// the path is not a resource path (discovery, health, unknown).
    public static func parse(path: String, method: HTTPMethod, watchParam: Bool) -> RequestInfo? {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard !parts.isEmpty else { return nil }
        var group = ""
        if parts[0] == "api" {
            guard parts.count >= 3 else { return nil }
            parts.removeFirst()
        } else if parts[0] == "apis" {
            guard parts.count >= 4 else { return nil }
            group = parts[1]
            parts.removeFirst(2)
        } else {
            return nil
        }
        let version = parts.removeFirst()
        var isWatch = watchParam
        if parts.first == "watch" {
            isWatch = true
            parts.removeFirst()
        }
        guard !parts.isEmpty else { return nil }
        var namespace: String?
        if parts[0] == "namespaces", parts.count >= 2 {
            // "namespaces/NAME/status" and "/finalize" are subresources of the namespace itself.
            if parts.count >= 3 && !["status", "finalize"].contains(parts[2]) {
                namespace = parts[1]
                parts.removeFirst(2)
            }
        }
        guard !parts.isEmpty, parts.count <= 3 else { return nil }
        let resource = parts[0]
        let name = parts.count >= 2 ? parts[1] : nil
        let sub = parts.count == 3 ? parts[2] : nil
        let verb: String
        switch method {
        case .GET, .HEAD: verb = isWatch ? "watch" : (name == nil ? "list" : "get")
        case .POST: verb = "create"
        case .PUT: verb = "update"
        case .PATCH: verb = "patch"
        case .DELETE: verb = name == nil ? "deletecollection" : "delete"
        default: verb = method.rawValue.lowercased()
        }
        return RequestInfo(group: group, version: version, namespace: namespace, resource: resource, name: name,
                           subresource: sub, verb: verb)
    }
}
