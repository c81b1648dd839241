import XCTest
@testable import CorralModel

/// Pure ReplicaSet / Deployment rules: int-or-percent, pod ranking, template
/// hashing, claiming, status, and whole rollouts run against a simulated cluster.
final class WorkloadPlanningTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    func testIntOrPercentRounding() throws {
        let cases: [(JSONValue?, Int, Bool, Int)] = [
            (.int(2), 10, true, 2), ("25%", 10, true, 3), ("25%", 10, false, 2), ("25%", 3, true, 1), ("25%", 3, false, 0),
            ("100%", 7, false, 7), ("0%", 5, true, 0), (nil, 5, true, 0),
        ]
        for (v, total, up, want) in cases {
            XCTAssertEqual(try IntOrPercent.scaled(v, total: total, roundUp: up), want, "\(String(describing: v)) of \(total)")
        }
        XCTAssertThrowsError(try IntOrPercent.scaled("abc", total: 3, roundUp: true))
        XCTAssertThrowsError(try IntOrPercent.scaled("x%", total: 3, roundUp: true))
        let f = try IntOrPercent.fenceposts(maxSurge: "0%", maxUnavailable: "25%", desired: 2)
        XCTAssertEqual(f.surge, 0)
        XCTAssertEqual(f.unavailable, 1, "both zero: unavailable becomes 1")
    }

    func pod(_ name: String, node: String = "n1", phase: String = "Running", ready: Bool = true, readyAt: Date? = nil,
             created: Date? = nil, restarts: Int64 = 0, cost: String? = nil) -> JSONValue {
        var p: JSONValue = [
            "metadata": ["name": .string(name), "uid": .string("uid-\(name)"), "namespace": "default",
                         "creationTimestamp": .string(ObjectLifecycle.timestamp(created ?? t0))],
            "spec": ["nodeName": .string(node)],
            "status": ["phase": .string(phase),
                       "conditions": [["type": "Ready", "status": ready ? "True" : "False",
                                       "lastTransitionTime": .string(ObjectLifecycle.timestamp(readyAt ?? t0))]],
                       "containerStatuses": [["name": "c", "restartCount": .int(restarts)]]],
        ]
        if let cost { p.set(path: ["metadata", "annotations"], to: ["controller.kubernetes.io/pod-deletion-cost": .string(cost)]) }
        return p
    }

    func testDeletionRankingOrder() {
        let now = t0.addingTimeInterval(100_000)
        let cases: [(String, JSONValue, JSONValue)] = [
            ("unscheduled before scheduled", pod("a", node: ""), pod("b")),
            ("pending before running", pod("a", phase: "Pending"), pod("b")),
            ("not ready before ready", pod("a", ready: false), pod("b")),
            ("lower deletion cost first", pod("a", cost: "-5"), pod("b")),
            ("ready for a short time before long", pod("a", readyAt: now.addingTimeInterval(-10)), pod("b", readyAt: now.addingTimeInterval(-5000))),
            ("more restarts first", pod("a", restarts: 3), pod("b")),
            ("newer before older", pod("a", created: now.addingTimeInterval(-60)), pod("b", created: now.addingTimeInterval(-50_000))),
        ]
        for (name, first, second) in cases {
            XCTAssertEqual(PodDeletionRanking.podsToDelete([second, first], related: [], count: 1, now: now).map(PodState.name), ["a"], name)
            XCTAssertEqual(PodDeletionRanking.podsToDelete([first, second], related: [], count: 1, now: now).map(PodState.name), ["a"], name)
        }
    }

    func template(_ image: String, labels: [String: String] = ["app": "web"]) -> JSONValue {
        ["metadata": ["labels": .object(JSONObject(labels.map { ($0.key, .string($0.value)) }))],
         "spec": ["containers": [["name": "web", "image": .string(image)]]]]
    }

    func testTemplateHashIsStableAndShapedLikeKube() {
        let a = TemplateHash.compute(template: template("nginx:1"), collisionCount: nil)
        XCTAssertEqual(a, TemplateHash.compute(template: template("nginx:1"), collisionCount: nil))
        XCTAssertNotEqual(a, TemplateHash.compute(template: template("nginx:2"), collisionCount: nil))
        XCTAssertNotEqual(a, TemplateHash.compute(template: template("nginx:1"), collisionCount: 1))
        XCTAssertEqual(a, TemplateHash.compute(template: TemplateHash.withHash(template("nginx:1"), "zzz"), collisionCount: nil))
        XCTAssertTrue((1...10).contains(a.count))
        XCTAssertTrue(a.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) }, a)
        // Absent, null and zero values are the same template, as in kube's typed comparison.
        var b = TemplateHash.withHash(template("nginx:1"), "abc")
        b.set(path: ["metadata", "creationTimestamp"], to: .null)
        b.set(path: ["spec", "hostNetwork"], to: false)
        XCTAssertTrue(TemplateHash.equalIgnoringHash(template("nginx:1"), b))
        XCTAssertFalse(TemplateHash.equalIgnoringHash(template("nginx:1"), template("nginx:2")))
    }

    func testReplicaSetClaimAndStatus() throws {
        let rs: JSONValue = ["apiVersion": "apps/v1", "kind": "ReplicaSet",
                             "metadata": ["name": "web", "namespace": "default", "uid": "rs1", "generation": 4],
                             "spec": ["replicas": 3, "minReadySeconds": 30, "selector": ["matchLabels": ["app": "web"]], "template": template("nginx")]]
        let sel = try LabelSelector(json: rs[path: ["spec", "selector"]]!)
        func labeled(_ p: JSONValue, _ labels: JSONValue, owner: String?) -> JSONValue {
            var p = p
            p.set(path: ["metadata", "labels"], to: labels)
            if let owner { p.set(path: ["metadata", "ownerReferences"], to: [["uid": .string(owner), "controller": true, "kind": "ReplicaSet", "name": "x"]]) }
            return p
        }
        let now = t0.addingTimeInterval(60)
        let pods = [
            labeled(pod("mine"), ["app": "web"], owner: "rs1"),
            labeled(pod("fresh", readyAt: now.addingTimeInterval(-5)), ["app": "web"], owner: "rs1"),
            labeled(pod("orphan"), ["app": "web"], owner: nil),
            labeled(pod("other"), ["app": "web"], owner: "rs2"),
            labeled(pod("strayed"), ["app": "db"], owner: "rs1"),
        ]
        let claim = ReplicaSetPlanning.claim(owner: rs, selector: sel, pods: pods)
        XCTAssertEqual(claim.owned.map(PodState.name), ["mine", "fresh"])
        XCTAssertEqual(claim.adopt.map(PodState.name), ["orphan"])
        XCTAssertEqual(claim.release.map(PodState.name), ["strayed"])

        let s = ReplicaSetPlanning.status(rs: rs, pods: claim.owned + claim.adopt, manageError: nil, now: now)
        XCTAssertEqual(s, ["replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 3, "availableReplicas": 2, "observedGeneration": 4])
        XCTAssertEqual(ReplicaSetPlanning.nextAvailabilityCheck(rs: rs, pods: claim.owned, now: now), 25)
        let failed = ReplicaSetPlanning.status(rs: rs, pods: [], manageError: "quota", now: now)
        XCTAssertEqual(failed["replicas"], 0)
        XCTAssertEqual(failed["conditions"]?.arrayValue?.first?["reason"], "FailedCreate")

        let newPod = ReplicaSetPlanning.newPod(for: rs)
        XCTAssertEqual(newPod[path: ["metadata", "generateName"]], "web-")
        XCTAssertEqual(newPod[path: ["metadata", "labels"]], ["app": "web"])
        XCTAssertEqual(newPod[path: ["metadata", "ownerReferences"]], [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "rs1",
                                                                        "controller": true, "blockOwnerDeletion": true]])
    }
}
