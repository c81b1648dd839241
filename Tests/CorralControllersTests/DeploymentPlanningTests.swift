import CorralModel
import XCTest

/// A cluster simulated around `DeploymentPlanner`: actions are applied to
/// in-memory ReplicaSets, and a "kubelet step" makes pods exist at once and
/// become available one step after they were created.
struct ClusterSim {
    var d: JSONValue
    var rss: [JSONValue] = []
    var now = Date(timeIntervalSince1970: 1_700_000_000)
    var events: [String] = []
    var uid = 0

    init(replicas: Int, strategy: JSONValue, image: String = "nginx:1", extra: [String: JSONValue] = [:]) {
        var spec = JSONObject([("replicas", .int(Int64(replicas))), ("selector", ["matchLabels": ["app": "web"]]),
                               ("template", ClusterSim.template(image)), ("strategy", strategy),
                               ("revisionHistoryLimit", 10), ("progressDeadlineSeconds", 600)])
        for (k, v) in extra { spec[k] = v }
        d = ["apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": ["name": "web", "namespace": "default", "uid": "d-uid", "generation": 1], "spec": .object(spec)]
    }

    static func template(_ image: String) -> JSONValue {
        ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "image": .string(image)]]]]
    }

    mutating func edit(_ path: [String], _ v: JSONValue) {
        d.set(path: path, to: v)
        d.set(path: ["metadata", "generation"], to: .int((d[path: ["metadata", "generation"]]?.intValue ?? 1) + 1))
    }

    /// Pods per ReplicaSet uid, as many Running pods as the ReplicaSet reports.
    var pods: [String: [JSONValue]] {
        var out: [String: [JSONValue]] = [:]
        for rs in rss {
            let n = Int(rs[path: ["status", "replicas"]]?.intValue ?? 0)
            out[PodState.uid(rs)] = (0..<n).map { _ in ["status": ["phase": "Running"]] }
        }
        return out
    }

    @discardableResult
    mutating func sync() -> DeploymentPlan {
        let plan = DeploymentPlanner.plan(deployment: d, replicaSets: rss, podsByReplicaSet: pods, now: now)
        for a in plan.actions { apply(a) }
        return plan
    }

    mutating func apply(_ a: DeploymentAction) {
        switch a {
        case .createReplicaSet(var rs):
            uid += 1
            rs.set(path: ["metadata", "uid"], to: .string("rs-\(uid)"))
            rs.set(path: ["metadata", "creationTimestamp"], to: .string(ObjectLifecycle.timestamp(now.addingTimeInterval(Double(uid)))))
            rs.set(path: ["metadata", "generation"], to: 1)
            rss.append(rs)
        case .updateReplicaSet(let name, _, let from, let replicas, let annotations, _):
            let i = rss.firstIndex { PodState.name($0) == name }!
            precondition(rss[i][path: ["spec", "replicas"]]?.intValue == Int64(from), "planned from a stale size")
            rss[i].set(path: ["spec", "replicas"], to: .int(Int64(replicas)))
            rss[i].set(path: ["metadata", "annotations"], to: .object(JSONObject(annotations.map { ($0.key, .string($0.value)) })))
            rss[i].set(path: ["metadata", "generation"], to: .int((rss[i][path: ["metadata", "generation"]]?.intValue ?? 1) + 1))
        case .deleteReplicaSet(let name, _):
            rss.removeAll { PodState.name($0) == name }
        case .updateDeployment(let annotations, let status):
            d.set(path: ["metadata", "annotations"], to: .object(JSONObject(annotations.map { ($0.key, .string($0.value)) })))
            d["status"] = status
        case .event(_, _, let message):
            events.append(message)
        }
    }

    /// ReplicaSet controller and kubelet: pods that existed last step are available now.
    mutating func kubeletStep(ready: Bool = true) {
        for i in rss.indices {
            let spec = rss[i][path: ["spec", "replicas"]]?.intValue ?? 0
            let before = rss[i][path: ["status", "replicas"]]?.intValue ?? 0
            let avail = ready ? min(spec, before) : 0
            rss[i]["status"] = ["replicas": .int(spec), "readyReplicas": .int(avail), "availableReplicas": .int(avail),
                                "observedGeneration": rss[i][path: ["metadata", "generation"]] ?? 1]
        }
        now = now.addingTimeInterval(1)
    }

    func rs(image: String) -> JSONValue? {
        rss.first { $0[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["image"]?.stringValue == image }
    }

    func total(_ path: [String]) -> Int { rss.reduce(0) { $0 + Int($1[path: path]?.intValue ?? 0) } }

    var complete: Bool {
        let s = d["status"] ?? [:]
        let n = d[path: ["spec", "replicas"]]?.intValue ?? 0
        return s["updatedReplicas"]?.intValue ?? 0 == n && s["availableReplicas"]?.intValue ?? 0 == n && s["replicas"]?.intValue ?? 0 == n
            && s["observedGeneration"] == d[path: ["metadata", "generation"]]
    }

    /// Syncs and steps until the rollout completes, checking `invariant` at every state.
    mutating func settle(maxSteps: Int = 60, invariant: (ClusterSim) -> Void = { _ in }) {
        for _ in 0..<maxSteps {
            sync()
            invariant(self)
            if complete && total(["spec", "replicas"]) == Int(d[path: ["spec", "replicas"]]?.intValue ?? 0) { return }
            kubeletStep()
            invariant(self)
        }
        XCTFail("rollout did not finish: \(rss.map { "\(PodState.name($0))=\($0[path: ["spec", "replicas"]]!)" })")
    }
}

final class DeploymentPlanningTests: XCTestCase {
    func condition(_ sim: ClusterSim, _ type: String) -> JSONValue? {
        sim.d[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    func testNewDeploymentCreatesFirstRevision() {
        var sim = ClusterSim(replicas: 3, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"]])
        sim.sync()
        XCTAssertEqual(sim.rss.count, 1)
        let rs = sim.rss[0]
        let name = PodState.name(rs)
        XCTAssertTrue(name.hasPrefix("web-"))
        let hash = String(name.dropFirst(4))
        XCTAssertEqual(rs[path: ["spec", "replicas"]], 3)
        XCTAssertEqual(rs[path: ["spec", "selector", "matchLabels"]], ["app": "web", "pod-template-hash": .string(hash)])
        XCTAssertEqual(rs[path: ["spec", "template", "metadata", "labels", "pod-template-hash"]], .string(hash))
        XCTAssertEqual(PodState.annotations(rs), ["deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": "3",
                                                  "deployment.kubernetes.io/max-replicas": "4"])
        XCTAssertEqual(PodState.controllerRef(rs)?["name"], "web")
        XCTAssertEqual(sim.events, ["Scaled up replica set \(name) from 0 to 3"])
        XCTAssertEqual(sim.d[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]], "1")
        XCTAssertEqual(condition(sim, "Progressing")?["reason"], "NewReplicaSetCreated")
        XCTAssertEqual(condition(sim, "Progressing")?["message"], .string("Created new replica set \"\(name)\""))
        sim.settle()
        XCTAssertEqual(condition(sim, "Progressing")?["message"], .string("ReplicaSet \"\(name)\" has successfully progressed."))
        XCTAssertEqual(condition(sim, "Available")?["reason"], "MinimumReplicasAvailable")
        XCTAssertEqual(sim.d[path: ["status", "unavailableReplicas"]], nil)
    }

    func testRollingUpdateStaysWithinSurgeAndUnavailability() throws {
        let strategies: [(JSONValue, JSONValue, Int)] = [(1, 1, 4), ("25%", "25%", 4), (0, 1, 3), (2, 0, 5), ("50%", "0%", 4), ("30%", "10%", 10)]
        for (surge, unavail, replicas) in strategies {
            var sim = ClusterSim(replicas: replicas, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": surge, "maxUnavailable": unavail]])
            sim.settle()
            let bounds = try IntOrPercent.fenceposts(maxSurge: surge, maxUnavailable: unavail, desired: replicas)
            sim.edit(["spec", "template"], ClusterSim.template("nginx:2"))
            var states = 0
            sim.settle { s in
                states += 1
                XCTAssertLessThanOrEqual(s.total(["spec", "replicas"]), replicas + bounds.surge, "surge \(surge)/\(unavail)")
                XCTAssertGreaterThanOrEqual(s.total(["status", "availableReplicas"]), replicas - bounds.unavailable, "unavailable \(surge)/\(unavail)")
            }
            XCTAssertGreaterThan(states, 4)
            XCTAssertEqual(sim.rs(image: "nginx:2")?[path: ["spec", "replicas"]], .int(Int64(replicas)))
            XCTAssertEqual(sim.rs(image: "nginx:1")?[path: ["spec", "replicas"]], 0)
            XCTAssertEqual(sim.d[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]], "2")
        }
    }

    func testRollbackReusesOldReplicaSetAndRecordsHistory() {
        var sim = ClusterSim(replicas: 2, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]])
        sim.settle()
        let first = PodState.name(sim.rss[0])
        sim.edit(["spec", "template"], ClusterSim.template("nginx:2"))
        sim.settle()
        sim.edit(["spec", "template"], ClusterSim.template("nginx:1"))
        sim.settle()
        XCTAssertEqual(sim.rss.count, 2, "no third ReplicaSet")
        let back = sim.rs(image: "nginx:1")!
        XCTAssertEqual(PodState.name(back), first)
        XCTAssertEqual(back[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]], "3")
        XCTAssertEqual(back[path: ["metadata", "annotations", "deployment.kubernetes.io/revision-history"]], "1")
        XCTAssertEqual(back[path: ["spec", "replicas"]], 2)
        XCTAssertEqual(sim.d[path: ["metadata", "annotations", "deployment.kubernetes.io/revision"]], "3")
    }

    func testRecreateScalesOldToZeroBeforeCreatingNew() {
        var sim = ClusterSim(replicas: 3, strategy: ["type": "Recreate"])
        sim.settle()
        let old = PodState.name(sim.rss[0])
        sim.edit(["spec", "template"], ClusterSim.template("nginx:2"))
        sim.settle { s in
            let oldSize = s.rs(image: "nginx:1")?[path: ["status", "replicas"]]?.intValue ?? 0
            let newSize = s.rs(image: "nginx:2")?[path: ["spec", "replicas"]]?.intValue ?? 0
            XCTAssertFalse(oldSize > 0 && newSize > 0, "old pods still exist while new ones are wanted")
        }
        XCTAssertTrue(sim.events.contains("Scaled down replica set \(old) from 3 to 0"), "\(sim.events)")
        XCTAssertEqual(sim.rs(image: "nginx:2")?[path: ["spec", "replicas"]], 3)
    }

    func testScalingAndProportionalScaling() {
        var sim = ClusterSim(replicas: 4, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 1]])
        sim.settle()
        let name = PodState.name(sim.rss[0])
        sim.edit(["spec", "replicas"], 6)
        sim.settle()
        XCTAssertTrue(sim.events.contains("Scaled up replica set \(name) from 4 to 6"), "\(sim.events)")
        sim.edit(["spec", "replicas"], 1)
        sim.settle()
        XCTAssertEqual(sim.rss[0][path: ["spec", "replicas"]], 1)
        XCTAssertEqual(sim.rss[0][path: ["metadata", "annotations", "deployment.kubernetes.io/desired-replicas"]], "1")

        // kube's documented example: 10 replicas mid-rollout (old 8, new 5), scaled to 15 → +3 old, +2 new.
        var p = ClusterSim(replicas: 15, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 3, "maxUnavailable": 2]])
        func rs(_ name: String, _ image: String, _ n: Int, _ avail: Int, _ rev: String, _ age: Double) -> JSONValue {
            ["metadata": ["name": .string(name), "uid": .string("u-\(name)"), "generation": 1,
                          "creationTimestamp": .string(ObjectLifecycle.timestamp(p.now.addingTimeInterval(-age))),
                          "annotations": ["deployment.kubernetes.io/revision": .string(rev), "deployment.kubernetes.io/desired-replicas": "10",
                                          "deployment.kubernetes.io/max-replicas": "13"]],
             "spec": ["replicas": .int(Int64(n)), "template": ClusterSim.template(image)],
             "status": ["replicas": .int(Int64(n)), "availableReplicas": .int(Int64(avail)), "observedGeneration": 1]]
        }
        p.edit(["spec", "template"], ClusterSim.template("nginx:2"))
        p.rss = [rs("old", "nginx:1", 8, 8, "1", 100), rs("new", "nginx:2", 5, 0, "2", 10)]
        p.d["status"] = ["replicas": 13]
        p.sync()
        XCTAssertEqual(p.rs(image: "nginx:1")?[path: ["spec", "replicas"]], 11)
        XCTAssertEqual(p.rs(image: "nginx:2")?[path: ["spec", "replicas"]], 7)
    }

    func testHistoryLimitPausedAndProgressDeadline() {
        var sim = ClusterSim(replicas: 1, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]],
                             extra: ["revisionHistoryLimit": 1])
        for v in 1...4 {
            sim.edit(["spec", "template"], ClusterSim.template("nginx:\(v)"))
            sim.settle()
            sim.sync()
        }
        XCTAssertEqual(sim.rss.count, 2, "the current ReplicaSet plus one old one")

        sim.edit(["spec", "paused"], true)
        sim.edit(["spec", "template"], ClusterSim.template("nginx:9"))
        sim.sync()
        XCTAssertNil(sim.rs(image: "nginx:9"), "a paused deployment does not roll")
        XCTAssertEqual(condition(sim, "Progressing")?["reason"], "DeploymentPaused")
        sim.edit(["spec", "paused"], false)
        sim.sync()
        XCTAssertNotNil(sim.rs(image: "nginx:9"))

        var stuck = ClusterSim(replicas: 2, strategy: ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": 0]])
        stuck.sync()
        stuck.kubeletStep(ready: false)
        stuck.sync()
        stuck.now = stuck.now.addingTimeInterval(100)
        XCTAssertEqual(stuck.sync().requeueAfter ?? 0, 501, accuracy: 1.5, "re-check when the deadline passes")
        stuck.now = stuck.now.addingTimeInterval(600)
        stuck.sync()
        let name = PodState.name(stuck.rss[0])
        XCTAssertEqual(condition(stuck, "Progressing")?["reason"], "ProgressDeadlineExceeded")
        XCTAssertEqual(condition(stuck, "Progressing")?["message"], .string("ReplicaSet \"\(name)\" has timed out progressing."))
        XCTAssertEqual(condition(stuck, "Available")?["status"], "False")
    }
}
