import CorralModel
import Foundation

// DEBUG/TEST SHIM — NOT THE NODE. Off unless the daemon runs with
// CORRAL_DEBUG_VIRT_NODE=1. It lets the VMI subresources' wire side be tested
// without libvirt: pause/unpause/softreboot succeed and change nothing (the
// test sets the VMI's conditions itself), guestosinfo answers a fixed document,
// the console echoes every byte back, and vnc sends an RFB version banner and
// then echoes. When enabled it takes precedence over APIServer.virtNode.

/// Echoing stand-in for the node's VM operations (tests only).
final class DebugVirtNode: VirtNode, @unchecked Sendable {
    /// The shim when CORRAL_DEBUG_VIRT_NODE=1, else nil.
    static let fromEnvironment: DebugVirtNode? =
        ProcessInfo.processInfo.environment["CORRAL_DEBUG_VIRT_NODE"] == "1" ? DebugVirtNode() : nil

    /// What the fake VNC server says first (RFB 3.8 ProtocolVersion).
    static let rfbBanner = Array("RFB 003.008\n".utf8)

    func pause(_ vmi: VMIRef) async throws {}
    func unpause(_ vmi: VMIRef) async throws {}
    func softReboot(_ vmi: VMIRef) async throws {}

    func guestOSInfo(_ vmi: VMIRef) async throws -> JSONValue {
        ["guestAgentVersion": "corral-debug-shim", "hostname": .string(vmi.name),
         "os": ["name": "Debug", "id": "debug", "version": "0", "kernelRelease": "0", "machine": "x86_64"],
         "timezone": "UTC, 0", "supportedCommands": []]
    }

    func console(_ vmi: VMIRef) async throws -> any ByteChannel { await EchoChannel(greeting: []) }
    func vnc(_ vmi: VMIRef) async throws -> any ByteChannel { await EchoChannel(greeting: Self.rfbBanner) }
}

/// A ByteChannel that reads back what was written to it, after an optional greeting.
final class EchoChannel: ByteChannel, @unchecked Sendable {
    private let pipe = BytePipe()

    init(greeting: [UInt8]) async {
        if !greeting.isEmpty { try? await pipe.write(greeting) }
    }

    func read() async throws -> [UInt8]? { try await pipe.read() }
    func write(_ bytes: [UInt8]) async throws { try await pipe.write(bytes) }
    func closeWrite() async { await pipe.closeWrite() }
    func close() async {
        await pipe.closeWrite()
        await pipe.closeRead()
    }
}
