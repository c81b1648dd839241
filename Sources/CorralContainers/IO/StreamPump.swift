import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Moves bytes from a blocking descriptor into an AsyncStream on a dedicated
/// thread (exec/attach output), finishing the stream at EOF.
enum StreamPump {
    /// Starts reading `fd` until EOF/error; `decode` may split one read into (stream, bytes) parts.
    /// The descriptor is closed when reading ends.
    static func start(fd: Int32, name: String, onChunk: @escaping ([UInt8]) -> Void, onEnd: @escaping () -> Void) {
        let t = Thread {
            while true {
                guard let data = FD.readSome(fd) else { break }
                if !data.isEmpty { onChunk(data) }
            }
            close(fd)
            onEnd()
        }
        t.name = name
        t.start()
    }

    /// A stream and the continuation that feeds it.
    static func makeStream() -> (AsyncStream<[UInt8]>, AsyncStream<[UInt8]>.Continuation) {
        var cont: AsyncStream<[UInt8]>.Continuation!
        let s = AsyncStream<[UInt8]>(bufferingPolicy: .unbounded) { cont = $0 }
        return (s, cont)
    }
}

/// A one-shot value set from a thread and awaited from async code.
final class Completion<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T?
    private var waiters: [CheckedContinuation<T, Never>] = []

    func complete(_ v: T) {
        lock.lock()
        guard value == nil else { lock.unlock(); return }
        value = v
        let w = waiters
        waiters = []
        lock.unlock()
        w.forEach { $0.resume(returning: v) }
    }

    var current: T? { lock.lock(); defer { lock.unlock() }; return value }

    func wait() async -> T {
        await withCheckedContinuation { c in
            lock.lock()
            if let v = value { lock.unlock(); c.resume(returning: v); return }
            waiters.append(c)
            lock.unlock()
        }
    }
}
