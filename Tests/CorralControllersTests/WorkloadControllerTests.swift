import CorralModel
import XCTest

@testable import CorralControllers

/// Deployment → ReplicaSet → Pod against a real store, with the scheduler
/// and a fake kubelet: creation, scaling, rolling update bounds, Recreate,
/// rollback, and ReplicaSet adoption.
final class WorkloadControllerTests: XCTestCase {
    func podsOf(_ h: ControllerHarness, _ app: String) async throws -> [JSONValue] {
        try await h.list(h.pods).filter { $0[path: ["metadata", "labels", "app"]]?.stringValue == app && PodState.isActive($0) }
    }

    func settled(_ h: ControllerHarness, _ name: String, replicas: Int) async throws -> Bool {
        let d = try await h.get(h.deployments, name)
        let s = d["status"] ?? [:]
        let n = JSONValue.int(Int64(replicas))
        let pods = try await podsOf(h, name)
        return s["observedGeneration"] == d[path: ["metadata", "generation"]] && s["updatedReplicas"] == n && s["availableReplicas"] == n
            && s["replicas"] == n && pods.count == replicas && pods.allSatisfy(PodState.isReady)
    }

    /// Settled and every pod satisfies `check`.
    func allRunning(_ h: ControllerHarness, _ name: String, _ replicas: Int, _ check: (JSONValue) -> Bool) async throws -> Bool {
        guard try await settled(h, name, replicas: replicas) else { return false }
        return try await podsOf(h, name).allSatisfy(check)
    }

    func testDeploymentCreatesReplicaSetAndPodsAndScales() async throws {
        let h = try await ControllerHarness()
        h.start()
        try await h.create(h.deployments, ControllerHarness.deployment("web", replicas: 3, image: "nginx:1"))
        try await h.waitFor("3 ready pods") { try await self.settled(h, "web", replicas: 3) }
        let rss = try await h.list(h.replicaSets)
        XCTAssertEqual(rss.count, 1)
        let rs = rss[0]
        let rsName = PodState.name(rs)
        let hash = rs[path: ["metadata", "labels", "pod-template-hash"]]?.stringValue ?? ""
        XCTAssertEqual(rsName, "web-\(hash)")
        XCTAssertEqual(rs[path: ["status", "readyReplicas"]], 3)
        for p in try await podsOf(h, "web") {
            XCTAssertTrue(PodState.name(p).hasPrefix("\(rsName)-"))
            XCTAssertEqual(PodState.name(p).count, rsName.count + 6)
            XCTAssertEqual(PodState.controllerRef(p)?["name"], .string(rsName))
            XCTAssertEqual(PodState.controllerRef(p)?["blockOwnerDeletion"], true)
            XCTAssertEqual(p[path: ["metadata", "labels", "pod-template-hash"]], .string(hash))
            XCTAssertEqual(p[path: ["spec", "nodeName"]], "node1")
        }
        let d = try await h.get(h.deployments, "web")
        XCTAssertEqual(d[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]], "1")
        let conds = d[path: ["status", "conditions"]]?.arrayValue ?? []
        XCTAssertEqual(conds.first { $0["type"] == "Available" }?["reason"], "MinimumReplicasAvailable")
        XCTAssertEqual(conds.first { $0["type"] == "Progressing" }?["message"], .string("ReplicaSet \"\(rsName)\" has successfully progressed."))
        let dEvents = try await h.eventLines(about: "web")
        XCTAssertEqual(dEvents, ["ScalingReplicaSet: Scaled up replica set \(rsName) from 0 to 3"])
        let rsEvents = try await h.eventLines(about: rsName)
        XCTAssertEqual(rsEvents.filter { $0.hasPrefix("SuccessfulCreate: Created pod: \(rsName)-") }.count, 3, "\(rsEvents)")

        try await h.edit(h.deployments, "web") { $0.set(path: ["spec", "replicas"], to: 5) }
        try await h.waitFor("5 pods") { try await self.settled(h, "web", replicas: 5) }
        try await h.edit(h.deployments, "web") { $0.set(path: ["spec", "replicas"], to: 1) }
        try await h.waitFor("1 pod") { try await self.settled(h, "web", replicas: 1) }
        let after = try await h.eventLines(about: rsName)
        XCTAssertEqual(after.filter { $0.hasPrefix("SuccessfulDelete: Deleted pod: ") }.count, 4)
        let webEvents = try await h.eventLines(about: "web")
        XCTAssertTrue(webEvents.contains("ScalingReplicaSet: Scaled down replica set \(rsName) from 5 to 1"), "\(webEvents)")
        let rsCount = try await h.list(h.replicaSets).count
        XCTAssertEqual(rsCount, 1)
        await h.stop()
    }

    func testRollingUpdateRespectsBoundsThenRollsBack() async throws {
        let h = try await ControllerHarness()
        let strategy: JSONValue = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 1]]
        h.start()
        try await h.create(h.deployments, ControllerHarness.deployment("web", replicas: 4, image: "nginx:1", strategy: strategy))
        try await h.waitFor("first rollout") { try await self.settled(h, "web", replicas: 4) }
        let first = PodState.name(try await h.list(h.replicaSets)[0])

        // Watch every change and check the bounds on each observed state.
        let sub = h.store.hub.subscribe(storageKey: "*")
        let observer = Task { () -> (Int, [String]) in
            var states = 0
            var violations: [String] = []
            for await signal in sub.stream {
                guard case .change(let c) = signal, ["pods", "replicasets.apps"].contains(c.key.storageKey) else { continue }
                states += 1
                let rss = (try? await h.list(h.replicaSets)) ?? []
                let specTotal = rss.reduce(0) { $0 + ($1[path: ["spec", "replicas"]]?.intValue ?? 0) }
                if specTotal > 5 { violations.append("ReplicaSets want \(specTotal) pods") }
                let ready = ((try? await self.podsOf(h, "web")) ?? []).filter(PodState.isReady).count
                if ready < 3 { violations.append("only \(ready) ready pods") }
            }
            return (states, violations)
        }
        try await h.edit(h.deployments, "web") { $0.set(path: ["spec", "template", "spec", "containers", ], to: [["name": "c", "image": "nginx:2"]]) }
        try await h.waitFor("second rollout") {
            try await self.allRunning(h, "web", 4) {
                $0[path: ["spec", "containers"]]?.arrayValue?.first?["image"] == "nginx:2"
            }
        }
        sub.cancel()
        let (states, violations) = await observer.value
        XCTAssertGreaterThan(states, 10)
        XCTAssertEqual(violations, [])
        let d2 = try await h.get(h.deployments, "web")
        XCTAssertEqual(d2[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]], "2")

        // Rollback as kubectl rollout undo does: put the old template back.
        let old = try await h.get(h.replicaSets, first)
        try await h.edit(h.deployments, "web") { $0.set(path: ["spec", "template"], to: TemplateHash.withoutHash(old[path: ["spec", "template"]]!)) }
        try await h.waitFor("rolled back") {
            try await self.allRunning(h, "web", 4) {
                $0[path: ["spec", "containers"]]?.arrayValue?.first?["image"] == "nginx:1"
            }
        }
        let rss = try await h.list(h.replicaSets)
        XCTAssertEqual(rss.count, 2, "the old ReplicaSet was reused")
        let reused = try await h.get(h.replicaSets, first)
        XCTAssertEqual(reused[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]], "3")
        XCTAssertEqual(reused[path: ["metadata", "annotations", "deployment.kubernetes.io/revision-history"]], "1")
        let d3 = try await h.get(h.deployments, "web")
        XCTAssertEqual(d3[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]], "3")
        await h.stop()
    }

    func testRecreateNeverRunsOldAndNewTogether() async throws {
        let h = try await ControllerHarness()
        h.start()
        try await h.create(h.deployments, ControllerHarness.deployment("db", replicas: 2, image: "pg:1", strategy: ["type": "Recreate"]))
        try await h.waitFor("first rollout") { try await self.settled(h, "db", replicas: 2) }
        let sub = h.store.hub.subscribe(storageKey: "pods")
        let observer = Task { () -> [String] in
            var bad: [String] = []
            for await signal in sub.stream {
                guard case .change = signal else { continue }
                // Terminating pods still run: they count as old until gone.
                let all = ((try? await h.list(h.pods)) ?? []).filter { $0[path: ["metadata", "labels", "app"]] == "db" }
                let images = Set(all.compactMap { $0[path: ["spec", "containers"]]?.arrayValue?.first?["image"]?.stringValue })
                if images.count > 1 { bad.append("\(images.sorted())") }
            }
            return bad
        }
        try await h.edit(h.deployments, "db") { $0.set(path: ["spec", "template", "spec", "containers"], to: [["name": "c", "image": "pg:2"]]) }
        try await h.waitFor("recreated") {
            try await self.allRunning(h, "db", 2) {
                $0[path: ["spec", "containers"]]?.arrayValue?.first?["image"] == "pg:2"
            }
        }
        sub.cancel()
        let bad = await observer.value
        XCTAssertEqual(bad, [])
        await h.stop()
    }

    func testMinReadySecondsAndProgressDeadline() async throws {
        let h = try await ControllerHarness()
        h.lock.withLock { h.neverReady.insert("broken:1") }
        h.start()
        var slow = ControllerHarness.deployment("slow", replicas: 2, image: "nginx:1")
        slow.set(path: ["spec", "minReadySeconds"], to: 2)
        let t0 = Date()
        try await h.create(h.deployments, slow)
        try await h.waitFor("ready but not yet available") {
            let s = try await h.get(h.deployments, "slow")["status"]
            return s?["readyReplicas"] == 2 && s?["availableReplicas"] == nil
        }
        try await h.waitFor("available after minReadySeconds") { try await self.settled(h, "slow", replicas: 2) }
        // Ready times are whole seconds (as metav1.Time), so "2s ready" can come up to 1s early, as in kube.
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(t0), 1)

        var stuck = ControllerHarness.deployment("stuck", replicas: 1, image: "broken:1")
        stuck.set(path: ["spec", "progressDeadlineSeconds"], to: 1)
        try await h.create(h.deployments, stuck)
        try await h.waitFor("deadline exceeded", timeout: 15) {
            let conds = try await h.get(h.deployments, "stuck")[path: ["status", "conditions"]]?.arrayValue ?? []
            let p = conds.first { $0["type"] == "Progressing" }
            return p?["status"] == "False" && p?["reason"] == "ProgressDeadlineExceeded"
        }
        let p = try await h.get(h.deployments, "stuck")[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"] == "Progressing" }
        let rs = try await h.list(h.replicaSets).first { PodState.controllerRef($0)?["name"] == "stuck" }!
        XCTAssertEqual(p?["message"], .string("ReplicaSet \"\(PodState.name(rs))\" has timed out progressing."))
        await h.stop()
    }

    func testReplicaSetAdoptsOrphansAndReleasesStrays() async throws {
        let h = try await ControllerHarness()
        h.start()
        var orphan = ControllerHarness.pod("orphan")
        orphan.set(path: ["metadata", "labels"], to: ["app": "cache"])
        try await h.create(h.pods, orphan)
        let rs: JSONValue = ["apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": "cache", "namespace": "default"],
                             "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "cache"]],
                                      "template": ["metadata": ["labels": ["app": "cache"]], "spec": ["containers": [["name": "c", "image": "redis"]]]]]]
        try await h.create(h.replicaSets, rs)
        try await h.waitFor("2 pods incl. the adopted orphan") {
            let pods = try await self.podsOf(h, "cache")
            let cacheRS = try await h.get(h.replicaSets, "cache")
            return pods.count == 2 && pods.allSatisfy { PodState.controllerRef($0)?["name"] == "cache" }
                && cacheRS[path: ["status", "readyReplicas"]] == 2
        }
        let adopted = try await self.podsOf(h, "cache")
        XCTAssertNotNil(adopted.first { PodState.name($0) == "orphan" })
        try await h.edit(h.pods, "orphan") { $0.set(path: ["metadata", "labels"], to: ["app": "other"]) }
        try await h.waitFor("released and replaced") {
            let stray = try await h.get(h.pods, "orphan")
            let count = try await self.podsOf(h, "cache").count
            return PodState.controllerRef(stray) == nil && count == 2
        }
        await h.stop()
    }
}
