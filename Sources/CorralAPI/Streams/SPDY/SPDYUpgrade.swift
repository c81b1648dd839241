import CorralModel
import Foundation
import NIOCore

/// SPDY carried in binary WebSocket messages (kubectl's "SPDY/3.1+portforward.k8s.io" tunnel).
struct WebSocketSPDYTransport: SPDYTransport {
    let conn: WebSocketConnection
    func send(_ bytes: [UInt8]) async throws { try await conn.send(bytes) }
}

/// SPDY on the raw upgraded connection.
struct RawSPDYTransport: SPDYTransport {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let allocator: ByteBufferAllocator
    func send(_ bytes: [UInt8]) async throws { try await outbound.write(allocator.buffer(bytes: bytes)) }
}

enum SPDYUpgrade {
    /// Name of the SPDY upgrade and kubelet's port-forward stream protocol.
    static let spdy = "SPDY/3.1"
    static let portForwardProtocol = "portforward.k8s.io"
    /// The WebSocket subprotocol that tunnels SPDY port-forward.
    static let tunnelProtocol = "SPDY/3.1+portforward.k8s.io"

    /// The first of the client's X-Stream-Protocol-Version values the server supports (kube's
    /// httpstream.Handshake); a client that names none gets the server's first.
    static func negotiate(_ requested: [String], supported: [String]) throws -> String {
        let offered = requested.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        if offered.isEmpty { return supported[0] }
        guard let p = offered.first(where: { supported.contains($0) }) else {
            throw APIError.badRequest("unable to upgrade: unable to negotiate protocol: client supports \(offered), server supports \(supported)")
        }
        return p
    }

    /// Answers `Upgrade: SPDY/3.1` with 101 (naming the negotiated stream protocol) and runs
    /// a SPDY session on the raw connection.
    static func response(protocol negotiated: String, handler: any SPDYStreamHandler,
                         abandoned: @escaping @Sendable () async -> Void = {}) -> HTTPResponse {
        let headers = [("Connection", "Upgrade"), ("Upgrade", spdy), ("X-Stream-Protocol-Version", negotiated)]
        let upgrade = ConnectionUpgrade(install: { channel in
            let async = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            Task {
                try? await async.executeThenClose { inbound, outbound in
                    guard let session = try? SPDYSession(transport: RawSPDYTransport(outbound: outbound, allocator: channel.allocator),
                                                         handler: handler, closeTransport: { channel.close(promise: nil) }) else { return }
                    do {
                        for try await var buffer in inbound {
                            try await session.feed(buffer.readBytes(length: buffer.readableBytes) ?? [])
                        }
                    } catch {}
                    await session.finish()
                }
            }
        }, abandoned: abandoned)
        return HTTPResponse(status: 101, headers: headers, body: .upgrade(upgrade))
    }

    /// Runs a SPDY session inside an upgraded WebSocket until the peer closes.
    static func serveTunnel(_ conn: WebSocketConnection, _ reader: inout WebSocketMessageReader, handler: any SPDYStreamHandler) async {
        guard let session = try? SPDYSession(transport: WebSocketSPDYTransport(conn: conn), handler: handler,
                                             closeTransport: { conn.closeChannel(after: 0) }) else { return }
        while let message = await reader.next() {
            do { try await session.feed(message.bytes) } catch { break }
        }
        await session.finish()
    }
}
