import Foundation
import XCTest
@testable import CorralModel

final class KubeletPlanningTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    func pod(_ policy: String = "Always", inits: [String] = [], apps: [String] = ["app"], deleting: Bool = false) -> JSONValue {
        var p: JSONValue = ["metadata": ["name": "p", "namespace": "default"],
                            "spec": ["restartPolicy": .string(policy),
                                     "containers": .array(apps.map { ["name": .string($0), "image": "busybox"] })]]
        if !inits.isEmpty { p.set(path: ["spec", "initContainers"], to: .array(inits.map { ["name": .string($0), "image": "busybox"] })) }
        if deleting { p.set(path: ["metadata", "deletionTimestamp"], to: "2024-01-01T00:00:00Z") }
        return p
    }

    func exited(_ name: String, _ code: Int32, at: Date, restarts: Int = 0) -> ContainerObservation {
        ContainerObservation(name: name, state: .terminated(exitCode: code, reason: code == 0 ? "Completed" : "Error", message: nil,
                                                             startedAt: at.addingTimeInterval(-1), finishedAt: at),
                             restartCount: restarts, image: "busybox")
    }

    func running(_ name: String) -> ContainerObservation {
        ContainerObservation(name: name, state: .running(startedAt: t0), ready: true, image: "busybox")
    }

    func testBackoffDoublesToFiveMinutes() {
        XCTAssertEqual((0...7).map { CrashBackoff.delay(restartCount: $0) }, [0, 10, 20, 40, 80, 160, 300, 300])
    }

    func testStartsEverythingOnAFreshPod() {
        XCTAssertEqual(PodPlanner.plan(pod: pod(apps: ["a", "b"]), observed: [:], now: t0),
                       [.start(container: "a", isInit: false), .start(container: "b", isInit: false)])
    }

    func testInitContainersRunOneAtATimeInOrder() {
        let p = pod(inits: ["i1", "i2"])
        XCTAssertEqual(PodPlanner.plan(pod: p, observed: [:], now: t0), [.start(container: "i1", isInit: true)])
        XCTAssertEqual(PodPlanner.plan(pod: p, observed: ["i1": running("i1")], now: t0), [])
        XCTAssertEqual(PodPlanner.plan(pod: p, observed: ["i1": exited("i1", 0, at: t0)], now: t0), [.start(container: "i2", isInit: true)])
        XCTAssertEqual(PodPlanner.plan(pod: p, observed: ["i1": exited("i1", 0, at: t0), "i2": exited("i2", 0, at: t0)], now: t0),
                       [.start(container: "app", isInit: false)])
    }

    func testFailedInitWithNeverStopsThePod() {
        let p = pod("Never", inits: ["i1"])
        let obs = ["i1": exited("i1", 1, at: t0)]
        XCTAssertEqual(PodPlanner.plan(pod: p, observed: obs, now: t0), [])
        XCTAssertEqual(PodStatusBuilder.build(.init(pod: p, observed: obs, podIP: "10.42.0.2", hostIP: nil, now: t0))["phase"], "Failed")
    }

    func testRestartPolicies() {
        let crashed = ["app": exited("app", 1, at: t0)]
        let clean = ["app": exited("app", 0, at: t0)]
        XCTAssertEqual(PodPlanner.plan(pod: pod("Always"), observed: clean, now: t0), [.start(container: "app", isInit: false)])
        XCTAssertEqual(PodPlanner.plan(pod: pod("OnFailure"), observed: clean, now: t0), [])
        XCTAssertEqual(PodPlanner.plan(pod: pod("OnFailure"), observed: crashed, now: t0), [.start(container: "app", isInit: false)])
        XCTAssertEqual(PodPlanner.plan(pod: pod("Never"), observed: crashed, now: t0), [])
    }

    func testCrashLoopWaitsTheBackoff() {
        let obs = ["app": exited("app", 1, at: t0, restarts: 3)]
        XCTAssertEqual(PodPlanner.plan(pod: pod(), observed: obs, now: t0.addingTimeInterval(5)),
                       [.backoff(container: "app", until: t0.addingTimeInterval(40))])
        XCTAssertEqual(PodPlanner.plan(pod: pod(), observed: obs, now: t0.addingTimeInterval(41)), [.start(container: "app", isInit: false)])
    }

    func testDeletionKillsRunningContainersOnly() {
        let obs = ["a": running("a"), "b": exited("b", 0, at: t0)]
        XCTAssertEqual(PodPlanner.plan(pod: pod(apps: ["a", "b"], deleting: true), observed: obs, now: t0), [.kill(container: "a", reason: "Killing")])
    }

    func testLivenessFailureKills() {
        XCTAssertEqual(PodPlanner.plan(pod: pod(), observed: ["app": running("app")], livenessFailed: ["app"], now: t0),
                       [.kill(container: "app", reason: "Unhealthy")])
    }

    func testPhases() {
        func phase(_ policy: String, _ obs: [String: ContainerObservation], apps: [String] = ["app"]) -> String? {
            PodStatusBuilder.build(.init(pod: pod(policy, apps: apps), observed: obs, podIP: nil, hostIP: nil, now: t0))["phase"]?.stringValue
        }
        XCTAssertEqual(phase("Always", [:]), "Pending")
        XCTAssertEqual(phase("Always", ["app": running("app")]), "Running")
        XCTAssertEqual(phase("Always", ["app": exited("app", 1, at: t0)]), "Running")
        XCTAssertEqual(phase("Never", ["app": exited("app", 0, at: t0)]), "Succeeded")
        XCTAssertEqual(phase("Never", ["app": exited("app", 2, at: t0)]), "Failed")
        XCTAssertEqual(phase("OnFailure", ["app": exited("app", 2, at: t0)]), "Running")
        XCTAssertEqual(phase("Never", ["a": running("a")], apps: ["a", "b"]), "Pending")
        var backingOff = exited("app", 1, at: t0)
        backingOff.lastTermination = backingOff.state
        backingOff.state = .waiting(reason: "CrashLoopBackOff", message: "back-off 10s")
        XCTAssertEqual(phase("Always", ["app": backingOff]), "Running")
    }

    func testConditionsAndContainerStatuses() {
        var p = pod(apps: ["a", "b"])
        p.set(path: ["status", "conditions"], to: [["type": "PodScheduled", "status": "True"]])
        let s = PodStatusBuilder.build(.init(pod: p, observed: ["a": running("a")], podIP: "10.42.0.5", hostIP: "192.0.2.1", now: t0))
        let conds = Dictionary(uniqueKeysWithValues: (s["conditions"]?.arrayValue ?? []).map { ($0["type"]!.stringValue!, $0) })
        XCTAssertEqual(conds["Ready"]?["status"], "False")
        XCTAssertEqual(conds["Ready"]?["message"], "containers with unready status: [b]")
        XCTAssertEqual(conds["Initialized"]?["status"], "True")
        XCTAssertEqual(conds["PodScheduled"]?["status"], "True")
        XCTAssertEqual(s["podIP"], "10.42.0.5")
        XCTAssertEqual(s[path: ["podIPs"]], [["ip": "10.42.0.5"]])
        let b = s["containerStatuses"]?.arrayValue?[1]
        XCTAssertEqual(b?[path: ["state", "waiting", "reason"]], "ContainerCreating")
        XCTAssertEqual(s["containerStatuses"]?.arrayValue?[0][path: ["state", "running", "startedAt"]], "2023-11-14T22:13:20Z")
    }

    func testTransitionTimeKeptWhileStatusUnchanged() {
        var p = pod()
        let first = PodStatusBuilder.build(.init(pod: p, observed: [:], podIP: nil, hostIP: nil, now: t0))
        p["status"] = first
        let second = PodStatusBuilder.build(.init(pod: p, observed: [:], podIP: nil, hostIP: nil, now: t0.addingTimeInterval(60)))
        XCTAssertEqual(first["conditions"], second["conditions"])
        XCTAssertEqual(second["startTime"], first["startTime"])
    }
}
