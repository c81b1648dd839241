import CorralModel
import Crypto
import Foundation
import NIOHTTP1

/// The server half of the RFC 6455 opening handshake (pure: headers in, headers out).
enum WebSocketHandshake {
    /// True when the request asks to upgrade to WebSocket (Upgrade: websocket, Connection: upgrade).
    static func isWebSocketRequest(_ headers: HTTPHeaders) -> Bool {
        guard headers[canonicalForm: "Upgrade"].contains(where: { $0.lowercased() == "websocket" }) else { return false }
        return headers[canonicalForm: "Connection"].contains { $0.lowercased() == "upgrade" }
    }

    /// True when the request asks for a plain SPDY/3.1 upgrade (kubectl's fallback).
    static func isSPDYRequest(_ headers: HTTPHeaders) -> Bool {
        headers[canonicalForm: "Upgrade"].contains { $0.lowercased() == "spdy/3.1" }
            && headers[canonicalForm: "Connection"].contains { $0.lowercased() == "upgrade" }
    }

    /// Subprotocols the client offered, in its order of preference.
    static func requestedProtocols(_ headers: HTTPHeaders) -> [String] {
        headers[canonicalForm: "Sec-WebSocket-Protocol"].map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
    static func acceptValue(forKey key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        return Data(digest).base64EncodedString()
    }

    /// The first protocol the client offered that the server supports, as
    /// kube's wsstream does; "" stands for "no subprotocol header".
    static func negotiate(requested: [String], supported: [String]) -> String? {
        let offered = requested.isEmpty ? [""] : requested
        return offered.first { supported.contains($0) }
    }

    /// Validates the handshake and returns the 101 response headers.
    static func responseHeaders(_ headers: HTTPHeaders, supported: [String]) throws -> (protocol: String, headers: [(String, String)]) {
        guard headers.first(name: "Sec-WebSocket-Version") == "13" else {
            throw APIError.badRequest("unable to upgrade: websocket version must be 13")
        }
        guard let key = headers.first(name: "Sec-WebSocket-Key"), !key.isEmpty else {
            throw APIError.badRequest("unable to upgrade: missing Sec-WebSocket-Key")
        }
        let requested = requestedProtocols(headers)
        guard let chosen = negotiate(requested: requested, supported: supported) else {
            throw APIError.badRequest("unable to upgrade: requested protocol(s) are not supported: \(requested); supports \(supported.filter { !$0.isEmpty })")
        }
        var out = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", acceptValue(forKey: key))]
        if !chosen.isEmpty { out.append(("Sec-WebSocket-Protocol", chosen)) }
        return (chosen, out)
    }
}
