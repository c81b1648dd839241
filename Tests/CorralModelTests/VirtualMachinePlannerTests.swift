import Foundation
import XCTest
@testable import CorralModel

/// Run strategies after a guest ends, and crash-loop back-off (`status.startFailure`).
final class VirtualMachinePlannerTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func vm(_ strategy: String, startFailure: JSONValue? = nil) -> JSONValue {
        var v: JSONValue = ["metadata": ["name": "v", "namespace": "ns", "uid": "vm-uid"], "spec": ["runStrategy": .string(strategy), "template": ["spec": [:]]]]
        if let startFailure { v.set(path: ["status", "startFailure"], to: startFailure) }
        return v
    }

    /// A VMI that reached `phase`, Running `ranFor` seconds before it (nil: never Running).
    func vmi(_ phase: String, uid: String = "vmi-1", ranFor: TimeInterval? = 5, ready: Bool = false) -> JSONValue {
        var stamps: [JSONValue] = [["phase": "Scheduled", "phaseTransitionTimestamp": .string(ObjectLifecycle.timestamp(t0.addingTimeInterval(-100)))]]
        if let ranFor {
            stamps.append(["phase": "Running", "phaseTransitionTimestamp": .string(ObjectLifecycle.timestamp(t0.addingTimeInterval(-ranFor)))])
        }
        if phase != "Running" { stamps.append(["phase": .string(phase), "phaseTransitionTimestamp": .string(ObjectLifecycle.timestamp(t0))]) }
        return ["metadata": ["name": "v", "namespace": "ns", "uid": .string(uid)],
                "status": ["phase": .string(phase), "phaseTransitionTimestamps": .array(stamps),
                           "conditions": [["type": "Ready", "status": ready ? "True" : "False"]]]]
    }

    func testRerunOnFailureReplacesFailedButNotSucceeded() {
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: vm("RerunOnFailure"), vmi: vmi("Failed"), now: t0), .deleteVMI(uid: "vmi-1"))
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: vm("RerunOnFailure"), vmi: vmi("Succeeded"), now: t0), VirtualMachineAction.none)
        XCTAssertEqual(VirtualMachinePlanner.printableStatus(vm: vm("RerunOnFailure"), vmi: vmi("Succeeded"), now: t0), "Stopped")
        XCTAssertNil(VirtualMachinePlanner.startFailure(vm: vm("RerunOnFailure"), vmi: vmi("Succeeded"), now: t0))
        XCTAssertNil(VirtualMachinePlanner.startFailure(vm: vm("RerunOnFailure"), vmi: vmi("Succeeded", ranFor: nil), now: t0))
    }

    func testAlwaysReplacesBoth() {
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: vm("Always"), vmi: vmi("Failed"), now: t0), .deleteVMI(uid: "vmi-1"))
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: vm("Always"), vmi: vmi("Succeeded"), now: t0), .deleteVMI(uid: "vmi-1"))
        // A clean power-off after running is no failure: restarted at once.
        XCTAssertNil(VirtualMachinePlanner.startFailure(vm: vm("Always"), vmi: vmi("Succeeded"), now: t0))
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: vm("Always"), vmi: nil, now: t0), .createVMI)
        // Once and Halted do not bring a VM back.
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: vm("Once"), vmi: vmi("Failed"), now: t0), VirtualMachineAction.none)
        XCTAssertNil(VirtualMachinePlanner.startFailure(vm: vm("Once"), vmi: vmi("Failed"), now: t0))
    }

    /// A restart is [Stop(uid), Start]: delete that VMI, wait while it goes, drop the Stop once
    /// it is gone (or replaced), then the Start creates the new one.
    func testRestartRequestsRunStopThenStart() {
        var v = vm("Manual")
        v.set(path: ["status", "stateChangeRequests"], to: [["action": "Stop", "uid": "vmi-1"], ["action": "Start"]])
        let running = vmi("Running")
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: v, vmi: running, now: t0), .deleteVMI(uid: "vmi-1"))
        var going = running
        going.set(path: ["metadata", "deletionTimestamp"], to: .string(ObjectLifecycle.timestamp(t0)))
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: v, vmi: going, now: t0), VirtualMachineAction.none)
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: v, vmi: nil, now: t0), .dropStopRequest)
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: v, vmi: vmi("Running", uid: "vmi-2"), now: t0), .dropStopRequest)
        v.set(path: ["status", "stateChangeRequests"], to: [["action": "Start"]])
        XCTAssertEqual(VirtualMachinePlanner.plan(vm: v, vmi: nil, now: t0), .createVMI)
    }

    func testRepeatedFailuresBackOffAndShowCrashLoopBackOff() throws {
        var status: JSONValue? = nil
        var delays: [TimeInterval] = []
        for n in 1...4 {
            let failed = vmi("Failed", uid: "vmi-\(n)")
            let f = try XCTUnwrap(VirtualMachinePlanner.startFailure(vm: vm("RerunOnFailure", startFailure: status), vmi: failed, now: t0))
            XCTAssertEqual(f["consecutiveFailCount"]?.intValue, Int64(n))
            XCTAssertEqual(f["lastFailedVMIUID"]?.stringValue, "vmi-\(n)")
            // The same VMI is counted once.
            XCTAssertNil(VirtualMachinePlanner.startFailure(vm: vm("RerunOnFailure", startFailure: f), vmi: failed, now: t0))
            let retry = try XCTUnwrap(f["retryAfterTimestamp"]?.stringValue.flatMap(ObjectLifecycle.parseTimestamp))
            delays.append(retry.timeIntervalSince(t0))
            status = f
            let looping = vm("RerunOnFailure", startFailure: f)
            XCTAssertEqual(VirtualMachinePlanner.printableStatus(vm: looping, vmi: nil, now: t0), "CrashLoopBackOff")
            XCTAssertEqual(VirtualMachinePlanner.printableStatus(vm: looping, vmi: failed, now: t0), "CrashLoopBackOff")
            XCTAssertEqual(VirtualMachinePlanner.plan(vm: looping, vmi: nil, now: t0), .waitUntil(retry))
            XCTAssertEqual(VirtualMachinePlanner.plan(vm: looping, vmi: nil, now: retry.addingTimeInterval(1)), .createVMI)
            XCTAssertEqual(VirtualMachinePlanner.printableStatus(vm: looping, vmi: nil, now: retry.addingTimeInterval(1)), "Stopped")
        }
        XCTAssertEqual(delays, [10, 40, 90, 160])
        XCTAssertEqual(VirtualMachinePlanner.backoff(failures: 50), 300)
    }

    func testAGuestThatRanLongStartsANewCountAndAHealthyOneClearsIt() throws {
        let prior: JSONValue = ["consecutiveFailCount": 5, "lastFailedVMIUID": "old", "retryAfterTimestamp": .string(ObjectLifecycle.timestamp(t0))]
        let f = try XCTUnwrap(VirtualMachinePlanner.startFailure(vm: vm("Always", startFailure: prior), vmi: vmi("Failed", ranFor: 3600), now: t0))
        XCTAssertEqual(f["consecutiveFailCount"]?.intValue, 1)
        // Never reached Running: counts (KubeVirt's own rule), also for Always + Succeeded.
        XCTAssertEqual(VirtualMachinePlanner.startFailure(vm: vm("Always", startFailure: prior), vmi: vmi("Succeeded", ranFor: nil), now: t0)?["consecutiveFailCount"]?.intValue, 6)
        let looping = vm("Always", startFailure: prior)
        XCTAssertFalse(VirtualMachinePlanner.clearsStartFailure(vm: looping, vmi: vmi("Running", ranFor: 10, ready: true), now: t0))
        XCTAssertTrue(VirtualMachinePlanner.clearsStartFailure(vm: looping, vmi: vmi("Running", ranFor: 61, ready: true), now: t0))
        XCTAssertFalse(VirtualMachinePlanner.clearsStartFailure(vm: looping, vmi: vmi("Running", ranFor: 61, ready: false), now: t0))
        XCTAssertTrue(VirtualMachinePlanner.clearsStartFailure(vm: vm("Halted", startFailure: prior), vmi: nil, now: t0))
    }
}
