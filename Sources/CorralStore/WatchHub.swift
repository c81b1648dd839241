import CorralModel
import Foundation

/// Fans committed changes out to live watchers. The store publishes each
/// batch after it is durable, in revision order, so a watcher that registers
/// before reading history and skips what it already read sees every change
/// exactly once.
public final class WatchHub: @unchecked Sendable {
    private let lock = NSLock()
    private var nextID = 0
    private var subscribers: [String: [Int: AsyncStream<WatchSignal>.Continuation]] = [:]
    private var published: Int64

    init(startRevision: Int64) { published = startRevision }

    /// Subscribe with this storage key to receive changes of every type (controllers).
    public static let everything = "*"

    /// The highest revision handed to watchers so far.
    public var publishedRevision: Int64 { lock.withLock { published } }

    /// Registers a watcher of one storage key. Returns the stream of future
    /// changes and the revision already published when it registered (every
    /// change in the stream is newer). `poke` puts a `.tick` into the
    /// stream (bookmark timers).
    public func subscribe(storageKey: String) -> (stream: AsyncStream<WatchSignal>, since: Int64, cancel: @Sendable () -> Void, poke: @Sendable () -> Void) {
        var cont: AsyncStream<WatchSignal>.Continuation!
        let stream = AsyncStream<WatchSignal>(bufferingPolicy: .unbounded) { cont = $0 }
        let (id, since): (Int, Int64) = lock.withLock {
            nextID += 1
            subscribers[storageKey, default: [:]][nextID] = cont
            return (nextID, published)
        }
        let cancel: @Sendable () -> Void = { [weak self] in
            guard let self else { return }
            let c = self.lock.withLock { self.subscribers[storageKey]?.removeValue(forKey: id) }
            c?.finish()
        }
        cont.onTermination = { _ in cancel() }
        let c = cont!
        return (stream, since, cancel, { _ = c.yield(.tick) })
    }

    /// Number of live watchers (for metrics and tests).
    public var watcherCount: Int { lock.withLock { subscribers.values.reduce(0) { $0 + $1.count } } }

    func publish(_ changes: [Change]) {
        guard !changes.isEmpty else { return }
        lock.withLock {
            for c in changes {
                if let subs = subscribers[c.key.storageKey] {
                    for s in subs.values { s.yield(.change(c)) }
                }
                if let all = subscribers[WatchHub.everything] {
                    for s in all.values { s.yield(.change(c)) }
                }
                published = max(published, c.revision)
            }
        }
    }

    /// Records a revision that produced no change watchers care about.
    func advance(to revision: Int64) {
        lock.withLock { published = max(published, revision) }
    }

    /// Ends every stream (shutdown).
    public func finishAll() {
        let all = lock.withLock { () -> [AsyncStream<WatchSignal>.Continuation] in
            let a = subscribers.values.flatMap { $0.values }
            subscribers = [:]
            return a
        }
        for c in all { c.finish() }
    }
}
