import CorralModel
import Foundation
import GRDB

/// How hard each commit is pushed to disk.
public enum SyncMode: String, Sendable {
    /// fsync on every commit (SQLite `synchronous=FULL`): an acknowledged write survives power loss.
    case full
    /// WAL `synchronous=NORMAL`: survives a process crash, may lose the last commits on power loss.
    case normal
}

/// The revisioned object store: current objects plus a history of changes,
/// one global revision per change, in one SQLite file in WAL mode.
///
/// Writes go through `transact`, which batches concurrent callers into one
/// SQLite transaction (each in its own savepoint) so that many clients share
/// one fsync. Nothing is acknowledged before its transaction commits.
public final class SQLiteStore: @unchecked Sendable {
    let pool: DatabasePool
    public let hub: WatchHub
    let writeQueue = DispatchQueue(label: "corral.store.writer")
    let pendingLock = NSLock()
    var pending: [PendingWrite] = []
    var flushScheduled = false
    /// Last committed revision; touched only on `writeQueue` after open.
    var revision: Int64
    private let compactedLock = NSLock()
    private var _compacted: Int64

    /// Opens (creating if needed) the store at `path`.
    public init(path: String, sync: SyncMode = .full) throws {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous=\(sync == .full ? "FULL" : "NORMAL")")
        }
        config.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try pool.write { db in try SQLiteStore.migrate(db) }
            let (rev, comp) = try pool.read { db -> (Int64, Int64) in
                let r = try Int64.fetchOne(db, sql: "SELECT v FROM meta WHERE k = 'revision'") ?? 0
                let c = try Int64.fetchOne(db, sql: "SELECT v FROM meta WHERE k = 'compacted'") ?? 0
                return (r, c)
            }
            revision = rev
            _compacted = comp
            hub = WatchHub(startRevision: rev)
        } catch {
            throw StoreError.io("\(error)")
        }
    }

    static func migrate(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS objects (
                skey TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                rv INTEGER NOT NULL, data BLOB NOT NULL,
                PRIMARY KEY (skey, namespace, name)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS history (
                rv INTEGER PRIMARY KEY, skey TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                type TEXT NOT NULL, data BLOB NOT NULL, prev BLOB);
            CREATE INDEX IF NOT EXISTS history_skey ON history (skey, rv);
            CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
            INSERT OR IGNORE INTO meta (k, v) VALUES ('revision', 0), ('compacted', 0);
            """)
    }

    /// The oldest revision a watch or continue token may still start from.
    public var compactedRevision: Int64 { compactedLock.withLock { _compacted } }

    /// The newest committed revision as seen by a fresh read.
    public func currentRevision() async throws -> Int64 {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT v FROM meta WHERE k = 'revision'") ?? 0 }
    }

    // MARK: reads

    /// One object, or nil.
    public func get(_ key: ObjectKey) async throws -> StoredObject? {
        try await pool.read { db in try SQLiteStore.fetch(db, key) }
    }

    static func fetch(_ db: Database, _ key: ObjectKey) throws -> StoredObject? {
        let stmt = try db.cachedStatement(sql: "SELECT rv, data FROM objects WHERE skey = ? AND namespace = ? AND name = ?")
        guard let row = try Row.fetchOne(stmt, arguments: [key.storageKey, key.namespace, key.name]) else { return nil }
        let data: Data = row[1]
        return StoredObject(key: key, revision: row[0], bytes: [UInt8](data))
    }

    /// A page of one type's objects ordered by (namespace, name), starting after
    /// `after` (a "namespace/name" continue position), plus the store revision
    /// of the same snapshot. `namespace` nil lists every namespace.
    public func list(storageKey: String, namespace: String?, after: (String, String)? = nil, limit: Int? = nil)
        async throws -> (items: [StoredObject], revision: Int64)
    {
        try await pool.read { db in
            var sql = "SELECT namespace, name, rv, data FROM objects WHERE skey = ?"
            var args: [any DatabaseValueConvertible] = [storageKey]
            if let ns = namespace { sql += " AND namespace = ?"; args.append(ns) }
            if let (ans, aname) = after { sql += " AND (namespace, name) > (?, ?)"; args.append(ans); args.append(aname) }
            sql += " ORDER BY namespace, name"
            if let limit { sql += " LIMIT \(limit)" }
            let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args))
            let items = rows.map { row -> StoredObject in
                let data: Data = row[3]
                return StoredObject(key: ObjectKey(storageKey, namespace: row[0], name: row[1]), revision: row[2], bytes: [UInt8](data))
            }
            let rev = try Int64.fetchOne(db, sql: "SELECT v FROM meta WHERE k = 'revision'") ?? 0
            return (items, rev)
        }
    }

    /// The objects of a type as they were at `revision` (which must not be
    /// compacted), ordered by (namespace, name): current rows untouched since,
    /// plus the pre-change state of anything changed or deleted after it.
    /// Continue tokens use this so every page comes from one snapshot.
    public func list(storageKey: String, namespace: String?, atRevision revision: Int64) async throws -> [StoredObject] {
        let compacted = compactedRevision
        if revision < compacted { throw StoreError.compacted(requested: revision, compacted: compacted) }
        let result: [StoredObject] = try await pool.read { db in
            var nsClause = ""
            var args: [any DatabaseValueConvertible] = [storageKey]
            if let namespace { nsClause = " AND namespace = ?"; args.append(namespace) }
            var byKey: [ObjectKey: StoredObject] = [:]
            let current = try Row.fetchAll(db, sql: "SELECT namespace, name, rv, data FROM objects WHERE skey = ?\(nsClause) AND rv <= ?",
                                           arguments: StatementArguments(args + [revision]))
            for row in current {
                let k = ObjectKey(storageKey, namespace: row[0], name: row[1])
                let data: Data = row[3]
                byKey[k] = StoredObject(key: k, revision: row[2], bytes: [UInt8](data))
            }
            // The first change after the snapshot tells what the object was at it.
            let later = try Row.fetchAll(db, sql: "SELECT namespace, name, type, prev, rv FROM history WHERE skey = ?\(nsClause) AND rv > ? ORDER BY rv",
                                         arguments: StatementArguments(args + [revision]))
            var decided = Set<ObjectKey>()
            for row in later {
                let k = ObjectKey(storageKey, namespace: row[0], name: row[1])
                guard decided.insert(k).inserted else { continue }
                let type: String = row[2]
                let prev: Data? = row[3]
                if type == ChangeType.added.rawValue {
                    byKey[k] = nil
                } else if let prev {
                    let bytes = [UInt8](prev)
                    let rv = (try? JSONParser.parse(bytes)[path: ["metadata", "resourceVersion"]]?.stringValue).flatMap { $0.flatMap { Int64($0) } } ?? 0
                    byKey[k] = StoredObject(key: k, revision: rv, bytes: bytes)
                }
            }
            return byKey.values.sorted { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }
        }
        if revision < compactedRevision { throw StoreError.compacted(requested: revision, compacted: compactedRevision) }
        return result
    }

    /// Every object of every type in one namespace (namespace deletion).
    public func keys(inNamespace ns: String) async throws -> [ObjectKey] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT skey, name FROM objects WHERE namespace = ?", arguments: [ns]).map {
                ObjectKey($0[0], namespace: ns, name: $0[1])
            }
        }
    }

    /// Number of objects of a type (metrics, tests).
    public func count(storageKey: String) async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM objects WHERE skey = ?", arguments: [storageKey]) ?? 0 }
    }

    /// The changes to one type after `revision`, oldest first; throws
    /// `.compacted` when part of that range is gone.
    public func history(storageKey: String, after revision: Int64) async throws -> [Change] {
        let compacted = compactedRevision
        if revision < compacted { throw StoreError.compacted(requested: revision, compacted: compacted) }
        let rows = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT rv, namespace, name, type, data, prev FROM history WHERE skey = ? AND rv > ? ORDER BY rv",
                             arguments: [storageKey, revision])
        }
        // Compaction may have raced with the read: re-check what the read could see.
        if revision < compactedRevision { throw StoreError.compacted(requested: revision, compacted: compactedRevision) }
        return try rows.map { row in
            let data: Data = row[4]
            let prev: Data? = row[5]
            let bytes = [UInt8](data)
            return Change(revision: row[0], type: ChangeType(rawValue: row[3]) ?? .modified,
                          key: ObjectKey(storageKey, namespace: row[1], name: row[2]),
                          object: try JSONParser.parse(bytes),
                          previous: try prev.map { try JSONParser.parse([UInt8]($0)) }, objectBytes: bytes)
        }
    }

    /// Runs `PRAGMA integrity_check` (tests, `corral doctor`).
    public func integrityCheck() async throws -> String {
        try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }

    // MARK: compaction

    /// Deletes history at or below `target` in small batches, so writers are
    /// never blocked for long, then records the new compacted revision.
    public func compact(upTo target: Int64, batchSize: Int = 500) async throws {
        guard target > compactedRevision else { return }
        compactedLock.withLock { _compacted = max(_compacted, target) }
        while true {
            let deleted: Int = try await pool.write { db in
                try db.execute(sql: "UPDATE meta SET v = max(v, ?) WHERE k = 'compacted'", arguments: [target])
                try db.execute(sql: "DELETE FROM history WHERE rv IN (SELECT rv FROM history WHERE rv <= ? LIMIT ?)",
                               arguments: [target, batchSize])
                return db.changesCount
            }
            if deleted < batchSize { break }
        }
    }

    /// Checkpoints the WAL and closes connections.
    public func close() {
        hub.finishAll()
        try? pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        try? pool.close()
    }
}
