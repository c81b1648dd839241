import XCTest
@testable import CorralModel

private func j(_ s: String) -> JSONValue { try! JSONParser.parse(s) }

private func manager(_ now: String = "2026-01-01T00:00:00Z", subresource: String = "") -> FieldManager {
    FieldManager(schema: ApplySchema.forKind(storageKey: "deployments.apps", group: "apps", version: "v1", kind: "Deployment"),
                 apiVersion: "apps/v1", subresource: subresource, hasStatusSubresource: true, now: now)
}

private func deploy(replicas: Int, env: [String], labels: [String: String] = ["app": "w"]) -> JSONValue {
    let envJSON = env.map { #"{"name":"\#($0)","value":"v"}"# }.joined(separator: ",")
    let labelJSON = labels.keys.sorted().map { #""\#($0)":"\#(labels[$0]!)""# }.joined(separator: ",")
    return j("""
    {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w","labels":{\(labelJSON)}},
     "spec":{"replicas":\(replicas),"selector":{"matchLabels":{"app":"w"}},
      "template":{"metadata":{"labels":{"app":"w"}},"spec":{"containers":[{"name":"c","image":"i","env":[\(envJSON)]}]}}}}
    """)
}

private func envNames(_ obj: JSONValue) -> [String] {
    (obj[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["env"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
}

final class ApplyFieldManagerTests: XCTestCase {
    let replicas: [PathElement] = [.field("spec"), .field("replicas")]

    func testCreateByApplyRecordsOnlyTheAppliedFields() throws {
        let r = try manager().apply(live: nil, config: deploy(replicas: 2, env: ["A"]), managed: [], manager: "kubectl", force: false)
        XCTAssertEqual(r.managed.count, 1)
        let e = r.managed[0]
        XCTAssertEqual(e.id, ManagerID(manager: "kubectl", operation: "Apply", apiVersion: "apps/v1"))
        XCTAssertEqual(e.time, "2026-01-01T00:00:00Z")
        XCTAssertTrue(e.fields.contains(replicas))
        XCTAssertFalse(e.fields.contains([.field("metadata"), .field("name")]), "untracked metadata")
        XCTAssertFalse(e.fields.contains([.field("apiVersion")]))
        XCTAssertEqual(r.object[path: ["spec", "replicas"]], 2)
    }

    func testConflictSharedValueAndForce() throws {
        let fm = manager()
        let first = try fm.apply(live: nil, config: deploy(replicas: 2, env: ["A"]), managed: [], manager: "a", force: false)
        let other = j(#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},"spec":{"replicas":5}}"#)
        XCTAssertThrowsError(try fm.apply(live: first.object, config: other, managed: first.managed, manager: "b", force: false)) { e in
            guard case ApplyError.conflicts(let c) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(c, [ApplyConflict(manager: ManagerID(manager: "a", operation: "Apply", apiVersion: ""), path: replicas)])
            XCTAssertEqual("\(e)", #"Apply failed with 1 conflict: conflict with "a": .spec.replicas"#)
            let status = (e as! ApplyError).apiError
            XCTAssertEqual(status.code, 409)
            XCTAssertEqual(status.causes, [FieldCause(reason: "FieldManagerConflict", field: ".spec.replicas", message: #"conflict with "a""#)])
        }
        // Same value: no conflict, shared ownership.
        let same = j(#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w"},"spec":{"replicas":2}}"#)
        let shared = try fm.apply(live: first.object, config: same, managed: first.managed, manager: "b", force: false)
        XCTAssertEqual(shared.managed.filter { $0.fields.contains(replicas) }.count, 2)
        // Force moves it.
        let forced = try fm.apply(live: shared.object, config: other, managed: shared.managed, manager: "b", force: true)
        XCTAssertEqual(forced.object[path: ["spec", "replicas"]], 5)
        XCTAssertEqual(forced.managed.filter { $0.fields.contains(replicas) }.map(\.id.manager), ["b"])
    }

    func testUpdateManagerIsPrintedWithVersionAndSubresource() {
        let id = ManagerID(manager: "kubectl", operation: "Update", apiVersion: "apps/v1", subresource: "scale")
        XCTAssertEqual(id.printed, #""kubectl" with subresource "scale" using apps/v1"#)
        let msg = ApplyError.conflicts([ApplyConflict(manager: id, path: [.field("spec"), .field("replicas")]),
                                        ApplyConflict(manager: ManagerID(manager: "a", operation: "Apply", apiVersion: "v1"),
                                                      path: [.field("metadata"), .field("labels"), .field("x")])]).description
        XCTAssertEqual(msg, "Apply failed with 2 conflicts: conflicts with \"a\":\n- .metadata.labels.x\n"
                       + "conflicts with \"kubectl\" with subresource \"scale\" using apps/v1:\n- .spec.replicas")
    }

    func testReapplyRemovesDroppedFieldsUnlessOthersOwnThem() throws {
        let fm = manager()
        let first = try fm.apply(live: nil, config: deploy(replicas: 2, env: ["A", "B"], labels: ["app": "w", "tier": "fe"]),
                                 managed: [], manager: "a", force: false)
        // Another manager labels the object (an Update).
        var labelled = first.object
        labelled.set(path: ["metadata", "labels", "extra"], to: "yes")
        let afterLabel = try fm.update(live: first.object, new: labelled, managed: first.managed, manager: "kubectl-label")
        let again = try fm.apply(live: labelled, config: deploy(replicas: 2, env: ["B"]), managed: afterLabel, manager: "a", force: false)
        XCTAssertEqual(envNames(again.object), ["B"])
        XCTAssertEqual(again.object[path: ["metadata", "labels"]], j(#"{"app":"w","extra":"yes"}"#))
        // Dropping every env var removes the list.
        let none = try fm.apply(live: again.object, config: deploy(replicas: 2, env: []), managed: again.managed, manager: "a", force: false)
        XCTAssertEqual(envNames(none.object), [])
        XCTAssertNil(none.object[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["env"])
        XCTAssertEqual(none.object[path: ["metadata", "name"]], "w", "metadata itself is never pruned")
    }

    func testUpdateRecordsChangedFieldsAndTakesThemFromOthers() throws {
        let fm = manager("2026-01-02T00:00:00Z")
        let first = try manager().apply(live: nil, config: deploy(replicas: 2, env: ["A"]), managed: [], manager: "a", force: false)
        var scaled = first.object
        scaled.set(path: ["spec", "replicas"], to: 4)
        let managed = try fm.update(live: first.object, new: scaled, managed: first.managed, manager: "kubectl-patch")
        let patchEntry = managed.first { $0.id.manager == "kubectl-patch" }!
        XCTAssertEqual(patchEntry.fields, FieldSet([replicas]))
        XCTAssertEqual(patchEntry.time, "2026-01-02T00:00:00Z")
        XCTAssertFalse(managed.first { $0.id.manager == "a" }!.fields.contains(replicas))
        // A no-op update changes nothing.
        XCTAssertEqual(try fm.update(live: scaled, new: scaled, managed: managed, manager: "x"), managed)
    }

    func testUpdateOnCreateMarksMapsButNotStructs() throws {
        let fm = manager()
        let managed = try fm.update(live: nil, new: deploy(replicas: 1, env: ["A"]), managed: [], manager: "kubectl-create")
        let wire = ManagedFields.encode(managed)!
        let f = wire.arrayValue![0]["fieldsV1"]!
        XCTAssertEqual(f[path: ["f:metadata", "f:labels"]], j(#"{".":{},"f:app":{}}"#))
        XCTAssertNil(f[path: ["f:spec", "."]], "spec is a struct")
        XCTAssertNil(f[path: ["f:spec", "f:template", "f:spec", "f:containers", "."]], "containers is required")
        XCTAssertNotNil(f[path: ["f:spec", "f:template", "f:spec", "f:containers", #"k:{"name":"c"}"#, "f:env", "."]])
        XCTAssertEqual(wire.arrayValue![0]["operation"], "Update")
    }

    func testStatusSubresourceOwnsOnlyStatus() throws {
        let fm = manager(subresource: "status")
        var old = deploy(replicas: 1, env: [])
        old["status"] = j(#"{"replicas":0}"#)
        var new = old
        new["status"] = j(#"{"replicas":1,"readyReplicas":1}"#)
        let managed = try fm.update(live: old, new: new, managed: [], manager: "ctrl")
        XCTAssertEqual(managed.map(\.id.subresource), ["status"])
        XCTAssertEqual(managed[0].fields, FieldSet([[.field("status"), .field("replicas")], [.field("status"), .field("readyReplicas")]]))
    }

    func testKubectlMayTakeOverClientSideApplyFields() throws {
        let fm = manager()
        var live = deploy(replicas: 2, env: ["A"])
        live.set(path: ["metadata", "annotations", lastAppliedAnnotation], to: .string(deploy(replicas: 2, env: ["A"]).jsonString()))
        let csa = try fm.update(live: nil, new: live, managed: [], manager: "kubectl-client-side-apply")
        // Another tool's value is still a conflict; the last-applied value is not.
        let r = try fm.apply(live: live, config: deploy(replicas: 3, env: ["A"]), managed: csa, manager: "kubectl", force: false)
        XCTAssertEqual(r.object[path: ["spec", "replicas"]], 3)
        let text = r.object[path: ["metadata", "annotations", lastAppliedAnnotation]]?.stringValue ?? ""
        XCTAssertTrue(text.contains(#""replicas":3"#) && text.hasSuffix("\n"), text)
        XCTAssertThrowsError(try fm.apply(live: live, config: deploy(replicas: 3, env: ["A"]), managed: csa, manager: "other", force: false))
    }

    func testManagedFieldsDecodeEncodeAndOrder() throws {
        let wire = j("""
        [{"manager":"z","operation":"Update","apiVersion":"v1","time":"2026-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:a":{}}}},
         {"manager":"y","operation":"Apply","apiVersion":"v1","time":"2026-01-02T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:data":{"f:b":{}}}},
         {"manager":"e","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{}}]
        """)
        let entries = try ManagedFields.decode(wire)
        XCTAssertEqual(entries.count, 3)
        let out = ManagedFields.encode(entries)!.arrayValue!
        XCTAssertEqual(out.map { $0["manager"]!.stringValue! }, ["y", "z"], "Apply first, empty sets dropped")
        XCTAssertEqual(out[1].objectValue!.keys, ["manager", "operation", "apiVersion", "time", "fieldsType", "fieldsV1"])
        XCTAssertThrowsError(try ManagedFields.decode(j(#"[{"manager":"a","operation":"Bad","apiVersion":"v1","fieldsType":"FieldsV1"}]"#)))
        XCTAssertTrue(ManagedFields.isReset(j("[]")))
        XCTAssertTrue(ManagedFields.isReset(j("[{}]")))
        XCTAssertFalse(ManagedFields.isReset(wire))
    }

    func testUpdateManagersAreCappedIntoAncientChanges() {
        let entries = (0..<12).map { i in
            ManagedFieldsEntry(id: ManagerID(manager: "m\(i)", operation: "Update", apiVersion: "v1"), apiVersion: "v1",
                               time: String(format: "2026-01-01T00:00:%02dZ", i), fields: FieldSet([[.field("f\(i)")]]))
        }
        let capped = ManagedFields.capUpdateManagers(entries)
        XCTAssertEqual(capped.count, 10)
        let bucket = capped.first { $0.id.manager == "ancient-changes" }!
        XCTAssertEqual(bucket.fields, FieldSet([[.field("f0")], [.field("f1")], [.field("f2")]]))
    }

    func testMergeKeepsLiveOrderAndReplacesAtomicLists() throws {
        let live = j(#"{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"1","args":["x"]},{"name":"b","image":"2"}]}}}}"#)
        let cfg = j(#"{"spec":{"template":{"spec":{"containers":[{"name":"n","image":"9"},{"name":"b","image":"3","args":["y"]}]}}}}"#)
        let m = try ApplyMerge.merge(live, cfg, schema: deploymentSchemaForTests)
        let cs = m[path: ["spec", "template", "spec", "containers"]]!.arrayValue!
        XCTAssertEqual(cs.map { $0["name"]!.stringValue! }, ["a", "n", "b"])
        XCTAssertEqual(cs[2], j(#"{"name":"b","image":"3","args":["y"]}"#))
        XCTAssertEqual(cs[0]["args"], j(#"["x"]"#))
    }
}

private let deploymentSchemaForTests = ApplySchema.forKind(storageKey: "deployments.apps", group: "apps", version: "v1", kind: "Deployment")
