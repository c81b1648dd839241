import NIOConcurrencyHelpers

/// exec/attach over SPDY (kubectl's fallback and older clients), kubelet's
/// "channel.k8s.io" v1–v4 stream protocols: the client opens one stream per
/// `streamtype` (error, stdin, stdout, stderr, resize); once all expected
/// streams exist the session runs; the status goes on `error`, then FIN.
final class RemoteCommandSPDY: SPDYStreamHandler, @unchecked Sendable {
    /// Stream protocols kubelet serves over SPDY, best first (v5 is WebSocket-only).
    static let supportedProtocols = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"]

    private let proto: ChannelProtocol
    private let stdio: StdioOptions
    private let session: any StreamSession
    private let outcome: @Sendable (ExitStatus) -> RemoteCommandOutcome
    private let streams = NIOLockedValueBox<(byType: [String: SPDYStream], started: Bool, finished: Bool)>(([:], false, false))

    /// How long the client has to open all expected streams (kubelet: 30 s).
    static let streamCreationTimeoutSeconds: UInt64 = 30

    init(protocolName: String, stdio: StdioOptions, session: any StreamSession,
         outcome: @escaping @Sendable (ExitStatus) -> RemoteCommandOutcome) {
        proto = ChannelProtocol(name: protocolName) ?? ChannelProtocol(version: 1, base64: false)
        self.stdio = stdio
        self.session = session
        self.outcome = outcome
        let streams = self.streams
        Task {
            try? await Task.sleep(nanoseconds: Self.streamCreationTimeoutSeconds * 1_000_000_000)
            let abandon = streams.withLockedValue { s -> Bool in
                if s.started || s.finished { return false }
                s.finished = true
                return true
            }
            if abandon { await session.detach() }
        }
    }

    /// The stream types the client must open before the command runs.
    var expected: Set<String> {
        var s: Set<String> = ["error"]
        if stdio.stdin { s.insert("stdin") }
        if stdio.stdout { s.insert("stdout") }
        if stdio.stderr && !stdio.tty { s.insert("stderr") }
        if stdio.tty && proto.version >= 3 { s.insert("resize") }
        return s
    }

    func check(_ headers: [String: [String]]) -> String? {
        let type = headers["streamtype"]?.first ?? ""
        return ["error", "stdin", "stdout", "stderr", "resize"].contains(type) ? nil : "invalid stream type \(type)"
    }

    func opened(_ stream: SPDYStream) {
        let expected = self.expected
        let ready = streams.withLockedValue { s -> [String: SPDYStream]? in
            s.byType[stream.header("streamtype") ?? ""] = stream
            guard !s.started, expected.isSubset(of: Set(s.byType.keys)) else { return nil }
            s.started = true
            return s.byType
        }
        if let ready { Task { await run(ready) } }
    }

    func ended() async {
        let detach = streams.withLockedValue { s -> Bool in
            defer { s.finished = true }
            return !s.finished
        }
        if detach {
            await session.stdin?.closeWrite()
            await session.detach()
        }
    }

    private func run(_ s: [String: SPDYStream]) async {
        let session = self.session
        await withTaskGroup(of: Void.self) { group in
            if let stream = s["stdin"], let stdin = session.stdin {
                group.addTask {
                    while let chunk = try? await stream.inbound.read() {
                        do { try await stdin.write(chunk) } catch { break }
                    }
                    await stdin.closeWrite()
                }
            }
            if let stream = s["resize"] {
                group.addTask {
                    var decoder = ResizeDecoder()
                    while let chunk = try? await stream.inbound.read() {
                        for size in decoder.feed(chunk) { await session.resize(size) }
                    }
                }
            }
            await withTaskGroup(of: Void.self) { pumps in
                for (type, reader) in [("stdout", session.stdout), ("stderr", session.stderr)] {
                    guard let reader, let stream = s[type] else { continue }
                    pumps.addTask {
                        while let chunk = try? await reader.read() {
                            do { try await stream.send(chunk) } catch { break }
                        }
                        await stream.closeWrite()
                    }
                }
            }
            let status = await session.wait()
            let report = streams.withLockedValue { st -> Bool in
                defer { st.finished = true }
                return !st.finished
            }
            if report, let error = s["error"] {
                if let payload = proto.errorChannelPayload(outcome(status)) { try? await error.send(payload) }
                await error.closeWrite()
            }
            // Unblock readers of stdin/resize: the client may keep those open.
            for type in ["stdin", "resize"] { await s[type]?.inbound.closeRead() }
            group.cancelAll()
        }
        s["error"]?.session?.close(after: 2)
    }
}
