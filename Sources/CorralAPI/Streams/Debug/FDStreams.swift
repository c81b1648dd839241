import Foundation
import NIOConcurrencyHelpers

// DEBUG/TEST SHIM SUPPORT — used only by DebugHostStreams. Thread-backed
// bridges between blocking file descriptors and the async ByteReader/ByteWriter
// protocols, with backpressure through BytePipe.

/// A file descriptor shared by several threads, closed when the last user releases it.
final class SharedFD: @unchecked Sendable {
    let fd: Int32
    private let users: NIOLockedValueBox<Int>

    init(_ fd: Int32, users: Int) {
        self.fd = fd
        self.users = NIOLockedValueBox(users)
    }

    /// Runs `body` with the fd if it is still open.
    func withFD(_ body: (Int32) -> Void) {
        users.withLockedValue { n in if n > 0 { body(fd) } }
    }

    func release() {
        let close = users.withLockedValue { n -> Bool in
            n -= 1
            return n == 0
        }
        if close { _ = Glibc.close(fd) }
    }
}

/// Runs an async operation from a plain thread and waits for it.
private func blockOn(_ op: @escaping @Sendable () async -> Bool) -> Bool {
    let sem = DispatchSemaphore(value: 0)
    let ok = NIOLockedValueBox(false)
    Task {
        let r = await op()
        ok.withLockedValue { $0 = r }
        sem.signal()
    }
    sem.wait()
    return ok.withLockedValue { $0 }
}

/// Reads a descriptor on its own thread into a BytePipe; EOF or EIO (a pty whose
/// slave side closed) ends the stream.
final class FDReader: ByteReader {
    let pipe = BytePipe()

    init(_ shared: SharedFD) {
        let pipe = self.pipe
        Thread.detachNewThread {
            var buf = [UInt8](repeating: 0, count: 32 * 1024)
            while true {
                let n = buf.withUnsafeMutableBytes { Glibc.read(shared.fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                let chunk = Array(buf[0..<n])
                if !blockOn({ (try? await pipe.write(chunk)) != nil }) { break }
            }
            _ = blockOn { await pipe.closeWrite(); return true }
            shared.release()
        }
    }

    func read() async throws -> [UInt8]? { try await pipe.read() }

    /// Stops delivering data (the thread ends at its next chunk or EOF).
    func abandon() async { await pipe.closeRead() }
}

/// Writes to a descriptor from its own thread; `onEOF` runs when the writer is closed
/// (close the pipe, shut down the socket, or send ^D to a terminal).
final class FDWriter: ByteWriter {
    let pipe = BytePipe(capacity: 64 * 1024)

    init(_ shared: SharedFD, onEOF: @escaping @Sendable (Int32) -> Void) {
        let pipe = self.pipe
        Thread.detachNewThread {
            while true {
                let chunk = NIOLockedValueBox<[UInt8]?>(nil)
                _ = blockOn {
                    let c = try? await pipe.read()
                    chunk.withLockedValue { $0 = c ?? nil }
                    return true
                }
                guard let bytes = chunk.withLockedValue({ $0 }) else {
                    shared.withFD { onEOF($0) }
                    break
                }
                var off = 0
                var failed = false
                while off < bytes.count {
                    let n = bytes[off...].withUnsafeBytes { Glibc.write(shared.fd, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { failed = true; break }
                    off += n
                }
                if failed {
                    _ = blockOn { await pipe.closeRead(); return true }
                    break
                }
            }
            shared.release()
        }
    }

    func write(_ bytes: [UInt8]) async throws { try await pipe.write(bytes) }
    func closeWrite() async { await pipe.closeWrite() }
}
