/// Port-forward over WebSocket channels, kubelet's v4 protocol used by the Python
/// client: one connection forwards the `ports` listed in the query; port i uses
/// channel 2i for data and 2i+1 for errors, and the server first sends each
/// channel its port number (2 bytes, little endian).
struct PortForwardWebSocket {
    let proto: ChannelProtocol
    let ports: [UInt16]
    let node: any NodeStreams
    let pod: PodRef

    func serve(_ conn: WebSocketConnection, _ reader: inout WebSocketMessageReader) async {
        let pipes = ports.map { _ in BytePipe() }
        for (i, port) in ports.enumerated() {
            let le = [UInt8(port & 0xff), UInt8(port >> 8)]
            try? await send(conn, UInt8(2 * i), le)
            try? await send(conn, UInt8(2 * i + 1), le)
        }
        let proto = self.proto, node = self.node, pod = self.pod, ports = self.ports
        let open = OpenChannels()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskGroup(of: Void.self) { each in
                    for (i, port) in ports.enumerated() {
                        each.addTask {
                            await Self.forward(port: port, index: i, inbound: pipes[i], conn: conn, proto: proto, node: node, pod: pod, open: open)
                        }
                    }
                }
                await conn.close()
                conn.closeChannel(after: 2)
            }
            while let message = await reader.next() {
                guard let (channel, payload) = proto.decode(message.bytes) else { continue }
                let i = Int(channel) / 2
                // Only data channels carry client bytes; kube ignores anything else.
                guard channel % 2 == 0, i < pipes.count, !payload.isEmpty else { continue }
                try? await pipes[i].write(payload)
            }
            // The client left: stop writing to the pod and drop its connections.
            for p in pipes { await p.closeWrite() }
            await open.closeAll()
            await group.waitForAll()
        }
    }

    func send(_ conn: WebSocketConnection, _ channel: UInt8, _ payload: [UInt8]) async throws {
        let f = proto.encode(channel: channel, payload)
        try await conn.send(f.bytes, text: f.text)
    }

    static func forward(port: UInt16, index: Int, inbound: BytePipe, conn: WebSocketConnection, proto: ChannelProtocol,
                        node: any NodeStreams, pod: PodRef, open: OpenChannels) async {
        let dataChannel = UInt8(2 * index), errorChannel = UInt8(2 * index + 1)
        do {
            let target = try await node.portForward(pod, port: port)
            _ = await open.add(target)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while let chunk = try? await inbound.read() {
                        do { try await target.write(chunk) } catch { break }
                    }
                    await target.closeWrite()
                }
                while let chunk = try? await target.read() {
                    let f = proto.encode(channel: dataChannel, chunk)
                    do { try await conn.send(f.bytes, text: f.text) } catch { break }
                }
                await target.close()
                await inbound.closeRead()
                group.cancelAll()
            }
        } catch {
            let message = "error forwarding port \(port) to pod \(pod.pod), uid \(pod.uid): \(describe(error))"
            let f = proto.encode(channel: errorChannel, Array(message.utf8))
            try? await conn.send(f.bytes, text: f.text)
            await inbound.closeRead()
        }
    }
}
