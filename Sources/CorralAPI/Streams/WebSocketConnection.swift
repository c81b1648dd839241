import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket

/// A data message received on a WebSocket (fragments already joined).
struct WebSocketMessage: Sendable {
    var text: Bool
    var bytes: [UInt8]
}

/// The send side of an upgraded WebSocket, shared by the tasks serving it.
final class WebSocketConnection: Sendable {
    /// Largest message accepted from a client; bigger ones close the connection (1009).
    static let maxMessageBytes = 4 * 1024 * 1024

    private let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    private let channel: any Channel
    private var allocator: ByteBufferAllocator { channel.allocator }
    private let closeSent = NIOLockedValueBox(false)

    init(outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>, channel: any Channel) {
        self.outbound = outbound
        self.channel = channel
    }

    /// Closes the TCP connection after `seconds`, ending a reader that waits for the peer.
    func closeChannel(after seconds: Int64) {
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .seconds(seconds)) { channel.close(promise: nil) }
    }

    /// Sends one binary message.
    func send(_ bytes: [UInt8], text: Bool = false) async throws {
        if closeSent.withLockedValue({ $0 }) { throw StreamError.closed }
        try await outbound.write(WebSocketFrame(fin: true, opcode: text ? .text : .binary, data: allocator.buffer(bytes: bytes)))
    }

    func pong(_ data: ByteBuffer) async {
        try? await outbound.write(WebSocketFrame(fin: true, opcode: .pong, data: data))
    }

    /// Sends a close frame once (the channel is closed when the serving task returns).
    func close(_ code: WebSocketErrorCode = .normalClosure) async {
        let first = closeSent.withLockedValue { sent -> Bool in
            defer { sent = true }
            return !sent
        }
        guard first else { return }
        var buf = allocator.buffer(capacity: 2)
        buf.write(webSocketErrorCode: code)
        try? await outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, data: buf))
    }

    /// Builds the response that upgrades the request to WebSocket and runs `serve`
    /// with the connection and its message reader; the channel closes when it returns.
    static func upgrade(handshake: [(String, String)], abandoned: @escaping @Sendable () async -> Void = {},
                        serve: @escaping @Sendable (WebSocketConnection, inout WebSocketMessageReader) async -> Void) -> HTTPResponse {
        let upgrade = ConnectionUpgrade(install: { channel in
            let ops = channel.pipeline.syncOperations
            try ops.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxMessageBytes)))
            try ops.addHandler(WebSocketFrameEncoder())
            try ops.addHandler(WebSocketProtocolErrorHandler())
            try ops.addHandler(RequireMaskedFrames())
            try ops.addHandler(NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 4096,
                                                           maxAccumulatedFrameSize: maxMessageBytes))
            let async = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel)
            Task {
                try? await async.executeThenClose { inbound, outbound in
                    let conn = WebSocketConnection(outbound: outbound, channel: channel)
                    var reader = WebSocketMessageReader(iterator: inbound.makeAsyncIterator(), connection: conn)
                    await serve(conn, &reader)
                    await conn.close()
                }
            }
        }, abandoned: abandoned)
        return HTTPResponse(status: 101, headers: handshake, body: .upgrade(upgrade))
    }
}

/// Reads data messages from a WebSocket, answering pings and close frames on the way.
struct WebSocketMessageReader {
    var iterator: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator
    let connection: WebSocketConnection

    /// The next data message; nil once the peer closed (or the connection failed).
    mutating func next() async -> WebSocketMessage? {
        while true {
            let frame: WebSocketFrame?
            do { frame = try await iterator.next() } catch { return nil }
            guard let frame else { return nil }
            switch frame.opcode {
            case .binary, .text:
                var data = frame.unmaskedData
                return WebSocketMessage(text: frame.opcode == .text, bytes: data.readBytes(length: data.readableBytes) ?? [])
            case .ping:
                await connection.pong(frame.unmaskedData)
            case .connectionClose:
                var data = frame.unmaskedData
                let code = data.readWebSocketErrorCode() ?? .normalClosure
                await connection.close(code)
                return nil
            case .pong:
                continue
            default:
                await connection.close(.protocolError)  // reserved opcode
                return nil
            }
        }
    }
}

/// RFC 6455 §5.1: a server must fail the connection when a client frame is not
/// masked. Sits before the aggregator (which unmasks fragments it joins).
final class RequireMaskedFrames: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    private var failed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if failed { return }
        guard Self.unwrapInboundIn(data).maskKey != nil else {
            failed = true
            var buf = context.channel.allocator.buffer(capacity: 2)
            buf.write(webSocketErrorCode: .protocolError)
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: buf)
            context.writeAndFlush(Self.wrapOutboundOut(close)).whenComplete { _ in context.close(promise: nil) }
            return
        }
        context.fireChannelRead(data)
    }
}
