import ArgumentParser
import CorralModel
import Foundation

/// `corral console VMI`: the guest's serial console on this terminal, over the
/// console subresource (WebSocket, plain.kubevirt.io). The terminal goes raw so
/// every key reaches the guest; Ctrl+] (or end of input) leaves.
struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "console", abstract: "Connect to a virtual machine's serial console (Ctrl+] to exit).")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Name of the VirtualMachineInstance (a VM's VMI has the VM's name).") var name: String

    /// Ctrl+] leaves the console, as in virtctl and telnet.
    static let escape: UInt8 = 0x1D

    func run() throws {
        try runReportingErrors {
            let creds = try cluster.credentials()
            let path = subresourcePath(cluster.resolvedNamespace(), "virtualmachineinstances", name, "console")
            let name = self.name
            try runBlocking {
                let frames = try await WebSocketClient.connect(creds, path: path, protocols: ["plain.kubevirt.io"])
                FileHandle.standardError.write(Data("Successfully connected to \(name) console. Press Ctrl+] to exit console.\n".utf8))
                let terminal = RawTerminal.enter()
                defer { terminal?.restore() }
                let input = Self.stdinChunks()
                try await WebSocketClient.bridge(frames, pump: { send in
                    for await chunk in input {
                        do { try await send(chunk) } catch { return }
                    }
                }, output: { bytes in try writeAll(1, bytes) })
            }
        }
    }

    /// Standard input as chunks, read on a thread of its own (reads block); ends at
    /// end of input or at the escape byte (what precedes it is still sent).
    static func stdinChunks() -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        let reader = Thread {
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(0, &buf, buf.count)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                let chunk = Array(buf[0..<n])
                if let i = chunk.firstIndex(of: escape) {
                    if i > 0 { continuation.yield(Array(chunk[..<i])) }
                    break
                }
                continuation.yield(chunk)
            }
            continuation.finish()
        }
        reader.start()
        return stream
    }
}

/// Writes every byte to a file descriptor; throws once it is closed.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw CLIError("write: \(String(cString: strerror(errno)))") }
        offset += n
    }
}

/// The terminal in raw mode (no echo, no line editing, no signals), restored afterwards.
final class RawTerminal: @unchecked Sendable {
    private var saved = termios()

    /// Switches standard input to raw mode; nil when it is not a terminal.
    static func enter() -> RawTerminal? {
        guard isatty(0) == 1 else { return nil }
        let t = RawTerminal()
        guard tcgetattr(0, &t.saved) == 0 else { return nil }
        var raw = t.saved
        cfmakeraw(&raw)
        guard tcsetattr(0, TCSANOW, &raw) == 0 else { return nil }
        return t
    }

    func restore() {
        _ = tcsetattr(0, TCSANOW, &saved)
    }
}
