import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A connection to conmon's attach socket (kubectl attach). conmon's framing:
/// each packet it sends starts with one byte naming the stream (2 = stdout,
/// 3 = stderr) followed by the data; what we send is raw stdin. Terminal
/// resizes go through the bundle's `ctl` fifo as "1 ROWS COLS\n".
public final class AttachSession: @unchecked Sendable {
    /// The container's output (all of it for tty containers).
    public let stdout: AsyncStream<[UInt8]>
    /// The container's error output.
    public let stderr: AsyncStream<[UInt8]>
    private var fd: Int32
    private let ctlPath: String
    private let lock = NSLock()

    static let stdoutTag: UInt8 = 2, stderrTag: UInt8 = 3

    init(socketPath: String, ctlPath: String) throws {
        self.ctlPath = ctlPath
        let s = socket(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { throw ContainersError.system(call: "socket", errno: errno) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            Glibc.close(s)
            throw ContainersError.io(path: socketPath, message: "attach socket path too long")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(s)
            throw ContainersError.system(call: "connect \(socketPath)", errno: e)
        }
        fd = s
        let (out, outC) = StreamPump.makeStream()
        let (err, errC) = StreamPump.makeStream()
        stdout = out
        stderr = err
        let reader = dup(s)
        FD.setCloexec(reader)
        let t = Thread {
            var buf = [UInt8](repeating: 0, count: 32_769)
            while true {
                let n = buf.withUnsafeMutableBytes { recv(reader, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                let data = Array(buf[1..<n])
                if buf[0] == AttachSession.stderrTag { errC.yield(data) } else { outC.yield(data) }
            }
            Glibc.close(reader)
            outC.finish()
            errC.finish()
        }
        t.name = "attach-read"
        t.start()
    }

    deinit { close() }

    /// Sends bytes to the container's stdin (needs the container created with `stdin`).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        lock.lock(); let s = fd; lock.unlock()
        guard s >= 0 else { return false }
        var off = 0
        while off < bytes.count {
            let chunk = min(32_768, bytes.count - off)
            let n = bytes[off..<(off + chunk)].withUnsafeBytes { send(s, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { if errno == EINTR { continue }; return false }
            off += n
        }
        return true
    }

    /// Half-closes: conmon then closes the container's stdin unless it runs with --leave-stdin-open.
    public func closeStdin() {
        lock.lock(); defer { lock.unlock() }
        if fd >= 0 { shutdown(fd, Int32(SHUT_WR)) }
    }

    /// Resizes the container's terminal through conmon's control fifo.
    public func resize(cols: UInt16, rows: UInt16) {
        let f = open(ctlPath, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard f >= 0 else { return }
        FD.writeAll(f, Array("1 \(rows) \(cols)\n".utf8))
        Glibc.close(f)
    }

    /// Disconnects (the reader sees EOF and finishes the streams).
    public func close() {
        lock.lock(); defer { lock.unlock() }
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd); fd = -1 }
    }
}

extension ConmonRuntime {
    /// Attaches to the main process of container `id` through conmon.
    public func attach(id: String) throws -> AttachSession {
        let paths = self.paths(id)
        guard !paths.bundle.isEmpty else { throw ContainersError.containerNotFound(id) }
        let socket = paths.attachSocket.utf8.count < 100 ? paths.attachSocket : paths.bundle + "/attach"
        return try AttachSession(socketPath: socket, ctlPath: paths.ctlFifo)
    }

    /// Resizes the main process's terminal (tty containers) via conmon's control fifo.
    public func resize(id: String, cols: UInt16, rows: UInt16) {
        let f = open(paths(id).ctlFifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard f >= 0 else { return }
        FD.writeAll(f, Array("1 \(rows) \(cols)\n".utf8))
        close(f)
    }
}
