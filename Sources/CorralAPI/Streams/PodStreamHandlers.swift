import CorralModel
import Foundation
import NIOHTTP1

/// The streaming subresources of pods: log, exec, attach, portforward.
/// Validates like kube-apiserver, asks the node for the stream, and speaks the
/// client's wire protocol (chunked text, WebSocket channels, SPDY).
struct PodStreamHandlers {
    /// Subresources served here.
    static let subresources: Set<String> = ["log", "exec", "attach", "portforward"]

    let server: APIServer

    func serve(_ ctx: RequestContext) async throws -> HTTPResponse {
        guard let namespace = ctx.info.namespace, let name = ctx.info.name, let sub = ctx.info.subresource else {
            throw APIError.notFoundPath()
        }
        let method = ctx.request.method
        if sub == "log" ? method != .GET : (method != .GET && method != .POST) { throw APIError.methodNotAllowed() }
        let pod = try await server.objects.get(ctx.type, namespace: namespace, name: name)
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        let query = ctx.request.query
        switch sub {
        case "log":
            let options = try PodLogOptions.parse(query: query, podName: name)
            let container = try StreamRequests.resolveContainer(options.container, pod: pod)
            // kube-apiserver answers an empty log for a pod not yet on a node.
            if (pod[path: ["spec", "nodeName"]]?.stringValue ?? "").isEmpty { return Self.textResponse([]) }
            let reader = try await node().logs(ContainerRef(namespace: namespace, pod: name, uid: uid, container: container), options: options)
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: .stream { out in
                while let chunk = try? await reader.read() {
                    do { try await out.write(chunk) } catch { return }
                }
            })
        case "exec", "attach":
            let stdio = try StreamRequests.stdio(query)
            let command = sub == "exec" ? try StreamRequests.command(query) : []
            let container = try StreamRequests.resolveContainer(query["container"]?.first, pod: pod)
            try StreamRequests.requireNode(pod)
            let nodeStreams = try node()
            let target = ContainerRef(namespace: namespace, pod: name, uid: uid, container: container)
            let headers = ctx.request.headers
            if WebSocketHandshake.isWebSocketRequest(headers) {
                let hs = try WebSocketHandshake.responseHeaders(headers, supported: ChannelProtocol.supportedNames)
                guard let proto = ChannelProtocol(name: hs.protocol) else { throw APIError.badRequest("unable to upgrade: unsupported protocol") }
                let session = try await Self.start(sub, nodeStreams, target, command, stdio)
                let runner = RemoteCommandWebSocket(proto: proto, stdio: stdio, session: session, outcome: Self.outcome(sub, command))
                return WebSocketConnection.upgrade(handshake: hs.headers, abandoned: { await session.detach() }) { conn, reader in
                    await runner.serve(conn, &reader)
                }
            }
            if WebSocketHandshake.isSPDYRequest(headers) {
                let requested = headers[canonicalForm: "X-Stream-Protocol-Version"].map(String.init)
                let negotiated = try SPDYUpgrade.negotiate(requested, supported: RemoteCommandSPDY.supportedProtocols)
                let session = try await Self.start(sub, nodeStreams, target, command, stdio)
                let handler = RemoteCommandSPDY(protocolName: negotiated, stdio: stdio, session: session, outcome: Self.outcome(sub, command))
                return SPDYUpgrade.response(protocol: negotiated, handler: handler, abandoned: { await session.detach() })
            }
            throw Self.upgradeRequired()
        case "portforward":
            try StreamRequests.requireNode(pod)
            let nodeStreams = try node()
            let target = PodRef(namespace: namespace, pod: name, uid: uid)
            let headers = ctx.request.headers
            if WebSocketHandshake.isWebSocketRequest(headers) {
                let hs = try WebSocketHandshake.responseHeaders(headers, supported: Self.portForwardWebSocketProtocols)
                if hs.protocol == SPDYUpgrade.tunnelProtocol {
                    let handler = PortForwardSPDY(node: nodeStreams, pod: target)
                    return WebSocketConnection.upgrade(handshake: hs.headers) { conn, reader in
                        await SPDYUpgrade.serveTunnel(conn, &reader, handler: handler)
                    }
                }
                guard let proto = ChannelProtocol(name: hs.protocol) else { throw APIError.badRequest("unable to upgrade: unsupported protocol") }
                let runner = PortForwardWebSocket(proto: proto, ports: try StreamRequests.ports(query), node: nodeStreams, pod: target)
                return WebSocketConnection.upgrade(handshake: hs.headers) { conn, reader in await runner.serve(conn, &reader) }
            }
            if WebSocketHandshake.isSPDYRequest(headers) {
                let requested = headers[canonicalForm: "X-Stream-Protocol-Version"].map(String.init)
                let negotiated = try SPDYUpgrade.negotiate(requested, supported: [SPDYUpgrade.portForwardProtocol])
                return SPDYUpgrade.response(protocol: negotiated, handler: PortForwardSPDY(node: nodeStreams, pod: target))
            }
            throw Self.upgradeRequired()
        default:
            throw APIError.notFoundPath()
        }
    }

    /// What the error channel reports: exec reports exit codes, attach only failures.
    static func outcome(_ sub: String, _ command: [String]) -> @Sendable (ExitStatus) -> RemoteCommandOutcome {
        let isExec = sub == "exec"
        return { status in isExec ? RemoteCommandOutcome.exec(status, command: command) : RemoteCommandOutcome.attach(status) }
    }

    /// Starts the session. An APIError from the node is answered before the upgrade;
    /// any other failure is reported after it, on the error channel, as kubelet does.
    static func start(_ sub: String, _ node: any NodeStreams, _ target: ContainerRef, _ command: [String],
                      _ stdio: StdioOptions) async throws -> any StreamSession {
        do {
            return sub == "exec" ? try await node.exec(target, command: command, stdio: stdio) : try await node.attach(target, stdio: stdio)
        } catch let e as APIError {
            throw e
        } catch {
            return FailedSession(message: describe(error))
        }
    }

    /// The debug host shim when explicitly enabled (tests), else the node's streams, else 503.
    func node() throws -> any NodeStreams {
        if let n = DebugHostStreams.fromEnvironment ?? server.nodeStreams { return n }
        throw APIError(code: 503, reason: "ServiceUnavailable", message: "container runtime is not available: no node agent is running on this server")
    }

    /// WebSocket subprotocols for port-forward: kubectl's SPDY tunnel, kubelet's v4 channels (Python client).
    static let portForwardWebSocketProtocols = [SPDYUpgrade.tunnelProtocol, "v4.channel.k8s.io", "v4.base64.channel.k8s.io", ""]

    static func upgradeRequired() -> APIError { APIError.badRequest("Upgrade request required") }

    static func textResponse(_ bytes: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: 200, headers: [("Content-Type", "text/plain")], body: .bytes(bytes))
    }
}

/// A session that could not start: no streams, ends at once with the failure.
struct FailedSession: StreamSession {
    let message: String
    var stdin: (any ByteWriter)? { nil }
    var stdout: (any ByteReader)? { nil }
    var stderr: (any ByteReader)? { nil }
    func resize(_ size: TerminalSize) async {}
    func wait() async -> ExitStatus { .failed(message) }
    func detach() async {}
}
