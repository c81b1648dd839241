import NIOConcurrencyHelpers

/// Where a SPDY session's bytes go (a raw upgraded connection, or WebSocket messages).
protocol SPDYTransport: Sendable {
    func send(_ bytes: [UInt8]) async throws
}

/// Reacts to streams the client opens.
protocol SPDYStreamHandler: Sendable {
    /// Checks a new stream's headers: nil accepts it, a message rejects it (RST_STREAM).
    func check(_ headers: [String: [String]]) -> String?
    /// The stream was accepted and its SYN_REPLY queued.
    func opened(_ stream: SPDYStream)
    /// The connection is gone; release whatever the streams were connected to.
    func ended() async
}

/// The server side of one SPDY/3.1 session as spdystream clients expect it:
/// replies to SYN_STREAM, echoes PING, ignores flow control (spdystream sends no
/// WINDOW_UPDATE), relays DATA to per-stream pipes with backpressure.
final class SPDYSession: @unchecked Sendable {
    let outbox = SPDYOutbox()
    private let handler: any SPDYStreamHandler
    private var parser = SPDYFrameParser()           // reader task only
    private let inflater: SPDYHeaderInflater        // reader task only
    private let streams = NIOLockedValueBox<[UInt32: SPDYStream]>([:])
    private var writer: Task<Void, Never>?
    private let closeTransport: @Sendable () -> Void

    /// - Parameter closeTransport: closes the underlying connection (used when the work is done).
    init(transport: any SPDYTransport, handler: any SPDYStreamHandler, closeTransport: @escaping @Sendable () -> Void) throws {
        self.handler = handler
        self.closeTransport = closeTransport
        inflater = try SPDYHeaderInflater()
        let deflater = try SPDYHeaderDeflater()
        let outbox = self.outbox
        writer = Task {
            while let items = await outbox.next() {
                do {
                    var bytes: [UInt8] = []
                    for item in items { bytes += try item.encoded(deflater) }
                    try await transport.send(bytes)
                } catch {
                    await outbox.close()
                }
            }
        }
    }

    /// Feeds received bytes; throws when the peer broke the protocol (then end the session).
    func feed(_ bytes: [UInt8]) async throws {
        parser.append(bytes)
        while let frame = try parser.next() { try await handle(frame) }
    }

    private func handle(_ frame: SPDYFrame) async throws {
        switch frame {
        case .data(let id, let fin, let payload):
            guard let s = stream(id) else {
                await outbox.enqueue(.frame(.rstStream(stream: id, status: SPDYFrame.Status.invalidStream)))
                return
            }
            if !payload.isEmpty { try? await s.inbound.write(payload) }
            if fin { await s.remoteFinished() }
        case .synStream(let id, _, _, let fin, _, let block):
            let headers = try SPDYHeaderBlock.decode(try inflater.decompress(block))
            if id == 0 || id % 2 == 0 || stream(id) != nil {
                await outbox.enqueue(.frame(.rstStream(stream: id, status: SPDYFrame.Status.protocolError)))
                return
            }
            if handler.check(headers) != nil {
                await outbox.enqueue(.frame(.rstStream(stream: id, status: SPDYFrame.Status.refusedStream)))
                return
            }
            let s = SPDYStream(id: id, headers: headers, session: self)
            streams.withLockedValue { $0[id] = s }
            await outbox.enqueue(.synReply(stream: id))
            if fin { await s.remoteFinished() }
            handler.opened(s)
        case .rstStream(let id, _):
            if let s = stream(id) { await s.wasReset() }
        case .ping(let id):
            await outbox.enqueue(.frame(.ping(id: id)))
        case .goAway:
            throw StreamError.closed
        case .synReply, .headers, .settings, .windowUpdate, .unknownControl:
            break  // nothing to do for a server without flow control or server push
        }
    }

    private func stream(_ id: UInt32) -> SPDYStream? { streams.withLockedValue { $0[id] } }

    func forget(_ id: UInt32) { streams.withLockedValue { _ = $0.removeValue(forKey: id) } }

    /// Closes the connection after queued frames had `seconds` to drain (clients normally close first).
    func close(after seconds: Double) {
        let close = closeTransport
        Task {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            close()
        }
    }

    /// The connection is gone: fail every stream and stop writing.
    func finish() async {
        let all = streams.withLockedValue { s -> [SPDYStream] in
            defer { s.removeAll() }
            return Array(s.values)
        }
        for s in all { await s.wasReset() }
        await handler.ended()
        await outbox.close()
        await writer?.value
    }
}

/// One client-initiated stream.
final class SPDYStream: @unchecked Sendable {
    let id: UInt32
    let headers: [String: [String]]
    /// DATA from the client; nil at its FIN, an error after RST_STREAM.
    let inbound = BytePipe()
    private(set) weak var session: SPDYSession?
    private let state = NIOLockedValueBox((localDone: false, remoteDone: false))

    init(id: UInt32, headers: [String: [String]], session: SPDYSession) {
        self.id = id
        self.headers = headers
        self.session = session
    }

    /// First value of a header (names are lowercase).
    func header(_ name: String) -> String? { headers[name]?.first }

    /// Sends bytes as DATA frames; throws once the stream is closed or reset.
    func send(_ bytes: [UInt8]) async throws {
        guard let session, !state.withLockedValue({ $0.localDone }) else { throw StreamError.closed }
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + 32 * 1024)
            guard await session.outbox.enqueue(.frame(.data(stream: id, fin: false, payload: Array(bytes[i..<end])))) else {
                throw StreamError.closed
            }
            i = end
        }
    }

    /// Half-closes our side (empty DATA with FIN).
    func closeWrite() async {
        guard mark(local: true) else { return }
        await session?.outbox.enqueue(.frame(.data(stream: id, fin: true, payload: [])))
    }

    /// Aborts the stream (RST_STREAM CANCEL).
    func reset() async {
        guard mark(local: true, remote: true, force: true) else { return }
        await inbound.fail(.closed)
        await session?.outbox.enqueue(.frame(.rstStream(stream: id, status: SPDYFrame.Status.cancel)))
    }

    func remoteFinished() async {
        _ = mark(remote: true)
        await inbound.closeWrite()
    }

    func wasReset() async {
        _ = mark(local: true, remote: true, force: true)
        await inbound.fail(.closed)
    }

    /// Records a closed direction; true if it changed. Forgets the stream when both are done.
    private func mark(local: Bool = false, remote: Bool = false, force: Bool = false) -> Bool {
        let (changed, done) = state.withLockedValue { s -> (Bool, Bool) in
            let before = s
            if local { s.localDone = true }
            if remote { s.remoteDone = true }
            let changed = before.localDone != s.localDone || before.remoteDone != s.remoteDone
            return (changed || (force && !(before.localDone && before.remoteDone)), s.localDone && s.remoteDone)
        }
        if done { session?.forget(id) }
        return changed
    }
}
