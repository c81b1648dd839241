import CorralAPI
import CorralModel
import CorralVirt
import Foundation

/// The node's side of KubeVirt's VMI subresources: pause/unpause/soft reboot
/// through libvirt, guestosinfo from the QEMU guest agent (via libvirt), the
/// serial console as a libvirt stream, VNC as a TCP connection to QEMU's VNC
/// server on loopback.
final class RuntimeVirtNode: VirtNode, @unchecked Sendable {
    let vms: VMBackend

    init(vms: VMBackend) { self.vms = vms }

    func domain(_ vmi: VMIRef) async throws -> String {
        let name = DomainConverter.domainName(namespace: vmi.namespace, name: vmi.name)
        guard let d = await vms.existingDomain(vmiUID: vmi.uid, domainName: name) else {
            throw APIError.badRequest("VMI \(vmi.name) has no running domain on this node")
        }
        return d
    }

    func pause(_ vmi: VMIRef) async throws {
        let d = try await domain(vmi), lv = vms.libvirt
        try await Blocking.run { try lv.suspend(uuid: d) }
    }

    func unpause(_ vmi: VMIRef) async throws {
        let d = try await domain(vmi), lv = vms.libvirt
        try await Blocking.run { try lv.resume(uuid: d) }
    }

    func softReboot(_ vmi: VMIRef) async throws {
        let d = try await domain(vmi), lv = vms.libvirt
        try await Blocking.run { try lv.reboot(uuid: d) }
    }

    func guestOSInfo(_ vmi: VMIRef) async throws -> JSONValue {
        let d = try await domain(vmi), lv = vms.libvirt
        let info: [String: TypedParamValue]
        do {
            info = try await Blocking.run { try lv.guestInfo(uuid: d) }
        } catch {
            throw APIError.badRequest("VMI does not have guest agent connected")
        }
        let reply = await Blocking.run { try? lv.guestAgentInfoReply(uuid: d) }
        return GuestAgentInfo.document(info, guestInfoReply: reply)
    }

    func console(_ vmi: VMIRef) async throws -> any ByteChannel {
        let d = try await domain(vmi)
        let pipe = BytePipe(), lv = vms.libvirt
        let stream = try await Blocking.run {
            try lv.openConsole(uuid: d, onData: { bytes in
                Task { try? await pipe.write(bytes) }
            }, onClose: { _ in
                Task { await pipe.closeWrite() }
            })
        }
        return ConsoleChannel(stream: stream, output: pipe)
    }

    func vnc(_ vmi: VMIRef) async throws -> any ByteChannel {
        let d = try await domain(vmi), lv = vms.libvirt
        let xml = try await Blocking.run { try lv.xmlDescription(uuid: d) }
        guard let port = XMLStartTags.named("graphics", in: xml).first(where: { $0["type"] == "vnc" })?["port"].flatMap({ Int($0) }),
              port > 0 else {
            throw APIError.badRequest("VMI \(vmi.name) has no VNC display")
        }
        guard let fd = await Blocking.run({ ProbeTarget.connect(host: "127.0.0.1", port: port, timeout: 5) }) else {
            throw APIError.internalError("cannot reach the VNC server of \(vmi.name) on port \(port)")
        }
        return SocketChannel(fd: fd)
    }
}

/// A libvirt console stream as a ByteChannel: output buffered in a pipe, input written through.
final class ConsoleChannel: ByteChannel, @unchecked Sendable {
    let stream: ConsoleStream
    let output: BytePipe

    init(stream: ConsoleStream, output: BytePipe) {
        self.stream = stream
        self.output = output
    }

    func read() async throws -> [UInt8]? { try await output.read() }
    func write(_ bytes: [UInt8]) async throws {
        if stream.isClosed { throw StreamError.closed }
        stream.write(bytes)
    }
    func closeWrite() async {}
    func close() async {
        stream.close()
        await output.closeWrite()
    }
}
