import CorralModel
import CorralStore
import Foundation
import Logging
import NIOHTTP1

/// Static facts the API server reports (version, node address).
public struct ServerInfo: Sendable {
    public var gitVersion = "v1.32.0+corral"
    public var advertiseAddress: String
    public init(advertiseAddress: String) { self.advertiseAddress = advertiseAddress }
}

/// The Kubernetes API: authenticates, routes, runs the verb, and renders
/// every failure as a `Status` (this is the one place errors become HTTP).
public final class APIServer: HTTPRequestHandler, @unchecked Sendable {
    public let objects: ObjectService
    public let registry: ResourceRegistry
    public let info: ServerInfo
    let authenticator: Authenticator
    let logger: Logger
    /// Flipped once startup work (bootstrap objects) is done.
    public var ready = false
    /// Seconds between watch bookmarks when a client asks for them.
    public var bookmarkInterval: Double = 5
    /// The node's log/exec/attach/port-forward streams; nil answers those subresources with 503.
    public var nodeStreams: (any NodeStreams)?
    /// The node's VM operations (pause, console, vnc…); nil answers those subresources with 503.
    public var virtNode: (any VirtNode)?

    public init(objects: ObjectService, info: ServerInfo, authenticator: Authenticator, logger: Logger) {
        self.objects = objects
        self.registry = objects.registry
        self.info = info
        self.authenticator = authenticator
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        let start = DispatchTime.now()
        let auditID = UUID().uuidString.lowercased()
        var user = "-"
        var response: HTTPResponse
        do {
            guard let authenticated = await authenticator.authenticate(request) else { throw APIError.unauthorized() }
            user = authenticated.user
            // RBAC (when enabled) decides before routing, so unknown paths are 403, not 404, as in kube.
            let identity = try await authenticator.authorize(request, identity: authenticated)
            response = try await route(request, identity: identity)
        } catch let e as APIError {
            response = APIServer.statusResponse(e)
        } catch let e as StoreError {
            if case .compacted = e { response = APIServer.statusResponse(.expired(e.description)) } else {
                response = APIServer.statusResponse(.internalError(e.description))
            }
        } catch {
            response = APIServer.statusResponse(.internalError("\(error)"))
        }
        response.headers.append(("Audit-Id", auditID))
        response.headers.append(("Cache-Control", "no-cache, private"))
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        logger.info("access", metadata: [
            "audit": .string(auditID), "user": .string(user), "method": .string(request.method.rawValue),
            "uri": .string(request.uri), "code": .stringConvertible(response.status),
            "ms": .string(String((ms * 100).rounded() / 100)), "remote": .string(request.remoteAddress),
        ])
        return response
    }

    func route(_ req: HTTPRequest, identity: Identity) async throws -> HTTPResponse {
        if req.bodyTooLarge { throw APIError.tooLarge(limit: HTTPServer.maxBodyBytes) }
        let path = req.path.count > 1 && req.path.hasSuffix("/") ? String(req.path.dropLast()) : req.path
        switch path {
        case "/healthz", "/livez", "/readyz":
            guard req.method == .GET || req.method == .HEAD else { throw APIError.methodNotAllowed() }
            if path == "/readyz" && !ready { return HTTPResponse(status: 500, headers: [("Content-Type", "text/plain")], body: .bytes(Array("[-]startup not finished\nreadyz check failed".utf8))) }
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .bytes(Array("ok".utf8)))
        case "/version":
            return try Self.json(200, Discovery.version(info))
        case "/api", "/apis":
            guard req.method == .GET else { throw APIError.methodNotAllowed() }
            let accept = req.headers.first(name: "Accept") ?? ""
            if accept.contains("as=APIGroupDiscoveryList") {
                let v = accept.contains("v=v2beta1") && !accept.contains("v=v2;") ? "v2beta1" : "v2"
                let doc = Discovery.aggregated(registry, core: path == "/api", version: v)
                return HTTPResponse(status: 200, headers: [("Content-Type", "application/json;g=apidiscovery.k8s.io;v=\(v);as=APIGroupDiscoveryList")],
                                    body: .bytes(doc.serialized()))
            }
            return try Self.json(200, path == "/api" ? Discovery.apiVersions(info) : Discovery.groupList(registry))
        default:
            break
        }
        let parts = path.split(separator: "/").map(String.init)
        if KubeVirtSubresources.handles(parts) { return try await KubeVirtSubresources(server: self).serve(req, parts: parts) }
        if parts.first == "openapi" {
            guard req.method == .GET else { throw APIError.methodNotAllowed() }
            if parts.count == 2 && parts[1] == "v3" { return try Self.json(200, OpenAPI.index(registry)) }
            if parts.count >= 4 && parts[1] == "v3" {
                let group = parts[2] == "api" ? "" : parts[3]
                let version = parts.last!
                if (parts[2] == "api" && parts.count == 4) || (parts[2] == "apis" && parts.count == 5),
                   !registry.types(group: group, version: version).isEmpty {
                    return try Self.json(200, OpenAPI.document(registry, group: group, version: version),
                                         extraHeaders: [("Cache-Control", "public, immutable")])
                }
            }
            throw APIError.notFoundPath()
        }
        if parts.first == "apis", parts.count == 2 {
            guard let g = Discovery.group(registry, parts[1]) else { throw APIError.notFoundPath() }
            return try Self.json(200, g)
        }
        if (parts.first == "api" && parts.count == 2) || (parts.first == "apis" && parts.count == 3) {
            let group = parts.first == "api" ? "" : parts[1]
            guard let list = Discovery.resourceList(registry, group: group, version: parts.last!) else { throw APIError.notFoundPath() }
            return try Self.json(200, list)
        }
        guard let info = RequestInfo.parse(path: path, method: req.method, watchParam: req.param("watch") == "true" || req.param("watch") == "1") else {
            throw APIError.notFoundPath()
        }
        guard let type = registry.lookup(group: info.group, version: info.version, resource: info.resource) else {
            throw APIError.notFoundPath()
        }
        if type.namespaced == false && info.namespace != nil { throw APIError.notFoundPath() }
        if let sub = info.subresource, !type.subresources.contains(sub), !(type.storageKey == "namespaces" && sub == "finalize") {
            throw APIError.notFoundPath()
        }
        // fieldValidation and single-node warnings (FieldValidationGate.swift).
        let checked = try FieldValidationGate.check(req, info: info, type: type)
        let ctx = RequestContext(request: checked.request, info: info, type: type, identity: identity)
        if type.group.isEmpty && type.resource == "pods", let sub = info.subresource, PodStreamHandlers.subresources.contains(sub) {
            return try await PodStreamHandlers(server: self).serve(ctx)
        }
        return try await FieldValidationGate.respond(warnings: checked.warnings) { try await ResourceHandlers(server: self).serve(ctx) }
    }

    // MARK: response helpers

    static func json(_ status: Int, _ value: JSONValue, extraHeaders: [(String, String)] = []) throws -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")] + extraHeaders, body: .bytes(value.serialized()))
    }

    /// The single translation of an APIError into an HTTP response.
    public static func statusResponse(_ e: APIError) -> HTTPResponse {
        var headers = [("Content-Type", "application/json")]
        if e.code == 401 { headers.append(("WWW-Authenticate", "Bearer realm=\"corral\"")) }
        return HTTPResponse(status: e.code, headers: headers, body: .bytes(e.status.serialized()))
    }
}

/// Everything a resource handler needs about one request.
struct RequestContext {
    let request: HTTPRequest
    let info: RequestInfo
    let type: ResourceType
    let identity: Identity

    var dryRun: Bool { request.query["dryRun"]?.contains("All") ?? false }
    func param(_ n: String) -> String? { request.param(n) }

    /// An integer query parameter; a malformed one is a 400 as in kube-apiserver.
    func intParam(_ n: String) throws -> Int64? {
        guard let raw = param(n), !raw.isEmpty else { return nil }
        guard let v = Int64(raw) else {
            throw APIError.badRequest("\(n): Invalid value: \"\(raw)\": must be an integer")
        }
        return v
    }
}
