@testable import CorralAPI
import CorralModel
import XCTest

final class KubeVirtLifecycleTests: XCTestCase {
    func vm(_ strategy: String? = nil, running: Bool? = nil, pending: [JSONValue] = []) -> JSONValue {
        var v: JSONValue = ["metadata": ["name": "vm", "uid": "vm-uid"], "spec": ["template": [:]]]
        if let strategy { v.set(path: ["spec", "runStrategy"], to: .string(strategy)) }
        if let running { v.set(path: ["spec", "running"], to: .bool(running)) }
        if !pending.isEmpty { v.set(path: ["status", "stateChangeRequests"], to: .array(pending)) }
        return v
    }

    func vmi(_ phase: String, uid: String = "vmi-uid", conditions: [JSONValue] = []) -> JSONValue {
        ["metadata": ["name": "vm", "uid": .string(uid)], "status": ["phase": .string(phase), "conditions": .array(conditions)]]
    }

    func message(_ body: () throws -> Any) -> String? {
        do { _ = try body(); return nil } catch let e as APIError { return "\(e.code) \(e.message)" } catch { return "\(error)" }
    }

    func testRunStrategyFollowsKubeVirt() throws {
        XCTAssertEqual(try KubeVirtLifecycle.runStrategy(vm()), "Halted")
        XCTAssertEqual(try KubeVirtLifecycle.runStrategy(vm(running: true)), "Always")
        XCTAssertEqual(try KubeVirtLifecycle.runStrategy(vm(running: false)), "Halted")
        XCTAssertEqual(try KubeVirtLifecycle.runStrategy(vm("Manual")), "Manual")
        XCTAssertThrowsError(try KubeVirtLifecycle.runStrategy(vm("Always", running: true)))
    }

    func testStartDecisions() throws {
        // (strategy, vmi phase or nil, expected change or error message)
        let startReq: JSONValue = ["action": "Start"]
        let cases: [(String, String?, VMLifecycleChange?, String?)] = [
            ("Halted", nil, .spec(field: "runStrategy", expected: "Halted", value: "Always"), nil),
            ("Manual", nil, .stateChange(expected: [], requests: [startReq]), nil),
            ("Manual", "Failed", .stateChange(expected: [], requests: [["action": "Stop", "uid": "vmi-uid"], startReq]), nil),
            ("RerunOnFailure", "Succeeded", .stateChange(expected: [], requests: [["action": "Stop", "uid": "vmi-uid"], startReq]), nil),
            ("RerunOnFailure", "Failed", nil, "409 Operation cannot be fulfilled on virtualmachine.kubevirt.io \"vm\": RerunOnFailure does not support starting VM from failed state"),
            ("Always", nil, nil, "409 Operation cannot be fulfilled on virtualmachine.kubevirt.io \"vm\": Always does not support manual start requests"),
            ("Always", "Running", nil, "409 Operation cannot be fulfilled on virtualmachine.kubevirt.io \"vm\": VM is already running"),
            // A VMI without a phase or in Unknown does not count as running.
            ("Halted", "", .spec(field: "runStrategy", expected: "Halted", value: "Always"), nil),
            ("Once", "Unknown", nil, "409 Operation cannot be fulfilled on virtualmachine.kubevirt.io \"vm\": Once does not support manual start requests"),
        ]
        for (strategy, phase, change, error) in cases {
            let v = vm(strategy), i = phase.map { vmi($0) }
            if let error {
                XCTAssertEqual(message { try KubeVirtLifecycle.start(vm: v, vmi: i, paused: false) }, error, "\(strategy) \(phase ?? "-")")
            } else {
                XCTAssertEqual(try KubeVirtLifecycle.start(vm: v, vmi: i, paused: false).change, change, "\(strategy) \(phase ?? "-")")
            }
        }
    }

    func testPausedStartOfHaltedVMGoesThroughAStartRequest() throws {
        let plan = try KubeVirtLifecycle.start(vm: vm("Halted"), vmi: nil, paused: true)
        XCTAssertEqual(plan.change, .stateChange(expected: [], requests: [["action": "Start", "data": ["paused": "true"]]]))
        // Legacy `running` flips the boolean, not the strategy.
        XCTAssertEqual(try KubeVirtLifecycle.start(vm: vm(running: false), vmi: nil, paused: false).change,
                       .spec(field: "running", expected: .bool(false), value: .bool(true)))
    }

    func testStopDecisions() throws {
        XCTAssertEqual(try KubeVirtLifecycle.stop(vm: vm("Always"), vmi: nil, gracePeriod: nil),
                       VMLifecyclePlan(change: .spec(field: "runStrategy", expected: "Always", value: "Halted")))
        XCTAssertEqual(try KubeVirtLifecycle.stop(vm: vm("Manual"), vmi: vmi("Running"), gracePeriod: 3),
                       VMLifecyclePlan(vmiGracePeriod: 3, change: .stateChange(expected: [], requests: [["action": "Stop", "uid": "vmi-uid"]])))
        XCTAssertEqual(message { try KubeVirtLifecycle.stop(vm: vm("Manual"), vmi: vmi("Succeeded"), gracePeriod: nil) },
                       "409 Operation cannot be fulfilled on virtualmachine.kubevirt.io \"vm\": VM is not running")
        // A finished VMI gets no grace-period patch.
        XCTAssertNil(try KubeVirtLifecycle.stop(vm: vm("Always"), vmi: vmi("Failed"), gracePeriod: 0).vmiGracePeriod)
        var halting = vmi("Running")
        halting.set(path: ["spec", "terminationGracePeriodSeconds"], to: 10)
        XCTAssertNotNil(message { try KubeVirtLifecycle.stop(vm: vm("Halted"), vmi: halting, gracePeriod: 10) })
        XCTAssertEqual(try KubeVirtLifecycle.stop(vm: vm("Halted"), vmi: halting, gracePeriod: 9).vmiGracePeriod, 9)
    }

    func testPendingRequestsOnlyAStopMayReplace() throws {
        let pending: [JSONValue] = [["action": "Start"]]
        XCTAssertEqual(message { try KubeVirtLifecycle.restart(vm: vm("Always", pending: pending), vmi: vmi("Running"), gracePeriodSeconds: nil) },
                       "500 Internal error occurred: unable to complete request: stop/start already underway")
        XCTAssertEqual(try KubeVirtLifecycle.stop(vm: vm("Manual", pending: pending), vmi: vmi("Running"), gracePeriod: nil).change,
                       .stateChange(expected: pending, requests: [["action": "Stop", "uid": "vmi-uid"]]))
    }

    func testRestartDecisions() throws {
        XCTAssertEqual(try KubeVirtLifecycle.restart(vm: vm("Manual"), vmi: vmi("Running"), gracePeriodSeconds: 0),
                       VMLifecyclePlan(vmiGracePeriod: 1, change: .stateChange(expected: [], requests: [["action": "Stop", "uid": "vmi-uid"], ["action": "Start"]])))
        XCTAssertEqual(message { try KubeVirtLifecycle.restart(vm: vm("Always"), vmi: nil, gracePeriodSeconds: nil) },
                       "409 Operation cannot be fulfilled on virtualmachine.kubevirt.io \"vm\": VM is not running: Halted")
        XCTAssertEqual(message { try KubeVirtLifecycle.restart(vm: vm("Always"), vmi: nil, gracePeriodSeconds: -1) },
                       "400 gracePeriod has to be greater or equal to 0")
    }

    func testApplyChecksTheValueTheDecisionSaw() throws {
        let change = VMLifecycleChange.spec(field: "runStrategy", expected: "Halted", value: "Always")
        XCTAssertEqual(try KubeVirtLifecycle.apply(change, to: vm("Halted"), name: "vm")[path: ["spec", "runStrategy"]], "Always")
        // Someone changed the VM in between: refuse instead of overwriting.
        XCTAssertEqual(try? KubeVirtLifecycle.apply(change, to: vm("Manual"), name: "vm"), nil)
        var failed = vm("Manual")
        failed.set(path: ["status", "startFailure"], to: ["consecutiveFailCount": 2])
        let out = try KubeVirtLifecycle.apply(.stateChange(expected: [], requests: [["action": "Start"]]), to: failed, name: "vm")
        XCTAssertEqual(out[path: ["status", "stateChangeRequests"]], [["action": "Start"]])
        XCTAssertNil(out[path: ["status", "startFailure"]])
        XCTAssertThrowsError(try KubeVirtLifecycle.apply(.stateChange(expected: [], requests: []), to: vm("Manual", pending: [["action": "Start"]]), name: "vm"))
    }

    func testVMIChecks() {
        let paused: JSONValue = ["type": "Paused", "status": "True"]
        XCTAssertNil(message { try KubeVirtVMIChecks.pause(self.vmi("Running")) })
        XCTAssertEqual(message { try KubeVirtVMIChecks.pause(self.vmi("Running", conditions: [paused])) },
                       "409 Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io \"vm\": VMI is already paused")
        XCTAssertEqual(message { try KubeVirtVMIChecks.unpause(self.vmi("Running")) },
                       "409 Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io \"vm\": VMI is not paused")
        XCTAssertEqual(message { try KubeVirtVMIChecks.console(self.vmi("Failed")) },
                       "409 Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io \"vm\": VMI is in failed status")
        XCTAssertEqual(message { try KubeVirtVMIChecks.vnc(self.vmi("Pending")) }, "400 VMI is not running")
        var probed = vmi("Running")
        probed.set(path: ["spec", "livenessProbe"], to: ["httpGet": ["port": 80]])
        XCTAssertEqual(message { try KubeVirtVMIChecks.pause(probed) }?.prefix(3), "403")
        probed.set(path: ["spec", "livenessProbe"], to: ["guestAgentPing": [:]])
        XCTAssertNil(message { try KubeVirtVMIChecks.pause(probed) })
    }

    func testConsoleSubprotocolsAndFraming() {
        XCTAssertEqual(VirtStreamHandshake.negotiate(["plain.kubevirt.io"]).framing, .plain)
        XCTAssertEqual(VirtStreamHandshake.negotiate(["chat", "base64.binary.k8s.io"]).answer, "base64.binary.k8s.io")
        // Unknown offers are not refused (gorilla's behaviour in virt-api): no answer, plain bytes.
        XCTAssertNil(VirtStreamHandshake.negotiate(["chat"]).answer)
        let enc = VirtStreamBridge.encode([0, 255, 10], .base64)
        XCTAssertTrue(enc.text)
        XCTAssertEqual(VirtStreamBridge.decode(WebSocketMessage(text: true, bytes: enc.bytes), .base64), [0, 255, 10])
        XCTAssertNil(VirtStreamBridge.decode(WebSocketMessage(text: true, bytes: Array("%%".utf8)), .base64))
    }
}
