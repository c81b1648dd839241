import CorralModel
import XCTest

@testable import CorralControllers

/// The scheduler against a real store: binding, Unschedulable conditions,
/// FailedScheduling events, and retries when room appears.
final class SchedulerTests: XCTestCase {
    func scheduled(_ pod: JSONValue) -> JSONValue? {
        pod[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == "PodScheduled" }
    }

    func testBindsAPodThatFitsAndRecordsScheduled() async throws {
        let h = try await ControllerHarness()
        h.start(workloads: false, kubelet: false)
        try await h.create(h.pods, ControllerHarness.pod("small"))
        try await h.waitFor("binding") { try await h.get(h.pods, "small")[path: ["spec", "nodeName"]] == "node1" }
        try await h.waitFor("PodScheduled=True") { self.scheduled(try await h.get(h.pods, "small"))?["status"] == "True" }
        try await h.waitFor("Scheduled event") {
            try await h.eventLines(about: "small") == ["Scheduled: Successfully assigned default/small to node1"]
        }
        let ev = try await h.list(h.events).first { $0["reason"]?.stringValue == "Scheduled" }!
        XCTAssertEqual(ev[path: ["source", "component"]], "default-scheduler")
        XCTAssertEqual(ev["type"], "Normal")
        XCTAssertEqual(ev[path: ["involvedObject", "kind"]], "Pod")
        await h.stop()
    }

    func testTooMuchMemoryStaysPendingThenFitsWhenRoomAppears() async throws {
        let h = try await ControllerHarness(memoryKiB: 4 * 1024 * 1024)
        // The kubelet finishes the graceful deletion; until then the pod keeps its memory.
        h.start(workloads: false, kubelet: true)
        try await h.create(h.pods, ControllerHarness.pod("huge", memory: "64Gi"))
        let msg = "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
        try await h.waitFor("Unschedulable") {
            let c = self.scheduled(try await h.get(h.pods, "huge"))
            return c?["status"] == "False" && c?["reason"] == "Unschedulable" && c?["message"] == .string(msg)
        }
        try await h.waitFor("FailedScheduling") { try await h.eventLines(about: "huge") == ["FailedScheduling: \(msg)"] }
        let ev = try await h.list(h.events).first { $0["reason"]?.stringValue == "FailedScheduling" }!
        XCTAssertEqual(ev["type"], "Warning")

        // 3Gi fits; a second 2Gi does not until the first is deleted (no periodic retry in this test).
        try await h.create(h.pods, ControllerHarness.pod("first", memory: "3Gi"))
        try await h.waitFor("first bound") { try await h.get(h.pods, "first")[path: ["spec", "nodeName"]] == "node1" }
        try await h.create(h.pods, ControllerHarness.pod("second", memory: "2Gi"))
        try await h.waitFor("second unschedulable") { self.scheduled(try await h.get(h.pods, "second"))?["reason"] == "Unschedulable" }
        let pending = try await h.get(h.pods, "second")
        XCTAssertEqual(pending[path: ["spec", "nodeName"]], nil)
        _ = try await h.objects.delete(h.pods, namespace: "default", name: "first")
        try await h.waitFor("second bound after first deleted") { try await h.get(h.pods, "second")[path: ["spec", "nodeName"]] == "node1" }
        let second = try await h.get(h.pods, "second"), huge = try await h.get(h.pods, "huge")
        XCTAssertEqual(self.scheduled(second)?["status"], "True")
        XCTAssertEqual(huge[path: ["spec", "nodeName"]], nil, "still too big")
        await h.stop()
    }

    func testNodeSelectorTaintsAndUnschedulableNode() async throws {
        let h = try await ControllerHarness()
        h.start(workloads: false, kubelet: false)
        try await h.create(h.pods, ControllerHarness.pod("picky", spec: ["nodeSelector": ["disk": "ssd"]]))
        try await h.waitFor("selector mismatch") {
            self.scheduled(try await h.get(h.pods, "picky"))?["message"]
                == "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
        }
        // Labelling the node is a node change: the waiting pod is retried at once.
        try await h.edit(h.nodes, "node1", nil) { $0.set(path: ["metadata", "labels", "disk"], to: "ssd") }
        try await h.waitFor("picky bound") { try await h.get(h.pods, "picky")[path: ["spec", "nodeName"]] == "node1" }

        try await h.edit(h.nodes, "node1", nil) { $0.set(path: ["spec", "taints"], to: [["key": "dedicated", "value": "gpu", "effect": "NoSchedule"]]) }
        try await h.create(h.pods, ControllerHarness.pod("plain"))
        try await h.create(h.pods, ControllerHarness.pod("tolerant", spec: ["tolerations": [["key": "dedicated", "operator": "Equal", "value": "gpu"]]]))
        try await h.waitFor("taint message") {
            self.scheduled(try await h.get(h.pods, "plain"))?["message"]
                == "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
        }
        try await h.waitFor("tolerant bound") { try await h.get(h.pods, "tolerant")[path: ["spec", "nodeName"]] == "node1" }

        try await h.edit(h.nodes, "node1", nil) { $0.set(path: ["spec"], to: ["unschedulable": true]) }
        try await h.create(h.pods, ControllerHarness.pod("cordoned"))
        try await h.waitFor("cordoned message") {
            self.scheduled(try await h.get(h.pods, "cordoned"))?["message"]
                == "0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
        }
        let plain = try await h.get(h.pods, "plain")
        XCTAssertEqual(plain[path: ["spec", "nodeName"]], nil)
        try await h.edit(h.nodes, "node1", nil) { $0.set(path: ["spec"], to: [:]) }
        try await h.waitFor("all bound after uncordon and untaint") {
            try await h.list(h.pods).allSatisfy { $0[path: ["spec", "nodeName"]] == "node1" }
        }
        await h.stop()
    }

    func testOtherSchedulersPodsAndHostPorts() async throws {
        let h = try await ControllerHarness()
        h.start(workloads: false, kubelet: false)
        try await h.create(h.pods, ControllerHarness.pod("theirs", spec: ["schedulerName": "other-scheduler"]))
        let port: JSONValue = [["name": "c", "image": "busybox", "ports": [["containerPort": 80, "hostPort": 8080]]]]
        try await h.create(h.pods, ControllerHarness.pod("web1", spec: ["containers": port]))
        try await h.waitFor("web1 bound") { try await h.get(h.pods, "web1")[path: ["spec", "nodeName"]] == "node1" }
        try await h.create(h.pods, ControllerHarness.pod("web2", spec: ["containers": port]))
        try await h.waitFor("port conflict") {
            self.scheduled(try await h.get(h.pods, "web2"))?["message"]
                == "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
        }
        let theirs = try await h.get(h.pods, "theirs")
        XCTAssertEqual(theirs[path: ["spec", "nodeName"]], nil)
        XCTAssertNil(scheduled(theirs), "another scheduler's pod is left alone")
        await h.stop()
    }
}
