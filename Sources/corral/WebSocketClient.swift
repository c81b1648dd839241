import CorralModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// A WebSocket (wss://) client for streaming subresources such as KubeVirt's
/// console and vnc: TLS with the kubeconfig's CA and client certificate (or
/// bearer token), an HTTP/1.1 upgrade, then raw bytes in binary messages.
enum WebSocketClient {
    typealias Frames = NIOAsyncChannel<WebSocketFrame, WebSocketFrame>

    /// Largest message accepted from the server.
    static let maxFrameSize = 4 * 1024 * 1024

    enum Upgrade: Sendable {
        case upgraded(Frames)
        /// The server answered without switching protocols; the channel still speaks HTTP.
        case refused(NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>)
    }

    /// Opens a WebSocket to `path` (with query) on the API server, offering `protocols`.
    /// A refusal becomes a CLIError carrying the API's Status message.
    static func connect(_ creds: APICredentials, path: String, protocols: [String]) async throws -> Frames {
        guard let url = URL(string: creds.server), let host = url.host, url.scheme == "https" else {
            throw CLIError("cannot open a WebSocket to \(creds.server): only https:// servers are supported")
        }
        let port = url.port ?? 443
        let prefix = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
        let tls = try NIOSSLContext(configuration: tlsConfiguration(creds))
        // SNI takes names only; an IP address is checked against the certificate's IP SANs instead.
        let sniName = IPv4or6.isAddress(host) ? nil : host
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        if !protocols.isEmpty { headers.add(name: "Sec-WebSocket-Protocol", value: protocols.joined(separator: ", ")) }
        if let token = creds.token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: prefix + path, headers: headers)

        let result: EventLoopFuture<Upgrade> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: sniName))
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: maxFrameSize) { channel, _ in
                        channel.eventLoop.makeCompletedFuture { .upgraded(try Frames(wrappingChannelSynchronously: channel)) }
                    }
                    let config = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture { .refused(try NIOAsyncChannel(wrappingChannelSynchronously: channel)) }
                        })
                    var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: config)
                    // The server's first frames may share a read with the 101: keep them.
                    pipeline.leftOverBytesStrategy = .forwardBytes
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
                }
            }
        switch try await result.get() {
        case .upgraded(let frames):
            return frames
        case .refused(let http):
            throw try await refusal(http)
        }
    }

    /// Reads the refusing response and turns its Status into an error.
    static func refusal(_ http: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>) async throws -> CLIError {
        var status = 0
        var body: [UInt8] = []
        try await http.executeThenClose { inbound, _ in
            for try await part in inbound {
                switch part {
                case .head(let h): status = Int(h.status.code)
                case .body(var b): body += b.readBytes(length: b.readableBytes) ?? []
                case .end: return
                }
                if body.count > 1 << 20 { return }
            }
        }
        let st = try? JSONParser.parse(body)
        let message = st?["message"]?.stringValue ?? String(decoding: body, as: UTF8.self)
        return CLIError("Can't connect to websocket (\(status)): \(message)")
    }

    static func tlsConfiguration(_ creds: APICredentials) throws -> TLSConfiguration {
        var c = TLSConfiguration.makeClientConfiguration()
        if let ca = creds.caPEM { c.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8))) }
        if let cert = creds.clientCertificatePEM, let key = creds.clientKeyPEM {
            c.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert.utf8)).map { .certificate($0) }
            c.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        }
        return c
    }

    /// Copies bytes both ways until either side ends: `pump` feeds the socket by calling
    /// `send` (returning when its source is exhausted), and `output` receives every
    /// message from the server. Returns once the server closed or the connection failed.
    static func bridge(_ frames: Frames,
                       pump: @escaping @Sendable (_ send: @escaping @Sendable ([UInt8]) async throws -> Void) async -> Void,
                       output: @escaping @Sendable ([UInt8]) async throws -> Void) async throws {
        try await frames.executeThenClose { inbound, outbound in
            let sender = MaskedSender(outbound: outbound)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await pump { try await sender.send(.binary, $0) }
                    // Our side is done: start the closing handshake; the server answers with its close.
                    try? await sender.send(.connectionClose, [0x03, 0xE8])
                }
                do {
                    frameLoop: for try await frame in inbound {
                        var data = frame.unmaskedData
                        let bytes = data.readBytes(length: data.readableBytes) ?? []
                        switch frame.opcode {
                        case .binary, .text, .continuation:
                            if !bytes.isEmpty { try await output(bytes) }
                        case .ping:
                            try? await sender.send(.pong, bytes)
                        case .connectionClose:
                            try? await sender.send(.connectionClose, Array(bytes.prefix(2)))
                            break frameLoop
                        default:
                            continue
                        }
                    }
                } catch {
                    // The connection broke or the output is gone: either way the session is over.
                }
                group.cancelAll()
            }
        }
    }
}

/// Writes client frames, masked as RFC 6455 requires; nothing after a close frame.
actor MaskedSender {
    let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    var closed = false

    init(outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>) { self.outbound = outbound }

    func send(_ opcode: WebSocketOpcode, _ bytes: [UInt8]) async throws {
        if closed { return }
        if opcode == .connectionClose { closed = true }
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: ByteBuffer(bytes: bytes))
        try await outbound.write(frame)
    }
}

/// Literal IP address detection (for SNI).
enum IPv4or6 {
    static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        let h = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        return inet_pton(AF_INET, h, &v4) == 1 || inet_pton(AF_INET6, h, &v6) == 1
    }
}
