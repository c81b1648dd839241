// Built only when Package.swift gives CorralImages the NIOCore, NIOPosix, NIOHTTP1 and NIOSSL
// products and `.define("CORRAL_IMAGES_NIO")` (canImport alone is not enough: the modules are
// visible in the shared build dir even when the target does not depend on them).
#if CORRAL_IMAGES_NIO
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix
import NIOHTTP1
import NIOSSL

/// `HTTPTransport` on SwiftNIO: HTTP and HTTPS with a per-host CA file or verification off,
/// one connection per request (`Connection: close`), body streamed to the sink.
public final class NIOHTTPTransport: HTTPTransport, @unchecked Sendable {
    private let group: EventLoopGroup
    private let connectTimeout: TimeAmount
    private let readTimeout: TimeAmount

    private let ownsGroup: Bool

    public init(group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                connectTimeout: TimeAmount = .seconds(10), readTimeout: TimeAmount = .seconds(60)) {
        self.group = group
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        ownsGroup = false
    }

    /// A transport whose connections are made inside the network namespace at `path`
    /// (e.g. `/var/run/netns/NAME`): its one event-loop thread joins that namespace with setns(2).
    public init(networkNamespace path: String) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let joined = try group.next().submit { () -> Int32 in
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return errno }
            defer { close(fd) }
            // setns(2) is not exported by Swift's Glibc module (it needs _GNU_SOURCE).
            typealias SetNS = @convention(c) (Int32, Int32) -> Int32
            guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else { return ENOSYS }
            let cloneNewNet: Int32 = 0x4000_0000
            return unsafeBitCast(sym, to: SetNS.self)(fd, cloneNewNet) == 0 ? 0 : errno
        }.wait()
        guard joined == 0 else {
            try? group.syncShutdownGracefully()
            throw ImageError.io(op: "setns", path: path, errno: joined)
        }
        self.group = group
        connectTimeout = .seconds(10)
        readTimeout = .seconds(60)
        ownsGroup = true
    }

    deinit {
        if ownsGroup { group.shutdownGracefully { _ in } }
    }

    /// Performs one request; see `HTTPTransport.perform`.
    public func perform(_ request: HTTPRequest, tls: TLSSettings,
                        sinkFor: @escaping @Sendable (HTTPResponseHead) -> ResponseSink) async throws -> HTTPResponseHead {
        let url = request.url
        guard let host = url.host, let scheme = url.scheme, scheme == "http" || scheme == "https" else {
            throw ImageError.registry("unsupported URL \(url)")
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        var sslContext: NIOSSLContext?
        if scheme == "https" {
            var config = TLSConfiguration.makeClientConfiguration()
            if let ca = tls.caFile { config.trustRoots = .file(ca) }
            if tls.insecureSkipVerify { config.certificateVerification = .none }
            do { sslContext = try NIOSSLContext(configuration: config) } catch {
                throw ImageError.registry("TLS setup for \(host): \(error)")
            }
        }
        let isIP = host.contains(":") || host.split(separator: ".").allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: HTTPResponseHead.self)
        let readTimeout = self.readTimeout
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                do {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: isIP ? nil : host))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: readTimeout))
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise, sinkFor: sinkFor))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let channel: Channel
        do { channel = try await bootstrap.connect(host: host, port: port).get() } catch {
            promise.fail(error)
            throw ImageError.registry("connect to \(host):\(port): \(error)")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        headers.add(name: "Connection", value: "close")
        for (k, v) in request.headers { headers.add(name: k, value: v) }
        var uri = url.path.isEmpty ? "/" : url.path
        if let q = url.query { uri += "?" + q }
        let head = NIOHTTP1.HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: uri, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            return try await promise.futureResult.get()
        } catch let e as ImageError {
            throw e
        } catch {
            throw ImageError.registry("\(scheme)://\(host):\(port): \(error)")
        }
    }
}

/// Turns response parts into a head plus body chunks for the sink; completes on `.end`.
private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    private let promise: EventLoopPromise<HTTPResponseHead>
    private let sinkFor: (HTTPResponseHead) -> ResponseSink
    private var head: HTTPResponseHead?
    private var sink: ResponseSink?
    private var done = false

    init(promise: EventLoopPromise<HTTPResponseHead>, sinkFor: @escaping (HTTPResponseHead) -> ResponseSink) {
        self.promise = promise
        self.sinkFor = sinkFor
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else { return }
        switch unwrapInboundIn(data) {
        case .head(let h):
            let converted = HTTPResponseHead(status: Int(h.status.code), headers: h.headers.map { ($0.name, $0.value) })
            head = converted
            sink = sinkFor(converted)
        case .body(let buffer):
            do { try buffer.withUnsafeReadableBytes { try sink?.receive($0) } } catch {
                finish(context, .failure(error))
            }
        case .end:
            if let head { finish(context, .success(head)) } else { finish(context, .failure(ImageError.registry("response without a head"))) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { finish(context, .failure(ImageError.registry("read timed out"))) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { finish(context, .failure(error)) }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context, .failure(ImageError.registry("connection closed before the response ended")))
    }

    private func finish(_ context: ChannelHandlerContext, _ result: Result<HTTPResponseHead, Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
        context.close(promise: nil)
    }
}
#endif
