import CorralModel
import Foundation
import NIOHTTP1

/// How console/vnc bytes travel inside WebSocket messages.
enum VirtStreamFraming: Equatable {
    /// `plain.kubevirt.io` (virtctl, and clients that offer no subprotocol): binary
    /// messages carry the raw bytes.
    case plain
    /// `base64.binary.k8s.io` (browsers): text messages carry the bytes in base64.
    case base64
}

/// The WebSocket handshake for console and vnc. Like virt-api's gorilla upgrader,
/// an offer of only unknown subprotocols is not an error: the answer then names none
/// and the stream is plain.
enum VirtStreamHandshake {
    static let plainProtocol = "plain.kubevirt.io"
    static let base64Protocol = "base64.binary.k8s.io"

    /// The subprotocol to answer (nil: none) and the framing it implies.
    static func negotiate(_ offered: [String]) -> (answer: String?, framing: VirtStreamFraming) {
        for p in offered {
            if p == plainProtocol { return (p, .plain) }
            if p == base64Protocol { return (p, .base64) }
        }
        return (nil, .plain)
    }

    /// Validates the upgrade request and returns the 101 headers and the framing.
    static func accept(_ headers: HTTPHeaders) throws -> (headers: [(String, String)], framing: VirtStreamFraming) {
        guard WebSocketHandshake.isWebSocketRequest(headers) else {
            throw APIError.badRequest("websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header")
        }
        guard headers.first(name: "Sec-WebSocket-Version") == "13" else {
            throw APIError.badRequest("websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header")
        }
        guard let key = headers.first(name: "Sec-WebSocket-Key"), !key.isEmpty else {
            throw APIError.badRequest("websocket: not a websocket handshake: 'Sec-WebSocket-Key' header is missing or blank")
        }
        let chosen = negotiate(WebSocketHandshake.requestedProtocols(headers))
        var out = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", WebSocketHandshake.acceptValue(forKey: key))]
        if let answer = chosen.answer { out.append(("Sec-WebSocket-Protocol", answer)) }
        return (out, chosen.framing)
    }
}

/// Copies bytes between an upgraded WebSocket and the node's console or VNC
/// stream until either side ends; then closes both (the guest keeps running).
struct VirtStreamBridge {
    let framing: VirtStreamFraming
    let channel: any ByteChannel

    func serve(_ conn: WebSocketConnection, _ reader: inout WebSocketMessageReader) async {
        let framing = self.framing
        let channel = self.channel
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                while let chunk = try? await channel.read() {
                    let message = Self.encode(chunk, framing)
                    do { try await conn.send(message.bytes, text: message.text) } catch { break }
                }
                // The node side ended (guest gone, console taken over): tell the client.
                await conn.close()
                conn.closeChannel(after: 2)
            }
            // Reading stays in this task (the iterator is not shareable); it ends when the client closes.
            while let message = await reader.next() {
                guard let bytes = Self.decode(message, framing), !bytes.isEmpty else { continue }
                do { try await channel.write(bytes) } catch { break }
            }
            await channel.close()
            await group.waitForAll()
        }
    }

    /// One outgoing message for `bytes`.
    static func encode(_ bytes: [UInt8], _ framing: VirtStreamFraming) -> (bytes: [UInt8], text: Bool) {
        switch framing {
        case .plain: return (bytes, false)
        case .base64: return (Array(Data(bytes).base64EncodedString().utf8), true)
        }
    }

    /// The bytes an incoming message carries; nil when it is not valid for the framing.
    static func decode(_ message: WebSocketMessage, _ framing: VirtStreamFraming) -> [UInt8]? {
        switch framing {
        case .plain: return message.bytes
        case .base64:
            guard let text = String(bytes: message.bytes, encoding: .utf8), let data = Data(base64Encoded: text) else { return nil }
            return Array(data)
        }
    }
}
