import CorralModel
import Foundation
import XCTest

@testable import CorralStore

/// Real SQLite in a temp directory: revisions, batching, history, compaction.
final class SQLiteStoreTests: XCTestCase {
    var dir: String!

    override func setUp() {
        dir = NSTemporaryDirectory() + "corral-store-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func cm(_ name: String, _ v: String = "1") -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": "default"], "data": ["v": .string(v)]]
    }

    func key(_ n: String) -> ObjectKey { ObjectKey("configmaps", namespace: "default", name: n) }

    func testRevisionsStrictlyIncreaseAcrossConcurrentWriters() async throws {
        let store = try SQLiteStore(path: dir + "/s.db")
        let revs = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<200 {
                group.addTask {
                    try await store.transact { txn in
                        let o = try txn.put(self.key("c\(i)"), self.cm("c\(i)"), previous: nil)
                        return Int64(o[path: ["metadata", "resourceVersion"]]!.stringValue!)!
                    }
                }
            }
            var all: [Int64] = []
            for try await r in group { all.append(r) }
            return all
        }
        XCTAssertEqual(Set(revs).count, 200, "no duplicate revisions")
        XCTAssertEqual(revs.max(), 200)
        let current = try await store.currentRevision()
        XCTAssertEqual(current, 200)
        let list = try await store.list(storageKey: "configmaps", namespace: "default")
        XCTAssertEqual(list.items.count, 200)
        XCTAssertEqual(list.revision, 200)
    }

    func testFailedBodyRollsBackAloneAndOthersCommit() async throws {
        let store = try SQLiteStore(path: dir + "/s.db")
        struct Boom: Error {}
        async let ok: JSONValue = store.transact { txn in try txn.put(self.key("a"), self.cm("a"), previous: nil) }
        async let bad: Void = store.transact { txn in
            try txn.put(self.key("b"), self.cm("b"), previous: nil)
            throw Boom()
        }
        _ = try await ok
        do { try await bad; XCTFail("expected failure") } catch is Boom {}
        let a = try await store.get(key("a"))
        let b = try await store.get(key("b"))
        XCTAssertNotNil(a)
        XCTAssertNil(b, "a failed body's write must be rolled back")
        // The failed body's revision is not consumed.
        let current = try await store.currentRevision()
        XCTAssertEqual(current, 1)
    }

    func testDataSurvivesReopen() async throws {
        do {
            let store = try SQLiteStore(path: dir + "/s.db")
            for i in 0..<10 { _ = try await store.transact { txn in try txn.put(self.key("c\(i)"), self.cm("c\(i)"), previous: nil) } }
            store.close()
        }
        let again = try SQLiteStore(path: dir + "/s.db")
        let rev = try await again.currentRevision()
        XCTAssertEqual(rev, 10)
        let o = try await again.transact { txn in try txn.put(self.key("z"), self.cm("z"), previous: nil) }
        XCTAssertEqual(o[path: ["metadata", "resourceVersion"]]?.stringValue, "11")
        let check = try await again.integrityCheck()
        XCTAssertEqual(check, "ok")
    }

    func testHistoryAndCompaction() async throws {
        let store = try SQLiteStore(path: dir + "/s.db")
        for i in 0..<5 { _ = try await store.transact { txn in try txn.put(self.key("c\(i)"), self.cm("c\(i)"), previous: nil) } }
        _ = try await store.transact { txn in
            let old = try txn.get(self.key("c0"))!
            return try txn.put(self.key("c0"), self.cm("c0", "2"), previous: old)
        }
        _ = try await store.transact { txn in try txn.delete(self.key("c1"), last: try txn.get(self.key("c1"))!) }
        let h = try await store.history(storageKey: "configmaps", after: 4)
        XCTAssertEqual(h.map(\.revision), [5, 6, 7])
        XCTAssertEqual(h.map(\.type), [.added, .modified, .deleted])
        XCTAssertEqual(h[1].previous?[path: ["data", "v"]], "1")
        try await store.compact(upTo: 5, batchSize: 2)
        XCTAssertEqual(store.compactedRevision, 5)
        do {
            _ = try await store.history(storageKey: "configmaps", after: 3)
            XCTFail("expected compacted")
        } catch let e as StoreError {
            XCTAssertEqual(e, .compacted(requested: 3, compacted: 5))
        }
        let rest = try await store.history(storageKey: "configmaps", after: 5)
        XCTAssertEqual(rest.map(\.revision), [6, 7])
    }

    func testWatchHubDeliversInOrderAfterRegistration() async throws {
        let store = try SQLiteStore(path: dir + "/s.db")
        _ = try await store.transact { txn in try txn.put(self.key("before"), self.cm("before"), previous: nil) }
        let sub = store.hub.subscribe(storageKey: "configmaps")
        XCTAssertEqual(sub.since, 1)
        for i in 0..<20 { _ = try await store.transact { txn in try txn.put(self.key("c\(i)"), self.cm("c\(i)"), previous: nil) } }
        var got: [Int64] = []
        for await signal in sub.stream {
            guard case .change(let c) = signal else { continue }
            got.append(c.revision)
            if got.count == 20 { break }
        }
        XCTAssertEqual(got, Array(2...21))
        sub.cancel()
    }
}
