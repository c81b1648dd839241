import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small helpers over raw file descriptors.
enum FD {
    /// A close-on-exec pipe.
    static func pipe() throws -> (r: Int32, w: Int32) {
        var fds: [Int32] = [0, 0]
        if let pipe2 = pipe2Fn {
            guard pipe2(&fds, O_CLOEXEC) == 0 else { throw ContainersError.system(call: "pipe2", errno: errno) }
        } else {
            guard Glibc.pipe(&fds) == 0 else { throw ContainersError.system(call: "pipe", errno: errno) }
            fds.forEach { setCloexec($0) }
        }
        return (fds[0], fds[1])
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    // pipe2 is a GNU extension Swift's Glibc module does not show.
    private static let pipe2Fn: Pipe2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    /// Marks a descriptor close-on-exec.
    static func setCloexec(_ fd: Int32) { _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC) }

    /// Writes everything (retrying on EINTR/EAGAIN); false when the peer is gone.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0); _ = Glibc.poll(&p, 1, 100); continue }
                return false
            }
            off += n
        }
        return true
    }

    /// One read of up to `max` bytes: nil on EOF or error, [] when interrupted.
    static func readSome(_ fd: Int32, max: Int = 65536) -> [UInt8]? {
        var buf = [UInt8](repeating: 0, count: max)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, max) }
        if n > 0 { return Array(buf[0..<n]) }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return [] }
        return nil
    }

    /// Reads two descriptors to EOF concurrently (stdout and stderr of a child).
    static func readBoth(_ a: Int32, _ b: Int32) -> ([UInt8], [UInt8]) {
        var outA: [UInt8] = [], outB: [UInt8] = []
        var open = [a: true, b: true]
        while open.values.contains(true) {
            var fds = [a, b].filter { open[$0]! }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let r = Glibc.poll(&fds, nfds_t(fds.count), -1)
            if r < 0 { if errno == EINTR { continue }; break }
            for p in fds where p.revents != 0 {
                if let data = readSome(p.fd) {
                    if p.fd == a { outA += data } else { outB += data }
                } else {
                    open[p.fd] = false
                }
            }
        }
        return (outA, outB)
    }

    /// Reads until a newline, EOF or `timeout`; returns what was read (nil on timeout with nothing).
    static func readLine(_ fd: Int32, timeout: TimeInterval) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout)
        var out: [UInt8] = []
        while !out.contains(UInt8(ascii: "\n")) {
            let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            if left == 0 { return out.isEmpty ? nil : out }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = Glibc.poll(&p, 1, left)
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { continue }
            guard let data = readSome(fd, max: 4096) else { break }
            out += data
        }
        return out
    }

    /// Sets or clears O_NONBLOCK.
    static func setNonBlocking(_ fd: Int32, _ on: Bool = true) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }
}
