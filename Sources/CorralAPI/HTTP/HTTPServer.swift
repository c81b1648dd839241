import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import CorralPKI

/// Who made a request, as established by TLS client certificate or token.
public struct Identity: Sendable, Equatable {
    public var user: String
    public var groups: [String]
    public init(user: String, groups: [String]) {
        self.user = user
        self.groups = groups
    }
}

/// A fully read request. Bodies over the limit are dropped and flagged.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var uri: String
    public var path: String
    public var query: [String: [String]]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var bodyTooLarge: Bool
    /// Identity from a verified client certificate, if one was presented.
    public var certificateIdentity: Identity?
    public var remoteAddress: String

    /// First value of a query parameter.
    public func param(_ name: String) -> String? { query[name]?.first }
}

/// Streams a response body (watch, logs). `write` throws once the client is gone.
public protocol ResponseStream: Sendable {
    func write(_ bytes: [UInt8]) async throws
}

/// Switches a connection to another protocol (WebSocket, SPDY) after a 101 response.
public struct ConnectionUpgrade: Sendable {
    /// Runs on the channel's event loop once the 101 is written and the HTTP
    /// handlers are gone; adds the new protocol's handlers and starts serving it.
    public var install: @Sendable (any Channel) throws -> Void
    /// Runs instead when the switch fails (connection gone): release what the upgrade was for.
    public var abandoned: @Sendable () async -> Void

    public init(install: @escaping @Sendable (any Channel) throws -> Void, abandoned: @escaping @Sendable () async -> Void = {}) {
        self.install = install
        self.abandoned = abandoned
    }
}

/// A response: a complete body, a producer that streams chunks, or a protocol switch.
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        case stream(@Sendable (any ResponseStream) async -> Void)
        /// Status must be 101; the headers carry the handshake (Upgrade, Connection, ...).
        case upgrade(ConnectionUpgrade)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, headers: [(String, String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Answers requests; implemented by the API router.
public protocol HTTPRequestHandler: Sendable {
    func handle(_ request: HTTPRequest) async -> HTTPResponse
}

/// The TLS + HTTP/1.1 listener, on SwiftNIO.
public final class HTTPServer: @unchecked Sendable {
    /// Largest request body accepted; kube-apiserver's limit is 3 MiB.
    public static let maxBodyBytes = 3 * 1024 * 1024

    let group: MultiThreadedEventLoopGroup
    let handler: any HTTPRequestHandler
    let sslContext: NIOSSLContext
    let logger: Logger
    var channel: (any Channel)?

    public init(handler: any HTTPRequestHandler, tls: TLSConfiguration, threads: Int = System.coreCount, logger: Logger) throws {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.handler = handler
        self.sslContext = try NIOSSLContext(configuration: tls)
        self.logger = logger
    }

    /// Binds and starts serving; returns the bound port.
    @discardableResult
    public func start(host: String, port: Int) throws -> Int {
        let ssl = sslContext
        let handler = self.handler
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: ssl))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(RequestChannelHandler(handler: handler))
                }
            }
        let ch = try bootstrap.bind(host: host, port: port).wait()
        channel = ch
        return ch.localAddress?.port ?? port
    }

    /// Stops listening and shuts the event loops down.
    public func stop() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// Collects one request at a time (pipelining assistance keeps order) and
/// hands it to the async handler.
final class RequestChannelHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let handler: any HTTPRequestHandler
    var head: HTTPRequestHead?
    var body: [UInt8] = []
    var tooLarge = false
    var task: Task<Void, Never>?

    init(handler: any HTTPRequestHandler) { self.handler = handler }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            tooLarge = false
        case .body(var buf):
            if tooLarge { return }
            if body.count + buf.readableBytes > HTTPServer.maxBodyBytes {
                tooLarge = true
                body = []
            } else if let bytes = buf.readBytes(length: buf.readableBytes) {
                body.append(contentsOf: bytes)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            dispatch(context: context, head: head)
        }
    }

    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let (path, query) = parseURI(head.uri)
        var identity: Identity?
        if let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
           let cert = tls.peerCertificate, let der = try? cert.toDERBytes(),
           let id = PKI.identity(fromDER: der)
        {
            identity = Identity(user: id.user, groups: id.groups)
        }
        let request = HTTPRequest(method: head.method, uri: head.uri, path: path, query: query, headers: head.headers,
                                  body: body, bodyTooLarge: tooLarge, certificateIdentity: identity,
                                  remoteAddress: context.remoteAddress?.description ?? "")
        body = []
        let channel = context.channel
        let keepAlive = head.isKeepAlive
        let version = head.version
        let handler = self.handler
        task = Task {
            let response = await handler.handle(request)
            await RequestChannelHandler.send(response, on: channel, version: version, keepAlive: keepAlive)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        task?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    static func send(_ response: HTTPResponse, on channel: any Channel, version: HTTPVersion, keepAlive: Bool) async {
        var headers = HTTPHeaders()
        for (k, v) in response.headers { headers.add(name: k, value: v) }
        switch response.body {
        case .bytes(let bytes):
            headers.replaceOrAdd(name: "Content-Length", value: String(bytes.count))
            if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
            let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            if !bytes.isEmpty {
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes))), promise: nil)
            }
            try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !keepAlive { channel.close(promise: nil) }
        case .stream(let producer):
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
            let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
            channel.writeAndFlush(HTTPServerResponsePart.head(head), promise: nil)
            await producer(ChannelResponseStream(channel: channel))
            try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !keepAlive { channel.close(promise: nil) }
        case .upgrade(let upgrade):
            let head = HTTPResponseHead(version: version, status: .switchingProtocols, headers: headers)
            // One event-loop turn: write the 101, drop the HTTP codec, install the new
            // protocol. No inbound bytes can be parsed as HTTP in between.
            let switched = channel.eventLoop.submit {
                channel.write(HTTPServerResponsePart.head(head), promise: nil)
                channel.flush()
                try removeHTTPHandlers(channel.pipeline.syncOperations)
                try upgrade.install(channel)
            }
            do {
                try await switched.get()
            } catch {
                channel.close(promise: nil)
                await upgrade.abandoned()
            }
        }
    }
}

/// Removes the HTTP/1.1 server handlers (codec, pipelining, validation, this
/// router) so that the raw TLS stream can carry another protocol.
func removeHTTPHandlers(_ ops: ChannelPipeline.SynchronousOperations) throws {
    func drop<H: ChannelHandler>(_ type: H.Type) {
        if let ctx = try? ops.context(handlerType: type) { ops.removeHandler(context: ctx, promise: nil) }
    }
    drop(RequestChannelHandler.self)
    drop(HTTPServerProtocolErrorHandler.self)
    drop(NIOHTTPResponseHeadersValidator.self)
    drop(HTTPServerPipelineHandler.self)
    drop(ByteToMessageHandler<HTTPRequestDecoder>.self)
    drop(HTTPResponseEncoder.self)
}

/// Writes chunks straight to the channel, failing once it is closed.
struct ChannelResponseStream: ResponseStream {
    let channel: any Channel

    func write(_ bytes: [UInt8]) async throws {
        if Task.isCancelled || !channel.isActive { throw CancellationError() }
        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes)))).get()
    }
}

/// Splits "/path?a=1&b=2" into a decoded path and query map.
func parseURI(_ uri: String) -> (String, [String: [String]]) {
    let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    let rawPath = String(parts.first ?? "")
    let path = rawPath.removingPercentEncoding ?? rawPath
    var query: [String: [String]] = [:]
    if parts.count > 1 {
        for pair in parts[1].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = decodeQueryComponent(String(kv[0]))
            let v = kv.count > 1 ? decodeQueryComponent(String(kv[1])) : ""
            query[k, default: []].append(v)
        }
    }
    return (path, query)
}

private func decodeQueryComponent(_ s: String) -> String {
    let plusFixed = s.replacingOccurrences(of: "+", with: " ")
    return plusFixed.removingPercentEncoding ?? plusFixed
}
