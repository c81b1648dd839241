import CorralModel
import Foundation

/// Kubernetes' WebSocket channel subprotocols for exec/attach
/// (channel.k8s.io, v2…v5, and the base64 text variants): each message is one
/// channel byte then payload. Channels: 0 stdin, 1 stdout, 2 stderr, 3 error
/// (status), 4 resize (JSON); v5 adds 255 = "close stream N" (stdin EOF).
struct ChannelProtocol: Equatable, Sendable {
    /// 1 for "channel.k8s.io"/"", 2…5 for vN.channel.k8s.io.
    let version: Int
    /// base64.channel.k8s.io variants: text frames, channel as an ASCII digit, base64 payload.
    let base64: Bool

    static let stdin: UInt8 = 0, stdout: UInt8 = 1, stderr: UInt8 = 2, error: UInt8 = 3, resize: UInt8 = 4, close: UInt8 = 255

    /// Subprotocols offered for exec/attach, best first.
    static let supportedNames = [
        "v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io",
        "v4.base64.channel.k8s.io", "v3.base64.channel.k8s.io", "v2.base64.channel.k8s.io", "base64.channel.k8s.io", "",
    ]

    init(version: Int, base64: Bool) {
        self.version = version
        self.base64 = base64
    }

    /// The protocol for a negotiated subprotocol name.
    init?(name: String) {
        if name == "" || name == "channel.k8s.io" { self.init(version: 1, base64: false); return }
        if name == "base64.channel.k8s.io" { self.init(version: 1, base64: true); return }
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0].hasPrefix("v"), let v = Int(parts[0].dropFirst()), (2...5).contains(v) else { return nil }
        switch parts[1] {
        case "channel.k8s.io": self.init(version: v, base64: false)
        case "base64.channel.k8s.io" where v <= 4: self.init(version: v, base64: true)
        default: return nil
        }
    }

    /// Frames a payload for a channel: the bytes and whether to send as a text frame.
    func encode(channel: UInt8, _ payload: [UInt8]) -> (bytes: [UInt8], text: Bool) {
        if base64 { return ([48 + channel] + Array(Data(payload).base64EncodedString().utf8), true) }
        return ([channel] + payload, false)
    }

    /// Splits a received message into channel and payload; nil for an empty or undecodable message.
    func decode(_ message: [UInt8]) -> (channel: UInt8, payload: [UInt8])? {
        guard let first = message.first else { return nil }
        if base64 {
            guard first >= 48, let data = Data(base64Encoded: Data(message.dropFirst())) else { return nil }
            return (first - 48, Array(data))
        }
        return (first, Array(message.dropFirst()))
    }

    /// What to write on the error channel when the session ends (nil: nothing).
    /// v4+ send a metav1.Status as JSON; older versions send failure text only.
    func errorChannelPayload(_ outcome: RemoteCommandOutcome) -> [UInt8]? {
        let status = outcome.status
        if version >= 4 { return status.serialized() }
        if status["status"]?.stringValue == "Success" { return nil }
        return Array((status["message"]?.stringValue ?? "").utf8)
    }
}

/// How an exec/attach ended, as kubelet reports it on the error channel.
enum RemoteCommandOutcome: Equatable {
    case success
    case exitCode(Int, command: [String])
    case internalError(String)

    /// For exec: exit 0 is success, a nonzero exit carries the code, anything else is internal.
    static func exec(_ status: ExitStatus, command: [String]) -> RemoteCommandOutcome {
        switch status {
        case .exited(0): return .success
        case .exited(let code): return .exitCode(code, command: command)
        case .failed(let msg): return .internalError("error executing command in container: \(msg)")
        }
    }

    /// For attach: the end of the attachment is success whatever the exit code.
    static func attach(_ status: ExitStatus) -> RemoteCommandOutcome {
        if case .failed(let msg) = status { return .internalError("error attaching to container: \(msg)") }
        return .success
    }

    /// The metav1.Status kubelet writes (no kind/apiVersion, as kubelet marshals it).
    var status: JSONValue {
        switch self {
        case .success:
            return ["metadata": .object(JSONObject()), "status": "Success"]
        case .exitCode(let code, let command):
            let cmd = "[" + command.joined(separator: " ") + "]"
            return ["metadata": .object(JSONObject()), "status": "Failure",
                    "message": .string("command terminated with non-zero exit code: error executing command \(cmd), exit code \(code)"),
                    "reason": "NonZeroExitCode",
                    "details": ["causes": [["reason": "ExitCode", "message": .string(String(code))]]]]
        case .internalError(let msg):
            return ["metadata": .object(JSONObject()), "status": "Failure", "message": .string("Internal error occurred: \(msg)"),
                    "reason": "InternalError", "details": ["causes": [["message": .string(msg)]]], "code": 500]
        }
    }
}

/// Accumulates resize-channel bytes and yields each complete `{"Width":w,"Height":h}`.
struct ResizeDecoder {
    private var buffer: [UInt8] = []

    /// Feeds bytes; returns the sizes completed by them (malformed objects are skipped).
    mutating func feed(_ bytes: [UInt8]) -> [TerminalSize] {
        buffer += bytes
        var out: [TerminalSize] = []
        var depth = 0, start = -1, consumed = 0
        for (i, b) in buffer.enumerated() {
            if b == UInt8(ascii: "{") { if depth == 0 { start = i }; depth += 1 }
            if b == UInt8(ascii: "}") && depth > 0 {
                depth -= 1
                if depth == 0 && start >= 0 {
                    if let v = try? JSONParser.parse(Array(buffer[start...i])),
                       let w = v["Width"]?.intValue, let h = v["Height"]?.intValue,
                       let w16 = UInt16(exactly: w), let h16 = UInt16(exactly: h) {
                        out.append(TerminalSize(width: w16, height: h16))
                    }
                    consumed = i + 1
                }
            }
        }
        buffer.removeFirst(depth == 0 ? buffer.count : consumed)
        if buffer.count > 4096 { buffer.removeAll() }  // never a real resize message
        return out
    }
}
