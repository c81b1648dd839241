import CorralAPI
import CorralModel
import Foundation
import XCTest

@testable import CorralControllers

/// The garbage collector against a real store: what counts as an orphan, and
/// that a pass with an incomplete picture deletes nothing.
final class GarbageCollectorTests: XCTestCase {
    func replicaSet(_ h: ControllerHarness, _ name: String) async throws -> JSONValue {
        try await h.create(h.replicaSets, ["apiVersion": "apps/v1", "kind": "ReplicaSet",
                                           "metadata": ["name": .string(name), "namespace": "default"],
                                           "spec": ["selector": ["matchLabels": ["app": "x"]],
                                                    "template": ["metadata": ["labels": ["app": "x"]],
                                                                 "spec": ["containers": [["name": "c", "image": "busybox"]]]]]])
    }

    func ownedPod(_ h: ControllerHarness, _ name: String, owner: String, uid: String, kind: String = "ReplicaSet") async throws {
        var p = ControllerHarness.pod(name)
        p.set(path: ["metadata", "ownerReferences"], to: [["apiVersion": "apps/v1", "kind": .string(kind), "name": .string(owner),
                                                           "uid": .string(uid), "controller": true]])
        try await h.create(h.pods, p)
    }

    func names(_ h: ControllerHarness) async throws -> Set<String> {
        Set(try await h.list(h.pods).map(PodState.name))
    }

    func testDeletesOnlyDependentsWhoseOwnersAreGone() async throws {
        let h = try await ControllerHarness()
        let rs = try await replicaSet(h, "live")
        try await ownedPod(h, "kept", owner: "live", uid: PodState.uid(rs))
        try await ownedPod(h, "orphan", owner: "gone", uid: UUID().uuidString)
        // Same name as a live owner but another uid: that owner was replaced.
        try await ownedPod(h, "stale", owner: "live", uid: UUID().uuidString)
        // A kind nobody serves cannot be checked, so it is left alone.
        try await ownedPod(h, "unknown-kind", owner: "x", uid: UUID().uuidString, kind: "Widget")
        try await h.create(h.pods, ControllerHarness.pod("free"))
        await GarbageCollector(objects: h.objects, logger: h.logger).reconcileAll()
        let left = try await names(h)
        XCTAssertEqual(left, ["kept", "unknown-kind", "free"])
        await h.stop()
    }

    func testOwnerCheckReadsTheStoreAfresh() async throws {
        let h = try await ControllerHarness()
        let gc = GarbageCollector(objects: h.objects, logger: h.logger)
        try await ownedPod(h, "late", owner: "new", uid: "00000000-0000-0000-0000-000000000001")
        let pod = try await h.get(h.pods, "late")
        let entry = GarbageCollector.Entry(type: h.pods, object: pod)
        let goneBefore = await gc.everyOwnerIsGone(entry)
        XCTAssertTrue(goneBefore)
        // The owner shows up after the pass listed its type: the fresh read sees it.
        let rs = try await replicaSet(h, "new")
        try await h.edit(h.pods, "late") {
            $0.set(path: ["metadata", "ownerReferences"], to: [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "new",
                                                                "uid": .string(PodState.uid(rs)), "controller": true]])
        }
        let entryNow = GarbageCollector.Entry(type: h.pods, object: try await h.get(h.pods, "late"))
        let goneNow = await gc.everyOwnerIsGone(entryNow)
        XCTAssertFalse(goneNow)
        await h.stop()
    }

    func testACancelledPassDeletesNothing() async throws {
        let h = try await ControllerHarness()
        try await ownedPod(h, "orphan", owner: "gone", uid: UUID().uuidString)
        let gc = GarbageCollector(objects: h.objects, logger: h.logger)
        let pass = Task { await gc.reconcileAll() }
        pass.cancel()
        await pass.value
        let left = try await names(h)
        XCTAssertEqual(left, ["orphan"])
        await h.stop()
    }
}
