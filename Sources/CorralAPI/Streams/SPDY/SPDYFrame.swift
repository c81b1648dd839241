/// SPDY/3.1 frames (draft-mbelshe-httpbis-spdy-00 §2.2–2.6), as kubectl's
/// port-forward speaks them. Header blocks stay compressed here: they share one
/// zlib context per direction, so the session (de)compresses them in order.
enum SPDYFrame: Equatable, Sendable {
    case data(stream: UInt32, fin: Bool, payload: [UInt8])
    case synStream(stream: UInt32, associated: UInt32, priority: UInt8, fin: Bool, unidirectional: Bool, headerBlock: [UInt8])
    case synReply(stream: UInt32, fin: Bool, headerBlock: [UInt8])
    case rstStream(stream: UInt32, status: UInt32)
    case settings([SPDYSetting])
    case ping(id: UInt32)
    case goAway(lastGoodStream: UInt32, status: UInt32)
    case headers(stream: UInt32, fin: Bool, headerBlock: [UInt8])
    case windowUpdate(stream: UInt32, delta: UInt32)
    /// A control frame of a type this server does not use (skipped, per spec).
    case unknownControl(type: UInt16)

    static let version: UInt16 = 3
    /// Largest frame payload accepted; SPDY allows 16 MiB, nothing here needs more than this.
    static let maxPayload = 1 << 20

    /// RST_STREAM status codes.
    enum Status {
        static let protocolError: UInt32 = 1, invalidStream: UInt32 = 2, refusedStream: UInt32 = 3, cancel: UInt32 = 5,
                   internalError: UInt32 = 6, streamInUse: UInt32 = 8, streamAlreadyClosed: UInt32 = 9
    }

    /// The wire bytes of this frame.
    func encoded() -> [UInt8] {
        switch self {
        case .data(let id, let fin, let payload):
            return be32(id & 0x7fff_ffff) + [fin ? 1 : 0] + be24(payload.count) + payload
        case .synStream(let id, let assoc, let prio, let fin, let uni, let block):
            let flags: UInt8 = (fin ? 1 : 0) | (uni ? 2 : 0)
            return control(1, flags, be32(id) + be32(assoc) + [prio << 5, 0] + block)
        case .synReply(let id, let fin, let block):
            return control(2, fin ? 1 : 0, be32(id) + block)
        case .rstStream(let id, let status):
            return control(3, 0, be32(id) + be32(status))
        case .settings(let entries):
            return control(4, 0, be32(UInt32(entries.count)) + entries.flatMap { [$0.flags] + be24(Int($0.id)) + be32($0.value) })
        case .ping(let id):
            return control(6, 0, be32(id))
        case .goAway(let last, let status):
            return control(7, 0, be32(last) + be32(status))
        case .headers(let id, let fin, let block):
            return control(8, fin ? 1 : 0, be32(id) + block)
        case .windowUpdate(let id, let delta):
            return control(9, 0, be32(id) + be32(delta))
        case .unknownControl(let type):
            return control(type, 0, [])
        }
    }

    private func control(_ type: UInt16, _ flags: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x80 | UInt8(SPDYFrame.version >> 8), UInt8(SPDYFrame.version & 0xff), UInt8(type >> 8), UInt8(type & 0xff), flags]
            + be24(payload.count) + payload
    }
}

/// One SETTINGS entry.
struct SPDYSetting: Equatable, Sendable {
    var flags: UInt8
    var id: UInt32
    var value: UInt32
}

/// Incremental frame parser: feed bytes, pop whole frames.
struct SPDYFrameParser {
    private var buffer: [UInt8] = []
    private var start = 0

    mutating func append(_ bytes: [UInt8]) {
        if start > 64 * 1024 && start > buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer += bytes
    }

    /// The next complete frame, nil if more bytes are needed; throws on a malformed frame.
    mutating func next() throws -> SPDYFrame? {
        guard buffer.count - start >= 8 else { return nil }
        let h = start
        let length = Int(buffer[h + 5]) << 16 | Int(buffer[h + 6]) << 8 | Int(buffer[h + 7])
        guard length <= SPDYFrame.maxPayload else { throw StreamError.protocolViolation("SPDY frame of \(length) bytes is too large") }
        guard buffer.count - start >= 8 + length else { return nil }
        let flags = buffer[h + 4]
        let p = Array(buffer[(h + 8)..<(h + 8 + length)])
        start += 8 + length
        if buffer[h] & 0x80 == 0 {
            return .data(stream: u32(buffer, h) & 0x7fff_ffff, fin: flags & 1 != 0, payload: p)
        }
        let version = UInt16(buffer[h] & 0x7f) << 8 | UInt16(buffer[h + 1])
        guard version == SPDYFrame.version else { throw StreamError.protocolViolation("unsupported SPDY version \(version)") }
        let type = UInt16(buffer[h + 2]) << 8 | UInt16(buffer[h + 3])
        func need(_ n: Int) throws {
            if p.count < n { throw StreamError.protocolViolation("SPDY control frame type \(type) is too short") }
        }
        switch type {
        case 1:
            try need(10)
            return .synStream(stream: u32(p, 0) & 0x7fff_ffff, associated: u32(p, 4) & 0x7fff_ffff, priority: p[8] >> 5,
                              fin: flags & 1 != 0, unidirectional: flags & 2 != 0, headerBlock: Array(p[10...]))
        case 2:
            try need(4)
            return .synReply(stream: u32(p, 0) & 0x7fff_ffff, fin: flags & 1 != 0, headerBlock: Array(p[4...]))
        case 3:
            try need(8)
            return .rstStream(stream: u32(p, 0) & 0x7fff_ffff, status: u32(p, 4))
        case 4:
            try need(4)
            let n = Int(u32(p, 0))
            guard n <= (p.count - 4) / 8 else { throw StreamError.protocolViolation("SPDY SETTINGS count \(n) exceeds frame") }
            return .settings((0..<n).map { i in
                let o = 4 + i * 8
                return SPDYSetting(flags: p[o], id: UInt32(p[o + 1]) << 16 | UInt32(p[o + 2]) << 8 | UInt32(p[o + 3]), value: u32(p, o + 4))
            })
        case 6:
            try need(4)
            return .ping(id: u32(p, 0))
        case 7:
            try need(8)
            return .goAway(lastGoodStream: u32(p, 0) & 0x7fff_ffff, status: u32(p, 4))
        case 8:
            try need(4)
            return .headers(stream: u32(p, 0) & 0x7fff_ffff, fin: flags & 1 != 0, headerBlock: Array(p[4...]))
        case 9:
            try need(8)
            return .windowUpdate(stream: u32(p, 0) & 0x7fff_ffff, delta: u32(p, 4) & 0x7fff_ffff)
        default:
            return .unknownControl(type: type)
        }
    }
}

private func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
private func be24(_ v: Int) -> [UInt8] { [UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)] }
private func u32(_ b: [UInt8], _ o: Int) -> UInt32 {
    UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
}
