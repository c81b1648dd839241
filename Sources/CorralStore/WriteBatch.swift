import CorralModel
import Foundation
import GRDB

/// A caller's write, waiting for the next batch.
struct PendingWrite {
    /// Runs inside the batch's savepoint; throws to roll back this write alone.
    let run: (inout WriteTxn) throws -> Void
    /// Called once: nil when the batch is durable, or the error to return.
    let complete: (Error?) -> Void
}

/// What one `transact` body may do: read the latest state, write objects and
/// delete them. Every write takes the next global revision and stamps it into
/// `metadata.resourceVersion`.
public struct WriteTxn {
    let db: Database
    var revision: Int64
    var changes: [Change] = []

    /// The latest committed (or earlier in this batch) state of an object.
    public func get(_ key: ObjectKey) throws -> JSONValue? {
        try SQLiteStore.fetch(db, key).map { try $0.decoded() }
    }

    /// Whether an object exists, without decoding it.
    public func exists(_ key: ObjectKey) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM objects WHERE skey = ? AND namespace = ? AND name = ?"),
                          arguments: [key.storageKey, key.namespace, key.name]) ?? false
    }

    /// Keys of every object of a type, optionally in one namespace.
    public func keys(storageKey: String, namespace: String?) throws -> [ObjectKey] {
        var sql = "SELECT namespace, name FROM objects WHERE skey = ?"
        var args: [any DatabaseValueConvertible] = [storageKey]
        if let namespace { sql += " AND namespace = ?"; args.append(namespace) }
        return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map {
            ObjectKey(storageKey, namespace: $0[0], name: $0[1])
        }
    }

    /// Writes `object` (creating or replacing), returns it as stored.
    @discardableResult
    public mutating func put(_ key: ObjectKey, _ object: JSONValue, previous: JSONValue?) throws -> JSONValue {
        revision += 1
        var obj = object
        obj.set(path: ["metadata", "resourceVersion"], to: .string(String(revision)))
        let raw = obj.serialized()
        let bytes = Data(raw)
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO objects (skey, namespace, name, rv, data) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [key.storageKey, key.namespace, key.name, revision, bytes])
        let type: ChangeType = previous == nil ? .added : .modified
        try record(type, key, bytes, previous)
        changes.append(Change(revision: revision, type: type, key: key, object: obj, previous: previous, objectBytes: raw))
        return obj
    }

    /// Removes an object; `last` is its final state (returned with the new revision).
    @discardableResult
    public mutating func delete(_ key: ObjectKey, last: JSONValue) throws -> JSONValue {
        revision += 1
        var obj = last
        obj.set(path: ["metadata", "resourceVersion"], to: .string(String(revision)))
        try db.cachedStatement(sql: "DELETE FROM objects WHERE skey = ? AND namespace = ? AND name = ?")
            .execute(arguments: [key.storageKey, key.namespace, key.name])
        let raw = obj.serialized()
        try record(.deleted, key, Data(raw), last)
        changes.append(Change(revision: revision, type: .deleted, key: key, object: obj, previous: last, objectBytes: raw))
        return obj
    }

    private func record(_ type: ChangeType, _ key: ObjectKey, _ data: Data, _ previous: JSONValue?) throws {
        try db.cachedStatement(sql: "INSERT INTO history (rv, skey, namespace, name, type, data, prev) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: [revision, key.storageKey, key.namespace, key.name, type.rawValue, data,
                                   previous.map { Data($0.serialized()) }])
    }
}

extension SQLiteStore {
    /// Runs `body` in a transaction shared with other concurrent callers and
    /// returns once it is durable. If `body` throws, its writes are rolled
    /// back alone and the error is rethrown; other callers are unaffected.
    public func transact<T>(_ body: @escaping (inout WriteTxn) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, Error>) in
            let box = ResultBox<T>()
            enqueue(PendingWrite(
                run: { txn in box.value = try body(&txn) },
                complete: { err in
                    if let err { cont.resume(throwing: err) } else { cont.resume(returning: box.value!) }
                }))
        }
    }

    private func enqueue(_ w: PendingWrite) {
        let schedule: Bool = pendingLock.withLock {
            pending.append(w)
            if flushScheduled { return false }
            flushScheduled = true
            return true
        }
        if schedule { writeQueue.async { self.flush() } }
    }

    /// Drains the queue: one SQLite transaction per batch, one savepoint per caller.
    private func flush() {
        while true {
            let batch: [PendingWrite] = pendingLock.withLock {
                let b = pending
                pending = []
                if b.isEmpty { flushScheduled = false }
                return b
            }
            if batch.isEmpty { return }
            var outcomes: [Error?] = []
            var changes: [Change] = []
            var newRevision = revision
            do {
                try pool.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        for w in batch {
                            var txn = WriteTxn(db: db, revision: newRevision)
                            var failure: Error?
                            try db.inSavepoint {
                                do { try w.run(&txn) } catch { failure = error }
                                return failure == nil ? .commit : .rollback
                            }
                            outcomes.append(failure)
                            if failure == nil {
                                newRevision = txn.revision
                                changes.append(contentsOf: txn.changes)
                            }
                        }
                        try db.cachedStatement(sql: "UPDATE meta SET v = ? WHERE k = 'revision'").execute(arguments: [newRevision])
                        return .commit
                    }
                }
                revision = newRevision
                hub.publish(changes)
                for (w, outcome) in zip(batch, outcomes) { w.complete(outcome) }
            } catch {
                // The batch did not commit: nobody in it is acknowledged.
                let err = StoreError.io("\(error)")
                for w in batch { w.complete(err) }
            }
        }
    }
}

/// Carries a transaction body's result out of the batch.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

extension SQLiteStore {
    /// Runs a transaction body against a read snapshot, writing nothing
    /// (dry runs). A body that tries to write fails.
    public func readOnly<T>(_ body: @escaping (inout WriteTxn) throws -> T) async throws -> T {
        let box = ResultBox<T>()
        try await pool.read { db in
            var txn = WriteTxn(db: db, revision: 0)
            box.value = try body(&txn)
        }
        return box.value!
    }
}
