import Foundation
import NIOConcurrencyHelpers

// DEBUG/TEST SHIM — NOT THE NODE. Off unless the daemon runs with
// CORRAL_DEBUG_HOST_STREAMS=1. It lets the streaming wire protocols be tested
// with real kubectl before the node agent exists: exec/attach run the command
// as a plain child process ON THE HOST (no container, no isolation), logs serve
// the CRI-format file named by CORRAL_DEBUG_LOG_FILE, port-forward connects to
// 127.0.0.1:PORT on the host. When enabled it takes precedence over APIServer.nodeStreams.

/// Host-process stand-in for the node's streams (tests only).
final class DebugHostStreams: NodeStreams, @unchecked Sendable {
    /// The shim when CORRAL_DEBUG_HOST_STREAMS=1, else nil.
    static let fromEnvironment: DebugHostStreams? = {
        guard ProcessInfo.processInfo.environment["CORRAL_DEBUG_HOST_STREAMS"] == "1" else { return nil }
        signal(SIGPIPE, SIG_IGN)  // a child that exits early must not kill the daemon
        return DebugHostStreams(logFile: ProcessInfo.processInfo.environment["CORRAL_DEBUG_LOG_FILE"])
    }()

    let logFile: String?

    init(logFile: String?) { self.logFile = logFile }

    func logs(_ target: ContainerRef, options: PodLogOptions) async throws -> any ByteReader {
        CRILogFile(path: logFile ?? "/nonexistent", options: options)
    }

    func exec(_ target: ContainerRef, command: [String], stdio: StdioOptions) async throws -> any StreamSession {
        try HostProcessSession.spawn(command, stdio: stdio)
    }

    func attach(_ target: ContainerRef, stdio: StdioOptions) async throws -> any StreamSession {
        // There is no container main process on the host: attach to a fresh shell.
        try HostProcessSession.spawn(["/bin/sh"], stdio: stdio)
    }

    func portForward(_ pod: PodRef, port: UInt16) async throws -> any ByteChannel {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw StreamError.failed("socket: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let err = String(cString: strerror(errno))
            close(fd)
            throw StreamError.failed("dial tcp4 127.0.0.1:\(port): connect: \(err.lowercased())")
        }
        return HostSocketChannel(fd: fd)
    }
}

/// A TCP connection on the host as a ByteChannel.
final class HostSocketChannel: ByteChannel, @unchecked Sendable {
    let shared: SharedFD
    let reader: FDReader
    let writer: FDWriter

    init(fd: Int32) {
        shared = SharedFD(fd, users: 2)
        reader = FDReader(shared)
        writer = FDWriter(shared) { shutdown($0, Int32(SHUT_WR)) }
    }

    func read() async throws -> [UInt8]? { try await reader.read() }
    func write(_ bytes: [UInt8]) async throws { try await writer.write(bytes) }
    func closeWrite() async { await writer.closeWrite() }
    func close() async {
        shared.withFD { _ = shutdown($0, Int32(SHUT_RDWR)) }
        await writer.closeWrite()
        await reader.abandon()
    }
}
