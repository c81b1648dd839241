import XCTest
@testable import CorralModel

/// KubeVirt's VMIRS rules: validation, claiming, scaling, deletion order,
/// new VMIs, status, expectations, and the admission check.
final class VMIReplicaSetPlannerTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    func rs(replicas: Int64? = 2, paused: Bool = false, selector: JSONValue = ["matchLabels": ["app": "web"]],
            labels: JSONValue = ["app": "web", "tier": "x"], deleting: Bool = false) -> JSONValue {
        var r: JSONValue = [
            "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceReplicaSet",
            "metadata": ["name": "myrs", "namespace": "ns1", "uid": "rs-uid"],
            "spec": ["selector": selector,
                     "template": ["metadata": ["labels": labels, "annotations": ["note": "n"]],
                                  "spec": ["domain": ["devices": [:], "resources": ["requests": ["memory": "128Mi"]]]]]],
        ]
        if let replicas { r.set(path: ["spec", "replicas"], to: .int(replicas)) }
        if paused { r.set(path: ["spec", "paused"], to: true) }
        if deleting { r.set(path: ["metadata", "deletionTimestamp"], to: .string(ObjectLifecycle.timestamp(t0))) }
        return r
    }

    func vmi(_ name: String, phase: String = "Running", ready: Bool = false, readyReason: String? = nil, age: TimeInterval = 100,
             labels: JSONValue = ["app": "web"], owner: String? = "rs-uid", deleting: Bool = false) -> JSONValue {
        var v: JSONValue = [
            "metadata": ["name": .string(name), "namespace": "ns1", "uid": .string("uid-\(name)"), "labels": labels,
                         "creationTimestamp": .string(ObjectLifecycle.timestamp(t0.addingTimeInterval(-age)))],
            "status": ["phase": .string(phase)],
        ]
        var cond: JSONValue = ["type": "Ready", "status": ready ? "True" : "False"]
        if let readyReason { cond["reason"] = .string(readyReason) }
        v.set(path: ["status", "conditions"], to: [cond])
        if let owner {
            v.set(path: ["metadata", "ownerReferences"], to: [["apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceReplicaSet",
                                                               "name": "myrs", "uid": .string(owner), "controller": true]])
        }
        if deleting { v.set(path: ["metadata", "deletionTimestamp"], to: .string(ObjectLifecycle.timestamp(t0))) }
        return v
    }

    func names(_ vs: [JSONValue]) -> [String] { vs.map(PodState.name) }

    func testSelectorValidation() throws {
        XCTAssertEqual(try VMIReplicaSetPlanner.selector(of: rs()).description, "app=web")
        let cases: [(String, JSONValue, VMIReplicaSetError)] = [
            ("mismatch", rs(selector: ["matchLabels": ["app": "db"]]), .selectorMismatch),
            ("nil selector selects nothing", rs(selector: .null), .selectorMismatch),
            ("no template labels", rs(labels: [:]), .noTemplateLabels),
        ]
        for (name, r, want) in cases {
            XCTAssertThrowsError(try VMIReplicaSetPlanner.selector(of: r), name) { XCTAssertEqual($0 as? VMIReplicaSetError, want, name) }
        }
        var noTemplate = rs()
        noTemplate.set(path: ["spec", "template"], to: nil)
        XCTAssertThrowsError(try VMIReplicaSetPlanner.selector(of: noTemplate)) { XCTAssertEqual($0 as? VMIReplicaSetError, .missingTemplate) }
        let bad = rs(selector: ["matchExpressions": [["key": "app", "operator": "Like"]]])
        XCTAssertThrowsError(try VMIReplicaSetPlanner.selector(of: bad)) {
            guard case .invalidSelector? = $0 as? VMIReplicaSetError else { return XCTFail("\($0)") }
        }
        let expr = rs(selector: ["matchExpressions": [["key": "tier", "operator": "In", "values": ["x", "y"]]]])
        XCTAssertEqual(try VMIReplicaSetPlanner.selector(of: expr).description, "tier in (x,y)")
    }

    func testClaimAdoptsOrphansAndReleasesNonMatching() throws {
        let r = rs()
        let sel = try VMIReplicaSetPlanner.selector(of: r)
        let vmis = [vmi("owned"), vmi("orphan", owner: nil), vmi("orphan-deleting", owner: nil, deleting: true),
                    vmi("relabeled", labels: ["app": "other"]), vmi("someone-elses", owner: "other-uid"),
                    vmi("unrelated", labels: ["app": "db"], owner: nil)]
        let c = VMIReplicaSetPlanner.claim(rs: r, selector: sel, vmis: vmis)
        XCTAssertEqual(names(c.owned), ["owned"])
        XCTAssertEqual(names(c.adopt), ["orphan"])
        XCTAssertEqual(names(c.release), ["relabeled"])
        let d = VMIReplicaSetPlanner.claim(rs: rs(deleting: true), selector: sel, vmis: vmis)
        XCTAssertEqual(names(d.adopt) + names(d.release), [], "a VMIRS being deleted neither adopts nor releases")
    }

    func testScaleUpDownAndDefaults() {
        let up = VMIReplicaSetPlanner.plan(rs: rs(replicas: 3), claimed: [vmi("a")], expectationsSatisfied: true)
        XCTAssertEqual(up.create, 2)
        XCTAssertEqual(up.diff, -2)
        XCTAssertEqual(VMIReplicaSetPlanner.plan(rs: rs(replicas: nil), claimed: [], expectationsSatisfied: true).create, 1, "replicas defaults to 1")
        let down = VMIReplicaSetPlanner.plan(rs: rs(replicas: 1), claimed: [vmi("a", age: 50), vmi("b", age: 10), vmi("c", age: 500)],
                                             expectationsSatisfied: true)
        XCTAssertEqual(down.create, 0)
        XCTAssertEqual(names(down.delete), ["b", "a"], "newest first among equals")
        let zero = VMIReplicaSetPlanner.plan(rs: rs(replicas: 0), claimed: [vmi("a"), vmi("b")], expectationsSatisfied: true)
        XCTAssertEqual(Set(names(zero.delete)), ["a", "b"])
        let big = VMIReplicaSetPlanner.plan(rs: rs(replicas: 1000), claimed: [], expectationsSatisfied: true)
        XCTAssertEqual(big.create, VMIReplicaSetPlanner.burstReplicas)
    }

    func testDeletionOrder() {
        let cases: [(String, JSONValue, JSONValue)] = [
            ("pending before running", vmi("a", phase: "Pending", age: 1000), vmi("b", age: 1)),
            ("no phase before scheduling", vmi("a", phase: "", age: 1000), vmi("b", phase: "Scheduling", age: 1)),
            ("scheduling before scheduled", vmi("a", phase: "Scheduling", age: 1000), vmi("b", phase: "Scheduled", age: 1)),
            ("not ready before ready", vmi("a", ready: false, age: 1000), vmi("b", ready: true, age: 1)),
            ("newer before older", vmi("a", ready: true, age: 10), vmi("b", ready: true, age: 1000)),
        ]
        for (name, first, second) in cases {
            XCTAssertEqual(names(VMIReplicaSetPlanner.rankedForDeletion([second, first])), ["a", "b"], name)
            XCTAssertEqual(names(VMIReplicaSetPlanner.rankedForDeletion([first, second])), ["a", "b"], name)
        }
    }

    func testFinishedAndUnknownAreReplacedAndCleanedUp() {
        let claimed = [vmi("ok"), vmi("done", phase: "Succeeded"), vmi("failed", phase: "Failed"),
                       vmi("lost", readyReason: "PodTerminating"), vmi("going", deleting: true)]
        let p = VMIReplicaSetPlanner.plan(rs: rs(replicas: 2), claimed: claimed, expectationsSatisfied: true)
        XCTAssertEqual(names(p.active), ["ok"])
        XCTAssertEqual(p.create, 1, "finished, unknown and terminating VMIs do not count")
        XCTAssertEqual(names(p.cleanUp), ["done", "failed", "lost"], "a VMI already being deleted is not deleted again")
    }

    func testPausedDeletingAndUnsatisfiedDoNothing() {
        let claimed = [vmi("a"), vmi("done", phase: "Failed")]
        for (name, r, satisfied) in [("paused", rs(replicas: 3, paused: true), true), ("deleting", rs(replicas: 3, deleting: true), true),
                                     ("writes not yet observed", rs(replicas: 3), false)] {
            let p = VMIReplicaSetPlanner.plan(rs: r, claimed: claimed, expectationsSatisfied: satisfied)
            XCTAssertEqual(p.create, 0, name)
            XCTAssertEqual(p.cleanUp.count, 0, name)
            XCTAssertEqual(p.diff, -2, name)
            XCTAssertEqual(names(p.active), ["a"], name)
        }
        let down = VMIReplicaSetPlanner.plan(rs: rs(replicas: 0, paused: true), claimed: claimed, expectationsSatisfied: true)
        XCTAssertEqual(down.delete.count, 0)
    }

    func testNewVMIFromTemplate() {
        var r = rs()
        r.set(path: ["spec", "template", "metadata", "creationTimestamp"], to: .null)
        let v = VMIReplicaSetPlanner.newVMI(for: r)
        XCTAssertEqual(v[path: ["metadata", "generateName"]], "myrs", "KubeVirt uses the VMIRS name without a dash")
        XCTAssertNil(v[path: ["metadata", "name"]])
        XCTAssertNil(v[path: ["metadata", "creationTimestamp"]])
        XCTAssertEqual(v[path: ["metadata", "namespace"]], "ns1")
        XCTAssertEqual(v[path: ["metadata", "labels"]], ["app": "web", "tier": "x"])
        XCTAssertEqual(v[path: ["metadata", "annotations", "note"]], "n")
        XCTAssertEqual(v["spec"], r[path: ["spec", "template", "spec"]])
        XCTAssertEqual(v["kind"], "VirtualMachineInstance")
        let ref = v[path: ["metadata", "ownerReferences"]]?.arrayValue
        XCTAssertEqual(ref, [["apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceReplicaSet", "name": "myrs", "uid": "rs-uid",
                              "controller": true, "blockOwnerDeletion": true]])
        r.set(path: ["spec", "template", "metadata", "generateName"], to: "web-")
        XCTAssertEqual(VMIReplicaSetPlanner.baseName(r), "web-")
        r.set(path: ["spec", "template", "metadata", "name"], to: "fixed")
        XCTAssertEqual(VMIReplicaSetPlanner.baseName(r), "fixed")
    }

    func testStatus() throws {
        let r = rs()
        let sel = try VMIReplicaSetPlanner.selector(of: r)
        let s = VMIReplicaSetStatus.status(rs: r, selector: sel, active: [vmi("a", ready: true), vmi("b")], diff: 0, scaleError: nil, now: t0)
        XCTAssertEqual(s["replicas"], 2)
        XCTAssertEqual(s["readyReplicas"], 1)
        XCTAssertEqual(s["labelSelector"], "app=web")
        XCTAssertNil(s["conditions"])
        let empty = VMIReplicaSetStatus.status(rs: r, selector: sel, active: [], diff: -2, scaleError: nil, now: t0)
        XCTAssertNil(empty["replicas"], "zero counts are omitted as KubeVirt's omitempty does")
        XCTAssertNil(empty["readyReplicas"])

        let failed = VMIReplicaSetStatus.status(rs: r, selector: sel, active: [], diff: -2, scaleError: "quota", now: t0)
        let cond = failed["conditions"]?.arrayValue?.first
        XCTAssertEqual(cond?["type"], "ReplicaFailure")
        XCTAssertEqual(cond?["reason"], "FailedCreate")
        XCTAssertEqual(cond?["message"], "quota")
        var r2 = r
        r2["status"] = failed
        let later = VMIReplicaSetStatus.status(rs: r2, selector: sel, active: [vmi("a")], diff: 1, scaleError: "other", now: t0.addingTimeInterval(60))
        XCTAssertEqual(later["conditions"]?.arrayValue, failed["conditions"]?.arrayValue, "an existing failure keeps its time and reason")
        let healed = VMIReplicaSetStatus.status(rs: r2, selector: sel, active: [vmi("a")], diff: 0, scaleError: nil, now: t0)
        XCTAssertNil(healed["conditions"])
        let deleteFail = VMIReplicaSetStatus.status(rs: r, selector: sel, active: [vmi("a")], diff: 1, scaleError: "x", now: t0)
        XCTAssertEqual(deleteFail["conditions"]?.arrayValue?.first?["reason"], "FailedDelete")
    }

    func testPausedConditionAndEvents() throws {
        let p = rs(paused: true)
        let sel = try VMIReplicaSetPlanner.selector(of: p)
        let s = VMIReplicaSetStatus.status(rs: p, selector: sel, active: [], diff: -2, scaleError: nil, now: t0)
        XCTAssertEqual(s["conditions"]?.arrayValue?.map { $0["type"] }, ["ReplicaPaused"])
        XCTAssertEqual(s["conditions"]?.arrayValue?.first?["message"], "Controller got paused")
        XCTAssertEqual(VMIReplicaSetStatus.pauseEvent(rs: p, old: nil)?.reason, "SuccessfulPaused")
        XCTAssertNil(VMIReplicaSetStatus.pauseEvent(rs: p, old: s))
        var resumed = rs()
        resumed["status"] = s
        XCTAssertEqual(VMIReplicaSetStatus.pauseEvent(rs: resumed, old: s)?.message, "Resumed")
        XCTAssertNil(VMIReplicaSetStatus.status(rs: resumed, selector: sel, active: [], diff: -2, scaleError: nil, now: t0)["conditions"])
    }

    func testWriteExpectations() {
        var e = WriteExpectations()
        XCTAssertTrue(e.satisfied("ns/a", listedRevision: 1))
        e.expect("ns/a", resourceVersionOf: ["metadata": ["resourceVersion": "10"]])
        e.expect("ns/a", revision: 7)
        XCTAssertFalse(e.satisfied("ns/a", listedRevision: 9), "a listing older than our last write must not drive creates")
        XCTAssertTrue(e.satisfied("ns/b", listedRevision: 0))
        XCTAssertTrue(e.satisfied("ns/a", listedRevision: 10))
        e.expect("ns/a", revision: 20)
        e.forget("ns/a")
        XCTAssertTrue(e.satisfied("ns/a", listedRevision: 0))
    }

    func testAdmissionRejectsMismatchedSelector() throws {
        let type = try XCTUnwrap(ResourceRegistry.builtins().lookup(group: "kubevirt.io", version: "v1", resource: "virtualmachineinstancereplicasets"))
        XCTAssertEqual(TypeValidation.validate(rs(), type: type), [])
        let bad = TypeValidation.validate(rs(selector: ["matchLabels": ["app": "db"]]), type: type)
        XCTAssertEqual(bad.map(\.field), ["spec.selector"])
        XCTAssertEqual(bad.first?.message, "selector does not match labels.")
        var noTemplate = rs()
        noTemplate.set(path: ["spec", "template"], to: nil)
        XCTAssertEqual(TypeValidation.validate(noTemplate, type: type).map(\.field), ["spec.template"])
        let badOp = TypeValidation.validate(rs(selector: ["matchExpressions": [["key": "app", "operator": "Like"]]]), type: type)
        XCTAssertEqual(badOp.map(\.field), ["spec.selector"])
    }
}
