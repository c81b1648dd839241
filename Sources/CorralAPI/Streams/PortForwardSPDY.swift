import CorralModel
import NIOConcurrencyHelpers

/// kubelet's SPDY port-forward protocol ("portforward.k8s.io"): for each local
/// connection the client opens an `error` and a `data` stream carrying headers
/// `streamtype`, `port` and `requestid`. Once both exist, bytes on `data` go to
/// the pod's port and back; a failure is written as text on `error`.
final class PortForwardSPDY: SPDYStreamHandler, @unchecked Sendable {
    /// How long the second stream of a pair may lag behind the first (kubelet: 30 s).
    static let pairTimeoutSeconds: UInt64 = 30

    private let node: any NodeStreams
    private let pod: PodRef
    private let pairs = NIOLockedValueBox<[String: (data: SPDYStream?, error: SPDYStream?)]>([:])
    private let open = OpenChannels()

    init(node: any NodeStreams, pod: PodRef) {
        self.node = node
        self.pod = pod
    }

    func check(_ headers: [String: [String]]) -> String? {
        guard let portString = headers["port"]?.first, !portString.isEmpty else { return "\"port\" header is required" }
        guard let port = UInt16(portString), port > 0 else { return "unable to parse \"\(portString)\" as a port" }
        guard let type = headers["streamtype"]?.first, type == "data" || type == "error" else { return "invalid stream type" }
        return nil
    }

    func opened(_ stream: SPDYStream) {
        let type = stream.header("streamtype") ?? ""
        // Old clients send no request id; kubelet derives one from the stream ids (error n, data n+2).
        let requestID = stream.header("requestid") ?? String(type == "error" ? stream.id : stream.id &- 2)
        let (complete, duplicate, created) = pairs.withLockedValue { p -> ((SPDYStream, SPDYStream)?, Bool, Bool) in
            var pair = p[requestID] ?? (nil, nil)
            let created = p[requestID] == nil
            if (type == "data" && pair.data != nil) || (type == "error" && pair.error != nil) { return (nil, true, false) }
            if type == "data" { pair.data = stream } else { pair.error = stream }
            if let d = pair.data, let e = pair.error {
                p[requestID] = nil
                return ((d, e), false, created)
            }
            p[requestID] = pair
            return (nil, false, created)
        }
        if duplicate {
            Task { await stream.reset() }
            return
        }
        if let (data, error) = complete {
            let node = self.node, pod = self.pod, open = self.open
            Task { await Self.forward(data: data, error: error, node: node, pod: pod, open: open) }
        } else if created {
            Task { [weak self] in
                try? await Task.sleep(nanoseconds: Self.pairTimeoutSeconds * 1_000_000_000)
                guard let self, let lone = self.pairs.withLockedValue({ $0.removeValue(forKey: requestID) }) else { return }
                if let e = lone.error {
                    try? await e.send(Array("timed out waiting for streams for request \(requestID)".utf8))
                    await e.closeWrite()
                }
                await lone.data?.reset()
            }
        }
    }

    /// Copies between the data stream and a connection to the pod's port; the pair
    /// ends when the pod side reaches EOF (as in kubelet), or either side fails.
    func ended() async { await open.closeAll() }

    static func forward(data: SPDYStream, error: SPDYStream, node: any NodeStreams, pod: PodRef, open: OpenChannels) async {
        let port = UInt16(data.header("port") ?? "") ?? 0
        do {
            let conn = try await node.portForward(pod, port: port)
            let token = await open.add(conn)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while let chunk = try? await data.inbound.read() {
                        do { try await conn.write(chunk) } catch { break }
                    }
                    await conn.closeWrite()
                }
                while let chunk = try? await conn.read() {
                    do { try await data.send(chunk) } catch { break }
                }
                await data.closeWrite()
                await conn.close()
                await data.inbound.closeRead()
                group.cancelAll()
            }
            await open.remove(token)
        } catch let failure {
            let message = "error forwarding port \(port) to pod \(pod.pod), uid \(pod.uid): \(describe(failure))"
            try? await error.send(Array(message.utf8))
            await data.closeWrite()
        }
        await error.closeWrite()
    }
}

/// The text an error shows to users: an APIError's message, else its description.
func describe(_ error: any Error) -> String {
    if let e = error as? APIError { return e.message }
    return String(describing: error)
}

/// The pod connections a client session holds, so they can be closed when it leaves.
actor OpenChannels {
    private var channels: [Int: any ByteChannel] = [:]
    private var next = 0
    private var closed = false

    func add(_ c: any ByteChannel) async -> Int {
        if closed { await c.close() }
        next += 1
        channels[next] = c
        return next
    }

    func remove(_ token: Int) { channels[token] = nil }

    func closeAll() async {
        closed = true
        let all = channels.values
        channels = [:]
        for c in all { await c.close() }
    }
}
