import Foundation

/// Serves one exec/attach session over a WebSocket channel protocol, the way
/// kube-apiserver's stream translator does: output on channels 1/2, stdin and
/// resize from channels 0/4, v5 close signal = stdin EOF, then the status on
/// channel 3 and a normal close.
struct RemoteCommandWebSocket {
    let proto: ChannelProtocol
    let stdio: StdioOptions
    let session: any StreamSession
    /// Maps the session's exit status to what the error channel reports.
    let outcome: @Sendable (ExitStatus) -> RemoteCommandOutcome

    func serve(_ conn: WebSocketConnection, _ reader: inout WebSocketMessageReader) async {
        let proto = self.proto
        let session = self.session
        // An empty message on the lowest writable channel tells the client the streams are up.
        let first: UInt8 = stdio.stdout ? ChannelProtocol.stdout : (stdio.stderr && !stdio.tty ? ChannelProtocol.stderr : ChannelProtocol.error)
        try? await send(conn, first, [])

        let state = SessionState()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { pumps in
                    if stdio.stdout, let out = session.stdout {
                        pumps.addTask { await Self.pump(out, to: ChannelProtocol.stdout, conn: conn, proto: proto) }
                    }
                    if stdio.stderr, !stdio.tty, let err = session.stderr {
                        pumps.addTask { await Self.pump(err, to: ChannelProtocol.stderr, conn: conn, proto: proto) }
                    }
                }
                let status = await session.wait()
                if await state.finish(), let payload = proto.errorChannelPayload(outcome(status)) {
                    try? await send(conn, ChannelProtocol.error, payload)
                }
                await conn.close()
                conn.closeChannel(after: 2)  // in case the client never answers the close frame
            }
            // Reading stays in this task (the iterator is not shareable); it ends when the
            // client closes, which is also how we learn that we closed first.
            var resize = ResizeDecoder()
            var stdinOpen = true
            while let message = await reader.next() {
                guard let (channel, payload) = proto.decode(message.bytes) else { continue }
                switch channel {
                case ChannelProtocol.stdin:
                    guard stdinOpen, let stdin = session.stdin, !payload.isEmpty else { continue }
                    do { try await stdin.write(payload) } catch { stdinOpen = false }
                case ChannelProtocol.resize:
                    for size in resize.feed(payload) { await session.resize(size) }
                case ChannelProtocol.close where proto.version >= 5:
                    if payload.first == ChannelProtocol.stdin, stdinOpen, let stdin = session.stdin {
                        stdinOpen = false
                        await stdin.closeWrite()
                    }
                default:
                    continue  // kube ignores frames for unknown channels
                }
            }
            // Either the session ended and we closed, or the client left first: then release
            // the process side so that the pumps and wait() return.
            if await state.clientLeft() {
                if stdinOpen, let stdin = session.stdin { await stdin.closeWrite() }
                await session.detach()
            }
            await group.waitForAll()
        }
    }

    func send(_ conn: WebSocketConnection, _ channel: UInt8, _ payload: [UInt8]) async throws {
        let frame = proto.encode(channel: channel, payload)
        try await conn.send(frame.bytes, text: frame.text)
    }

    static func pump(_ reader: any ByteReader, to channel: UInt8, conn: WebSocketConnection, proto: ChannelProtocol) async {
        while let chunk = try? await reader.read() {
            let frame = proto.encode(channel: channel, chunk)
            do { try await conn.send(frame.bytes, text: frame.text) } catch { break }
        }
    }
}

/// Who finished first: the session (then we report its status) or the client
/// (then we detach and report nothing).
actor SessionState {
    private var done = false

    /// The session ended; true if the client is still there to be told.
    func finish() -> Bool {
        defer { done = true }
        return !done
    }

    /// The client left; true if the session was still running.
    func clientLeft() -> Bool {
        defer { done = true }
        return !done
    }
}
