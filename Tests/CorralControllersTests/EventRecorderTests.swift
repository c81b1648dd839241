import CorralModel
import XCTest

@testable import CorralControllers

/// EventRecorder against a real store: shape, count aggregation and combining similar events.
final class EventRecorderTests: XCTestCase {
    func testIdenticalEventsAreCountedAndSimilarOnesCombined() async throws {
        let h = try await ControllerHarness()
        let pod = try await h.create(h.pods, ControllerHarness.pod("p"))
        let rec = EventRecorder(objects: h.objects, component: "kubelet", host: "node1", logger: h.logger)
        await rec.record(object: pod, type: "Normal", reason: "Pulled", message: "Container image \"busybox\" already present on machine",
                         fieldPath: "spec.containers{c}")
        await rec.record(object: pod, type: "Normal", reason: "Pulled", message: "Container image \"busybox\" already present on machine",
                         fieldPath: "spec.containers{c}")
        var evs = try await h.list(h.events)
        XCTAssertEqual(evs.count, 1)
        let e = evs[0]
        XCTAssertEqual(e["count"], 2)
        XCTAssertEqual(e[path: ["involvedObject", "kind"]], "Pod")
        XCTAssertEqual(e[path: ["involvedObject", "name"]], "p")
        XCTAssertEqual(e[path: ["involvedObject", "uid"]], pod[path: ["metadata", "uid"]])
        XCTAssertEqual(e[path: ["involvedObject", "fieldPath"]], "spec.containers{c}")
        XCTAssertEqual(e[path: ["source", "component"]], "kubelet")
        XCTAssertEqual(e[path: ["source", "host"]], "node1")
        XCTAssertEqual(e["reportingComponent"], "kubelet")
        XCTAssertEqual(e["eventTime"], .null)
        XCTAssertNotNil(e["firstTimestamp"]?.stringValue)
        XCTAssertTrue(PodState.name(e).hasPrefix("p."))

        // A different reason is a new event; ten different messages for one reason are combined.
        await rec.record(object: pod, type: "Warning", reason: "BackOff", message: "Back-off restarting failed container c")
        for i in 0..<12 {
            await rec.record(object: pod, type: "Warning", reason: "Unhealthy", message: "Readiness probe failed: attempt \(i)")
        }
        evs = try await h.list(h.events)
        let unhealthy = evs.filter { $0["reason"] == "Unhealthy" }
        XCTAssertEqual(unhealthy.count, 10, "9 distinct events, then one combined")
        let combined = unhealthy.first { $0["message"]?.stringValue?.hasPrefix("(combined from similar events): ") == true }
        XCTAssertEqual(combined?["count"], 3)
        XCTAssertEqual(combined?["message"], "(combined from similar events): Readiness probe failed: attempt 11")
        XCTAssertEqual(evs.filter { $0["reason"] == "BackOff" }.count, 1)

        // Cluster-scoped objects get their events in "default".
        let node = try await h.get(h.nodes, "node1", nil)
        await rec.record(object: node, type: "Normal", reason: "NodeReady", message: "Node node1 status is now: NodeReady")
        let nodeEvent = try await h.list(h.events, "default").first { $0["reason"] == "NodeReady" }
        XCTAssertEqual(nodeEvent?[path: ["involvedObject", "namespace"]], nil)
        XCTAssertEqual(nodeEvent?[path: ["involvedObject", "kind"]], "Node")
        await h.stop()
    }
}
