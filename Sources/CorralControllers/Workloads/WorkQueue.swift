import CorralAPI
import CorralStore
import Foundation
import Logging

/// Object keys ("namespace/name") waiting to be synced. A key waits at most
/// once however often it is added; one worker takes keys in order; a key
/// can be scheduled to come back after a delay (the earliest delay wins).
actor WorkQueue {
    private var order: [String] = []
    private var queued: Set<String> = []
    private var waiter: CheckedContinuation<String?, Never>?
    private var closed = false
    private var delayed: [String: Date] = [:]

    func add(_ keys: [String]) {
        for k in keys { add(k) }
    }

    func add(_ key: String) {
        guard !closed else { return }
        if let w = waiter {
            waiter = nil
            w.resume(returning: key)
            return
        }
        if queued.insert(key).inserted { order.append(key) }
    }

    /// Adds `key` after `seconds`, unless an earlier delayed add is pending.
    func add(_ key: String, after seconds: TimeInterval) {
        let due = Date().addingTimeInterval(seconds)
        if let cur = delayed[key], cur <= due { return }
        delayed[key] = due
        Task {
            try? await Task.sleep(nanoseconds: UInt64(max(seconds, 0) * 1e9))
            self.fire(key, due)
        }
    }

    private func fire(_ key: String, _ due: Date) {
        guard delayed[key] == due else { return }
        delayed[key] = nil
        add(key)
    }

    /// The next key, waiting for one; nil once closed.
    func next() async -> String? {
        if closed { return nil }
        if !order.isEmpty {
            let k = order.removeFirst()
            queued.remove(k)
            return k
        }
        return await withCheckedContinuation { waiter = $0 }
    }

    /// Ends `next()` for good.
    func close() {
        closed = true
        waiter?.resume(returning: nil)
        waiter = nil
    }
}

/// The loop every workload controller runs: watch some types, turn each
/// change into keys to sync, sync one key at a time, resync everything
/// periodically, and retry failed keys with backoff.
struct ControllerLoop {
    let name: String
    let objects: ObjectService
    let storageKeys: [String]
    let resync: TimeInterval
    let logger: Logger

    /// Runs until the task is cancelled. `sync` returns seconds after which
    /// to sync the key again, or nil.
    func run(map: @escaping @Sendable (Change) async -> [String], all: @escaping @Sendable () async -> [String],
             sync: @escaping @Sendable (String) async throws -> TimeInterval?) async {
        let queue = WorkQueue()
        // Subscribe before the first listing so no change falls in between.
        let subs = storageKeys.map { objects.store.hub.subscribe(storageKey: $0) }
        let feeders = subs.map { sub in
            Task {
                for await signal in sub.stream {
                    if case .change(let c) = signal { await queue.add(await map(c)) }
                }
            }
        }
        let resync = self.resync
        let ticker = Task {
            await queue.add(await all())
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(resync * 1e9))
                await queue.add(await all())
            }
        }
        var failures: [String: Int] = [:]
        await withTaskCancellationHandler {
            while let key = await queue.next() {
                do {
                    let after = try await sync(key)
                    failures[key] = nil
                    if let after { await queue.add(key, after: after) }
                } catch {
                    let n = (failures[key] ?? 0) + 1
                    failures[key] = n
                    let delay = min(0.05 * pow(2, Double(min(n, 10))), 30)
                    logger.debug("sync failed", metadata: ["controller": .string(name), "key": .string(key), "error": .string("\(error)")])
                    await queue.add(key, after: delay)
                }
            }
        } onCancel: {
            Task { await queue.close() }
        }
        for f in feeders { f.cancel() }
        ticker.cancel()
        for s in subs { s.cancel() }
    }

    /// "namespace/name" of an object key.
    static func key(_ namespace: String, _ name: String) -> String { "\(namespace)/\(name)" }

    /// Splits "namespace/name".
    static func split(_ key: String) -> (namespace: String, name: String) {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : ("", key)
    }
}
