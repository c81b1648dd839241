import ArgumentParser
import CorralModel
import Foundation
import NIOCore
import NIOPosix

/// `corral vnc VMI`: a local VNC endpoint for the guest's display. Listens on
/// 127.0.0.1:PORT and carries each TCP connection over its own WebSocket to the
/// vnc subresource, so any VNC viewer can connect to the printed address.
struct VNCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vnc", abstract: "Proxy a virtual machine's VNC display to a local port.")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Name of the VirtualMachineInstance (a VM's VMI has the VM's name).") var name: String
    @Option(help: "Local port to listen on (0: any free port).") var port: Int = 0
    @Option(help: "Local address to listen on.") var address: String = "127.0.0.1"
    @Flag(help: "Print only {\"port\":N} (as virtctl vnc --proxy-only does).") var proxyOnly = false

    func run() throws {
        try runReportingErrors {
            let creds = try cluster.credentials()
            let ns = cluster.resolvedNamespace()
            let path = subresourcePath(ns, "virtualmachineinstances", name, "vnc")
            let (name, address, port, proxyOnly) = (self.name, self.address, self.port, self.proxyOnly)
            try runBlocking {
                let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .bind(host: address, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                    }
                let bound = server.channel.localAddress?.port ?? port
                let line = proxyOnly ? "{\"port\":\(bound)}"
                    : "VNC of \(ns)/\(name) on \(address):\(bound): point a VNC viewer there (e.g. vncviewer \(address)::\(bound)). Ctrl+C to stop."
                try writeAll(1, Array((line + "\n").utf8))
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await conn in connections {
                            group.addTask { await Self.proxy(conn, creds: creds, path: path) }
                        }
                    }
                }
            }
        }
    }

    /// Carries one viewer connection to the vnc subresource until either side ends.
    static func proxy(_ conn: NIOAsyncChannel<ByteBuffer, ByteBuffer>, creds: APICredentials, path: String) async {
        do {
            let frames = try await WebSocketClient.connect(creds, path: path, protocols: ["plain.kubevirt.io"])
            try await conn.executeThenClose { inbound, outbound in
                try await WebSocketClient.bridge(frames, pump: { send in
                    do {
                        for try await var buf in inbound {
                            try await send(buf.readBytes(length: buf.readableBytes) ?? [])
                        }
                    } catch {}
                }, output: { bytes in try await outbound.write(ByteBuffer(bytes: bytes)) })
            }
        } catch {
            FileHandle.standardError.write(Data("vnc: \(error)\n".utf8))
            try? await conn.executeThenClose { _, _ in }
        }
    }
}
