import Foundation
import XCTest
@testable import CorralModel

private let registry = ResourceRegistry.builtins()
private let now = Date(timeIntervalSince1970: 1_700_000_000)
private let nowString = "2023-11-14T22:13:20Z"

private func type(_ storageKey: String, file: StaticString = #filePath, line: UInt = #line) -> ResourceType {
    guard let t = registry.lookup(storageKey: storageKey) else {
        XCTFail("no builtin type \(storageKey)", file: file, line: line)
        return ResourceType(group: "", version: "v1", kind: "Missing", resource: "missing")
    }
    return t
}

private func j(_ s: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
    do { return try JSONParser.parse(s) } catch {
        XCTFail("bad test JSON: \(error)\n\(s)", file: file, line: line)
        return .null
    }
}

private func create(_ body: String, as key: String, namespace: String? = "default", uid: String = "uid-1") throws -> JSONValue {
    let t = type(key)
    return try ObjectLifecycle.prepareCreate(j(body), type: t, namespace: t.namespaced ? namespace : nil, now: now, uid: uid)
}

/// Runs `body`, expecting an APIError with `code`; returns it for more checks.
@discardableResult
private func expectAPIError(_ code: Int, _ label: String = "", file: StaticString = #filePath, line: UInt = #line,
                            _ body: () throws -> Any) -> APIError? {
    do {
        let v = try body()
        XCTFail("\(label): succeeded with \((v as? JSONValue)?.jsonString() ?? "\(v)"), want \(code)", file: file, line: line)
    } catch let e as APIError {
        XCTAssertEqual(e.code, code, "\(label): \(e)", file: file, line: line)
        return e
    } catch {
        XCTFail("\(label): unexpected error \(error)", file: file, line: line)
    }
    return nil
}

private func fields(_ e: APIError?) -> [String] { e?.causes.map(\.field) ?? [] }

private let validPodSpec = #"{"containers":[{"name":"c","image":"busybox:1.36"}]}"#
private let validDeployment = #"""
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
 "spec":{"selector":{"matchLabels":{"app":"web"}},
         "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}}}
"""#

/// prepareCreate and prepareUpdate: identity, metadata checks, status and generation rules.
final class LifecycleTests: XCTestCase {
    // MARK: create

    func testCreateSetsIdentityAndDropsClientSystemFields() throws {
        let cm = try create(#"""
            {"metadata":{"name":"cm","resourceVersion":"5","uid":"client-uid","creationTimestamp":"2000-01-01T00:00:00Z",
                         "deletionTimestamp":"2000-01-01T00:00:00Z","deletionGracePeriodSeconds":30,"selfLink":"/x","generation":7},
             "data":{"k":"v"}}
            """#, as: "configmaps", uid: "0b1c2d3e")
        XCTAssertEqual(cm["apiVersion"], "v1")
        XCTAssertEqual(cm["kind"], "ConfigMap")
        XCTAssertEqual(cm[path: ["metadata", "name"]], "cm")
        XCTAssertEqual(cm[path: ["metadata", "namespace"]], "default")
        XCTAssertEqual(cm[path: ["metadata", "uid"]], "0b1c2d3e")
        XCTAssertEqual(cm[path: ["metadata", "creationTimestamp"]], .string(nowString))
        for f in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "generation"] {
            XCTAssertNil(cm[path: ["metadata", f]], "metadata.\(f) must not survive create")
        }
        XCTAssertEqual(cm["data"], ["k": "v"])

        // Types with a spec start at generation 1 whatever the client sent.
        var body = j(validDeployment)
        body.set(path: ["metadata", "generation"], to: 7)
        let d = try ObjectLifecycle.prepareCreate(body, type: type("deployments.apps"), namespace: "ns1", now: now, uid: "u")
        XCTAssertEqual(d[path: ["metadata", "generation"]], 1)
        XCTAssertEqual(d[path: ["metadata", "namespace"]], "ns1")
        XCTAssertTrue(ObjectLifecycle.tracksGeneration(type("deployments.apps")))
        XCTAssertTrue(ObjectLifecycle.tracksGeneration(type("virtualmachines.kubevirt.io")))
        for key in ["configmaps", "secrets", "namespaces", "nodes", "events", "roles.rbac.authorization.k8s.io"] {
            XCTAssertFalse(ObjectLifecycle.tracksGeneration(type(key)), key)
        }
    }

    func testTimestamps() {
        XCTAssertEqual(ObjectLifecycle.timestamp(now), nowString)
        XCTAssertEqual(ObjectLifecycle.timestamp(now.addingTimeInterval(0.75)), nowString, "second precision")
        XCTAssertEqual(ObjectLifecycle.parseTimestamp(nowString), now)
        XCTAssertEqual(ObjectLifecycle.parseTimestamp("2023-11-14T22:13:20.500000Z"), now.addingTimeInterval(0.5))
        XCTAssertEqual(ObjectLifecycle.parseTimestamp("2023-11-15T00:13:20+02:00"), now)
        XCTAssertNil(ObjectLifecycle.parseTimestamp("yesterday"))
    }

    func testGenerateName() throws {
        let alphabet = Set("bcdfghjklmnpqrstvwxz2456789")
        var names = Set<String>()
        for _ in 0..<20 {
            let cm = try create(#"{"metadata":{"generateName":"web-"}}"#, as: "configmaps")
            let name = try XCTUnwrap(cm[path: ["metadata", "name"]]?.stringValue)
            XCTAssertTrue(name.hasPrefix("web-"), name)
            XCTAssertEqual(name.count, 9, name)
            XCTAssertTrue(name.dropFirst(4).allSatisfy(alphabet.contains), "suffix of \(name) uses only the allowed alphabet")
            XCTAssertEqual(cm[path: ["metadata", "generateName"]], "web-", "generateName is kept")
            names.insert(name)
        }
        XCTAssertGreaterThan(names.count, 1, "suffixes are random")
        for _ in 0..<50 {
            let s = ObjectLifecycle.randomSuffix()
            XCTAssertEqual(s.count, 5)
            XCTAssertTrue(s.allSatisfy(alphabet.contains), s)
        }
        // A long prefix is cut to 58 so the name fits in 63.
        let long = String(repeating: "a", count: 70)
        let cm = try create(#"{"metadata":{"generateName":"\#(long)"}}"#, as: "configmaps")
        let name = try XCTUnwrap(cm[path: ["metadata", "name"]]?.stringValue)
        XCTAssertEqual(name.count, 63)
        XCTAssertTrue(name.hasPrefix(String(repeating: "a", count: 58)))
        // An explicit name wins over generateName.
        let named = try create(#"{"metadata":{"name":"fixed","generateName":"web-"}}"#, as: "configmaps")
        XCTAssertEqual(named[path: ["metadata", "name"]], "fixed")
        // A prefix that cannot make a valid name is refused.
        let e = expectAPIError(422) { try create(#"{"metadata":{"generateName":"Web-"}}"#, as: "configmaps") }
        XCTAssertEqual(fields(e), ["metadata.name"])
    }

    func testStatusIsClearedForTypesWithStatusSubresource() throws {
        var body = j(validDeployment)
        body["status"] = ["replicas": 3, "readyReplicas": 3]
        let d = try ObjectLifecycle.prepareCreate(body, type: type("deployments.apps"), namespace: "default", now: now, uid: "u")
        XCTAssertNil(d["status"])

        let svc = try create(#"{"metadata":{"name":"svc"},"spec":{"ports":[{"port":80}]},"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}}"#,
                             as: "services")
        XCTAssertNil(svc["status"])

        let vm = try create(#"{"metadata":{"name":"vm"},"spec":{"runStrategy":"Halted","template":{"spec":{}}},"status":{"ready":true}}"#,
                            as: "virtualmachines.kubevirt.io")
        XCTAssertNil(vm["status"])

        // Namespaces: the client's status goes, the default phase comes back.
        let ns = try create(#"{"metadata":{"name":"team-a"},"status":{"phase":"Terminating"}}"#, as: "namespaces")
        XCTAssertEqual(ns["status"], ["phase": "Active"])
        XCTAssertNil(ns[path: ["metadata", "namespace"]])

        // Nodes register with their status.
        let node = try create(#"{"metadata":{"name":"node1"},"status":{"capacity":{"cpu":"2"}}}"#, as: "nodes")
        XCTAssertEqual(node[path: ["status", "capacity", "cpu"]], "2")
    }

    func testPodGetsPendingPhaseAndQOSClass() throws {
        func qos(_ containers: String, initContainers: String? = nil) throws -> JSONValue? {
            let inits = initContainers.map { #","initContainers":\#($0)"# } ?? ""
            let pod = try create(#"{"metadata":{"name":"p"},"spec":{"containers":\#(containers)\#(inits)},"status":{"phase":"Running","podIP":"10.0.0.1"}}"#,
                                 as: "pods")
            XCTAssertEqual(pod[path: ["status", "phase"]], "Pending")
            XCTAssertNil(pod[path: ["status", "podIP"]], "the client's status is dropped")
            return pod[path: ["status", "qosClass"]]
        }
        XCTAssertEqual(try qos(#"[{"name":"a","image":"i"}]"#), "BestEffort")
        XCTAssertEqual(try qos(#"[{"name":"a","image":"i","resources":{}}]"#), "BestEffort")
        XCTAssertEqual(try qos(#"[{"name":"a","image":"i","resources":{"requests":{"cpu":"100m"}}}]"#), "Burstable")
        XCTAssertEqual(try qos(#"[{"name":"a","image":"i","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]"#), "Guaranteed",
                       "limits alone imply equal requests")
        XCTAssertEqual(try qos(#"[{"name":"a","image":"i","resources":{"requests":{"cpu":"1","memory":"1Gi"},"limits":{"cpu":"1","memory":"1Gi"}}}]"#),
                       "Guaranteed")
        XCTAssertEqual(try qos(#"[{"name":"a","image":"i","resources":{"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"cpu":"1","memory":"1Gi"}}}]"#),
                       "Burstable", "requests below limits")
        XCTAssertEqual(try qos(#"[{"name":"a","image":"i","resources":{"limits":{"cpu":"1"}}}]"#), "Burstable", "memory limit missing")
        XCTAssertEqual(try qos(#"[{"name":"a","image":"i","resources":{"limits":{"cpu":"1","memory":"1Gi"}}},{"name":"b","image":"i"}]"#),
                       "Burstable", "one container without limits")
        XCTAssertEqual(try qos(#"[{"name":"a","image":"i","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}]"#,
                               initContainers: #"[{"name":"init","image":"i","resources":{"requests":{"cpu":"1"}}}]"#),
                       "Burstable", "init containers count")
    }

    func testKindAndAPIVersionComeFromTheURLWhenMissing() throws {
        let cm = try create(#"{"metadata":{"name":"cm"}}"#, as: "configmaps")
        XCTAssertEqual(cm["apiVersion"], "v1")
        XCTAssertEqual(cm["kind"], "ConfigMap")
        let d = try create(#"{"kind":"Deployment","metadata":{"name":"web"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":\#(validPodSpec)}}}"#,
                           as: "deployments.apps")
        XCTAssertEqual(d["apiVersion"], "apps/v1")
        let vm = try create(#"{"apiVersion":"kubevirt.io/v1","kind":"","metadata":{"name":"vm"},"spec":{"runStrategy":"Halted","template":{"spec":{}}}}"#,
                            as: "virtualmachines.kubevirt.io")
        XCTAssertEqual(vm["kind"], "VirtualMachine")
    }

    func testMismatchedKindOrAPIVersionIs400() {
        var e = expectAPIError(400, "kind") { try create(#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}"#, as: "configmaps") }
        XCTAssertEqual(e?.reason, "BadRequest")
        XCTAssertTrue(e?.message.contains("kind (Secret) does not match ConfigMap") ?? false, e?.message ?? "")
        e = expectAPIError(400, "apiVersion") { try create(#"{"apiVersion":"apps/v1beta1","kind":"Deployment","metadata":{"name":"x"}}"#, as: "deployments.apps") }
        XCTAssertTrue(e?.message.contains("the API version in the data (apps/v1beta1) does not match the expected API version (apps/v1)") ?? false,
                      e?.message ?? "")
        expectAPIError(400, "kind only") { try create(#"{"kind":"Pod","metadata":{"name":"x"}}"#, as: "configmaps") }
        expectAPIError(400, "not an object") { try create(#"["a"]"#, as: "configmaps") }
        expectAPIError(400, "a string") { try create(#""cm""#, as: "configmaps") }
    }

    func testNamespaceHandling() throws {
        let e = expectAPIError(400) { try create(#"{"metadata":{"name":"cm","namespace":"other"}}"#, as: "configmaps", namespace: "default") }
        XCTAssertTrue(e?.message.contains("does not match the namespace sent on the request") ?? false, e?.message ?? "")
        let same = try create(#"{"metadata":{"name":"cm","namespace":"default"}}"#, as: "configmaps", namespace: "default")
        XCTAssertEqual(same[path: ["metadata", "namespace"]], "default")
        let fromURL = try create(#"{"metadata":{"name":"cm"}}"#, as: "configmaps", namespace: "team-b")
        XCTAssertEqual(fromURL[path: ["metadata", "namespace"]], "team-b")
        let emptyInBody = try create(#"{"metadata":{"name":"cm","namespace":""}}"#, as: "configmaps", namespace: "team-b")
        XCTAssertEqual(emptyInBody[path: ["metadata", "namespace"]], "team-b")
        // Cluster-scoped objects lose any namespace they were sent with.
        let ns = try create(#"{"metadata":{"name":"team-c","namespace":"default"}}"#, as: "namespaces")
        XCTAssertNil(ns[path: ["metadata", "namespace"]])
        // A bad namespace name is a field error.
        let bad = expectAPIError(422) { try create(#"{"metadata":{"name":"cm"}}"#, as: "configmaps", namespace: "Bad_NS") }
        XCTAssertEqual(fields(bad), ["metadata.namespace"])
    }

    func testNameRules() throws {
        XCTAssertEqual(NameRule.forType(type("namespaces")), .dns1123Label)
        XCTAssertEqual(NameRule.forType(type("services")), .dns1035Label)
        XCTAssertEqual(NameRule.forType(type("configmaps")), .dns1123Subdomain)
        XCTAssertEqual(NameRule.forType(type("pods")), .dns1123Subdomain)
        XCTAssertEqual(NameRule.forType(type("roles.rbac.authorization.k8s.io")), .pathSegment)

        let label63 = String(repeating: "a", count: 63)
        let subdomain253 = [String](repeating: String(repeating: "b", count: 63), count: 4).joined(separator: ".") // 255
        let sub253 = String(subdomain253.dropFirst(2))
        let cases: [(String, String, Bool)] = [
            ("namespaces", "team-a", true), ("namespaces", "1team", true), ("namespaces", label63, true),
            ("namespaces", label63 + "a", false), ("namespaces", "a.b", false), ("namespaces", "Team", false),
            ("namespaces", "-a", false), ("namespaces", "a-", false), ("namespaces", "a_b", false),
            ("services", "web", true), ("services", "web-1", true), ("services", "1web", false),
            ("services", "web.local", false), ("services", "Web", false), ("services", "web-", false),
            ("configmaps", "a.b.c", true), ("configmaps", "1abc", true), ("configmaps", "kube-root-ca.crt", true),
            ("configmaps", sub253, true), ("configmaps", sub253 + "b", false), ("configmaps", "a_b", false),
            ("configmaps", "A", false), ("configmaps", "a..b", false), ("configmaps", ".a", false), ("configmaps", "a.", false),
            ("configmaps", "é", false),
        ]
        XCTAssertEqual(sub253.utf8.count, 253)
        for (key, name, valid) in cases {
            let spec = key == "services" ? #","spec":{"ports":[{"port":80}]}"# : ""
            let body = #"{"metadata":{"name":"\#(name)"}\#(spec)}"#
            if valid {
                XCTAssertNoThrow(try create(body, as: key), "\(key) \(name)")
                continue
            }
            let e = expectAPIError(422, "\(key) \(name)") { try create(body, as: key) }
            XCTAssertEqual(e?.reason, "Invalid")
            XCTAssertTrue(fields(e).contains("metadata.name"), "\(key) \(name): \(fields(e))")
            XCTAssertEqual(e?.causes.first?.reason, "FieldValueInvalid")
            // As the client sees it.
            let causes = e?.status[path: ["details", "causes"]]?.arrayValue ?? []
            XCTAssertTrue(causes.contains { $0["field"] == "metadata.name" }, "\(key) \(name): \(e?.status.jsonString() ?? "")")
            XCTAssertEqual(e?.status[path: ["details", "kind"]], .string(type(key).kind))
            XCTAssertEqual(e?.status["code"], 422)
        }
        // The rules themselves.
        XCTAssertEqual(NameRule.pathSegment.problems("a:b"), [])
        XCTAssertFalse(NameRule.pathSegment.problems("a/b").isEmpty)
        XCTAssertFalse(NameRule.pathSegment.problems("..").isEmpty)
        XCTAssertFalse(NameRule.pathSegment.problems("a%b").isEmpty)
        XCTAssertEqual(NameRule.dns1123Label.problems(label63 + "a").first, "must be no more than 63 characters")
    }

    func testMissingNameIsRequired() {
        let e = expectAPIError(422) { try create(#"{"metadata":{"labels":{"a":"b"}}}"#, as: "configmaps") }
        XCTAssertEqual(e?.causes, [FieldCause(reason: "FieldValueRequired", field: "metadata.name",
                                              message: "Required value: name or generateName is required")])
        expectAPIError(422, "no metadata") { try create(#"{"data":{}}"#, as: "configmaps") }
        expectAPIError(422, "empty name") { try create(#"{"metadata":{"name":""}}"#, as: "configmaps") }
    }

    func testInvalidLabelsAndOwnerReferencesAre422() {
        var e = expectAPIError(422) { try create(#"{"metadata":{"name":"cm","labels":{"bad key!":"v"}}}"#, as: "configmaps") }
        XCTAssertEqual(Set(fields(e)), ["metadata.labels"])
        e = expectAPIError(422) { try create(#"{"metadata":{"name":"cm","labels":{"k":"bad value!"}}}"#, as: "configmaps") }
        XCTAssertEqual(Set(fields(e)), ["metadata.labels"])
        e = expectAPIError(422) { try create(#"{"metadata":{"name":"cm","annotations":{"bad key!":"v"}}}"#, as: "configmaps") }
        XCTAssertEqual(Set(fields(e)), ["metadata.annotations"])
        e = expectAPIError(422) { try create(#"{"metadata":{"name":"cm","ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":"p"}]}}"#, as: "configmaps") }
        XCTAssertEqual(fields(e), ["metadata.ownerReferences[0].uid"])
    }

    func testWrongMetadataTypesAre400() {
        let cases: [(String, String)] = [
            (#"{"metadata":"cm"}"#, "metadata"),
            (#"{"metadata":[]}"#, "metadata"),
            (#"{"metadata":{"name":5}}"#, "metadata.name"),
            (#"{"metadata":{"name":"cm","namespace":true}}"#, "metadata.namespace"),
            (#"{"metadata":{"generateName":{}}}"#, "metadata.generateName"),
            (#"{"metadata":{"name":"cm","labels":{"a":1}}}"#, "metadata.labels"),
            (#"{"metadata":{"name":"cm","labels":["a"]}}"#, "metadata.labels"),
            (#"{"metadata":{"name":"cm","annotations":{"a":true}}}"#, "metadata.annotations"),
            (#"{"metadata":{"name":"cm","finalizers":"a"}}"#, "metadata.finalizers"),
            (#"{"metadata":{"name":"cm","finalizers":[1]}}"#, "metadata.finalizers"),
            (#"{"metadata":{"name":"cm","ownerReferences":["x"]}}"#, "metadata.ownerReferences"),
            (#"{"metadata":{"name":"cm","generation":"1"}}"#, "metadata.generation"),
            (#"{"metadata":{"name":"cm","resourceVersion":5}}"#, "metadata.resourceVersion"),
            (#"{"metadata":{"name":"cm"},"data":{"k":1}}"#, "data"),
            (#"{"metadata":{"name":"cm"},"data":["k"]}"#, "data"),
            (#"{"metadata":{"name":"cm"},"binaryData":{"k":false}}"#, "binaryData"),
        ]
        for (body, field) in cases {
            let e = expectAPIError(400, body) { try create(body, as: "configmaps") }
            XCTAssertEqual(e?.reason, "BadRequest", body)
            XCTAssertEqual(fields(e), [field], body)
            XCTAssertTrue(e?.message.hasPrefix(#"ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal"#) ?? false,
                          e?.message ?? "")
        }
        let e = expectAPIError(400) { try create(#"{"metadata":{"name":5}}"#, as: "configmaps") }
        XCTAssertTrue(e?.message.contains("cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string") ?? false,
                      e?.message ?? "")
        // null is "not set", not a type error.
        XCTAssertNoThrow(try create(#"{"metadata":{"name":"cm","labels":null,"finalizers":null,"generation":null},"data":null}"#, as: "configmaps"))
        // A secret's data is map[string][]byte.
        let s = expectAPIError(400) { try create(#"{"metadata":{"name":"s"},"data":{"k":1}}"#, as: "secrets") }
        XCTAssertTrue(s?.message.contains("of type []uint8") ?? false, s?.message ?? "")
    }

    // MARK: update

    /// A deployment as stored: created, then given a resourceVersion and a status.
    private func storedDeployment() throws -> JSONValue {
        var d = try ObjectLifecycle.prepareCreate(j(validDeployment), type: type("deployments.apps"), namespace: "default", now: now, uid: "uid-d")
        d.set(path: ["metadata", "resourceVersion"], to: "5")
        d["status"] = ["replicas": 1, "observedGeneration": 1]
        return d
    }

    private func update(_ input: JSONValue, old: JSONValue, _ key: String = "deployments.apps", subresource: String? = nil) throws -> JSONValue {
        try ObjectLifecycle.prepareUpdate(input, old: old, type: type(key), subresource: subresource)
    }

    func testUpdateResourceVersionPrecondition() throws {
        let old = try storedDeployment()
        var input = old
        input.set(path: ["metadata", "resourceVersion"], to: "4")
        let e = expectAPIError(409) { try self.update(input, old: old) }
        XCTAssertEqual(e?.reason, "Conflict")
        XCTAssertEqual(e?.message, #"Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again"#)
        XCTAssertEqual(e?.status[path: ["details", "kind"]], "deployments")

        input.set(path: ["metadata", "resourceVersion"], to: "5")
        let ok = try update(input, old: old)
        XCTAssertNil(ok[path: ["metadata", "resourceVersion"]], "the store assigns the new resourceVersion")

        input.set(path: ["metadata", "resourceVersion"], to: nil)
        XCTAssertNoThrow(try update(input, old: old), "no resourceVersion is an unconditional update")

        var wrongUID = old
        wrongUID.set(path: ["metadata", "uid"], to: "someone-else")
        let u = expectAPIError(409) { try self.update(wrongUID, old: old) }
        XCTAssertTrue(u?.message.contains("Precondition failed: UID in precondition: someone-else") ?? false, u?.message ?? "")

        var renamed = old
        renamed.set(path: ["metadata", "name"], to: "other")
        expectAPIError(400, "name differs from the URL") { try self.update(renamed, old: old) }

        var otherKind = old
        otherKind["kind"] = "ReplicaSet"
        expectAPIError(400, "kind") { try self.update(otherKind, old: old) }
        expectAPIError(400, "not an object") { try self.update([1], old: old) }
        expectAPIError(400, "metadata types") { try self.update(["metadata": ["labels": ["a": 1]]], old: old) }
    }

    func testUpdateKeepsSystemFields() throws {
        let old = try storedDeployment()
        var input = old
        input.set(path: ["metadata", "creationTimestamp"], to: "2000-01-01T00:00:00Z")
        input.set(path: ["metadata", "namespace"], to: "elsewhere")
        input.set(path: ["metadata", "generation"], to: 42)
        input.set(path: ["metadata", "uid"], to: nil)
        input.set(path: ["metadata", "name"], to: nil)
        input["kind"] = nil
        input["apiVersion"] = nil
        let out = try update(input, old: old)
        for f in ["name", "namespace", "uid", "creationTimestamp", "generation"] {
            XCTAssertEqual(out[path: ["metadata", f]], old[path: ["metadata", f]], "metadata.\(f)")
        }
        XCTAssertEqual(out["kind"], "Deployment")
        XCTAssertEqual(out["apiVersion"], "apps/v1")
    }

    func testGenerationBumpsOnlyWhenSpecChanges() throws {
        let old = try storedDeployment()
        XCTAssertEqual(old[path: ["metadata", "generation"]], 1)

        var labelsOnly = old
        labelsOnly.set(path: ["metadata", "labels"], to: ["tier": "front"])
        let a = try update(labelsOnly, old: old)
        XCTAssertEqual(a[path: ["metadata", "generation"]], 1, "metadata changes keep the generation")
        XCTAssertEqual(a[path: ["metadata", "labels", "tier"]], "front")

        // The client's original manifest (without server defaults) is not a spec change.
        XCTAssertEqual(try update(j(validDeployment), old: old)[path: ["metadata", "generation"]], 1)

        var statusOnly = old
        statusOnly["status"] = ["replicas": 7]
        XCTAssertEqual(try update(statusOnly, old: old)[path: ["metadata", "generation"]], 1)

        var scaled = old
        scaled.set(path: ["spec", "replicas"], to: 3)
        let b = try update(scaled, old: old)
        XCTAssertEqual(b[path: ["metadata", "generation"]], 2)
        XCTAssertEqual(b[path: ["spec", "replicas"]], 3)

        var stored2 = b
        stored2.set(path: ["metadata", "resourceVersion"], to: "6")
        var newImage = stored2
        newImage.set(path: ["spec", "template", "spec", "containers"], to: [["name": "web", "image": "nginx:1.26"]])
        XCTAssertEqual(try update(newImage, old: stored2)[path: ["metadata", "generation"]], 3)
        XCTAssertEqual(try update(stored2, old: stored2)[path: ["metadata", "generation"]], 2, "no change, no bump")

        // Types without generation tracking never get one.
        let cm = try create(#"{"metadata":{"name":"cm"},"data":{"a":"1"}}"#, as: "configmaps")
        var cm2 = cm
        cm2["data"] = ["a": "2"]
        let out = try update(cm2, old: cm, "configmaps")
        XCTAssertNil(out[path: ["metadata", "generation"]])
        XCTAssertEqual(out["data"], ["a": "2"])
    }

    func testStatusSubresourceChangesOnlyStatus() throws {
        let old = try storedDeployment()
        var input = old
        input.set(path: ["spec", "replicas"], to: 9)
        input.set(path: ["metadata", "labels"], to: ["sneaky": "yes"])
        input["status"] = ["replicas": 1, "readyReplicas": 1, "observedGeneration": 1]
        let out = try update(input, old: old, subresource: "status")
        XCTAssertEqual(out["status"], ["replicas": 1, "readyReplicas": 1, "observedGeneration": 1])
        XCTAssertEqual(out["spec"], old["spec"])
        XCTAssertNil(out[path: ["metadata", "labels"]])
        XCTAssertEqual(out[path: ["metadata", "generation"]], 1)
        XCTAssertNil(out[path: ["metadata", "resourceVersion"]])

        // A stale resourceVersion conflicts on the status subresource too.
        input.set(path: ["metadata", "resourceVersion"], to: "1")
        expectAPIError(409) { try self.update(input, old: old, subresource: "status") }
    }

    func testMainResourceKeepsOldStatus() throws {
        let old = try storedDeployment()
        var input = old
        input["status"] = ["replicas": 99]
        input.set(path: ["spec", "paused"], to: true)
        let out = try update(input, old: old)
        XCTAssertEqual(out["status"], old["status"])
        XCTAssertEqual(out[path: ["spec", "paused"]], true)

        var noStatus = old
        noStatus["status"] = nil
        XCTAssertEqual(try update(noStatus, old: old)["status"], old["status"], "omitting status does not clear it")
    }

    func testFinalizersWhileDeleting() throws {
        var old = try create(#"{"metadata":{"name":"cm","finalizers":["example.com/a"]}}"#, as: "configmaps")
        old.set(path: ["metadata", "resourceVersion"], to: "3")

        // Not being deleted: finalizers may be added freely.
        var add = old
        add.set(path: ["metadata", "finalizers"], to: ["example.com/a", "example.com/b"])
        XCTAssertNoThrow(try update(add, old: old, "configmaps"))

        old.set(path: ["metadata", "deletionTimestamp"], to: .string(nowString))
        let e = expectAPIError(422) { try self.update(add, old: old, "configmaps") }
        XCTAssertEqual(e?.causes.map(\.reason), ["FieldValueForbidden"])
        XCTAssertEqual(fields(e), ["metadata.finalizers"])
        XCTAssertTrue(e?.message.contains(#"no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}"#) ?? false,
                      e?.message ?? "")

        var remove = old
        remove.set(path: ["metadata", "finalizers"], to: [])
        let out = try update(remove, old: old, "configmaps")
        XCTAssertEqual(out[path: ["metadata", "finalizers"]], [])
        XCTAssertEqual(out[path: ["metadata", "deletionTimestamp"]], .string(nowString), "deletionTimestamp stays")
        XCTAssertNoThrow(try update(old, old: old, "configmaps"), "keeping the same finalizers is fine")
        XCTAssertEqual(ObjectLifecycle.finalizers(old), ["example.com/a"])
    }

    func testUpdateIsValidated() throws {
        let old = try storedDeployment()
        var input = old
        input.set(path: ["spec", "template", "metadata", "labels"], to: ["app": "other"])
        let e = expectAPIError(422) { try self.update(input, old: old) }
        XCTAssertEqual(fields(e), ["spec.template.metadata.labels"])
        XCTAssertEqual(e?.name, "web")
    }
}

/// Server-side defaults (`Defaults.apply`), directly and through create.
final class DefaultsLifecycleTests: XCTestCase {
    func testDeploymentDefaults() throws {
        let d = try create(validDeployment, as: "deployments.apps")
        XCTAssertEqual(d[path: ["spec", "strategy"]], j(#"{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}}"#))
        XCTAssertEqual(d[path: ["spec", "replicas"]], 1)
        XCTAssertEqual(d[path: ["spec", "revisionHistoryLimit"]], 10)
        XCTAssertEqual(d[path: ["spec", "progressDeadlineSeconds"]], 600)
        XCTAssertEqual(d[path: ["spec", "template", "spec", "restartPolicy"]], "Always", "the pod template is defaulted")
        XCTAssertEqual(d[path: ["spec", "template", "spec", "containers"]]?.arrayValue?.first?["imagePullPolicy"], "IfNotPresent")

        let t = type("deployments.apps")
        let recreate = Defaults.apply(j(#"{"spec":{"strategy":{"type":"Recreate"},"replicas":0,"revisionHistoryLimit":2}}"#), type: t)
        XCTAssertEqual(recreate[path: ["spec", "strategy"]], ["type": "Recreate"])
        XCTAssertEqual(recreate[path: ["spec", "replicas"]], 0, "an explicit 0 is kept")
        XCTAssertEqual(recreate[path: ["spec", "revisionHistoryLimit"]], 2)
        let custom = Defaults.apply(j(#"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":0}}}}"#), type: t)
        XCTAssertEqual(custom[path: ["spec", "strategy", "rollingUpdate"]], ["maxSurge": 1, "maxUnavailable": 0])
        XCTAssertEqual(Defaults.apply(j(#"{"spec":{"replicas":null}}"#), type: t)[path: ["spec", "replicas"]], 1, "null counts as unset")
    }

    func testServiceDefaults() {
        let t = type("services")
        let svc = Defaults.apply(j(#"{"spec":{"ports":[{"port":80},{"name":"https","port":443,"targetPort":"web-tls","protocol":"UDP"},{"port":53,"targetPort":5353}]}}"#), type: t)
        XCTAssertEqual(svc[path: ["spec", "type"]], "ClusterIP")
        XCTAssertEqual(svc[path: ["spec", "sessionAffinity"]], "None")
        let ports = svc[path: ["spec", "ports"]]?.arrayValue ?? []
        XCTAssertEqual(ports.count, 3)
        XCTAssertEqual(ports.first?["targetPort"], 80, "targetPort defaults to port")
        XCTAssertEqual(ports.first?["protocol"], "TCP")
        XCTAssertEqual(ports.dropFirst().first?["targetPort"], "web-tls", "a named targetPort is kept")
        XCTAssertEqual(ports.dropFirst().first?["protocol"], "UDP")
        XCTAssertEqual(ports.last?["targetPort"], 5353)
        let nodePort = Defaults.apply(j(#"{"spec":{"type":"NodePort","ports":[{"port":80}]}}"#), type: t)
        XCTAssertEqual(nodePort[path: ["spec", "type"]], "NodePort")
    }

    func testPodDefaults() throws {
        let pod = try create(#"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"nginx","ports":[{"containerPort":80}]}],"initContainers":[{"name":"i","image":"busybox:1.36"}]}}"#,
                             as: "pods")
        let spec = try XCTUnwrap(pod["spec"])
        XCTAssertEqual(spec["restartPolicy"], "Always")
        XCTAssertEqual(spec["dnsPolicy"], "ClusterFirst")
        XCTAssertEqual(spec["terminationGracePeriodSeconds"], 30)
        XCTAssertEqual(spec["schedulerName"], "default-scheduler")
        XCTAssertEqual(spec["securityContext"], .object(JSONObject()))
        let c = try XCTUnwrap(spec["containers"]?.arrayValue?.first)
        XCTAssertEqual(c["imagePullPolicy"], "Always")
        XCTAssertEqual(c["terminationMessagePath"], "/dev/termination-log")
        XCTAssertEqual(c["terminationMessagePolicy"], "File")
        XCTAssertEqual(c["resources"], .object(JSONObject()))
        XCTAssertEqual(c["ports"], [["containerPort": 80, "protocol": "TCP"]])
        XCTAssertEqual(spec["initContainers"]?.arrayValue?.first?["imagePullPolicy"], "IfNotPresent", "init containers are defaulted too")

        let kept = Defaults.podSpec(j(#"{"restartPolicy":"Never","dnsPolicy":"Default","containers":[{"name":"a","image":"x","imagePullPolicy":"Never"}]}"#))
        XCTAssertEqual(kept["restartPolicy"], "Never")
        XCTAssertEqual(kept["dnsPolicy"], "Default")
        XCTAssertEqual(kept["containers"]?.arrayValue?.first?["imagePullPolicy"], "Never")
        XCTAssertEqual(Defaults.podSpec("not an object"), "not an object")
    }

    func testImagePullPolicy() {
        let cases: [(String, String)] = [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.25", "IfNotPresent"),
            ("library/nginx", "Always"),
            ("docker.io/library/nginx:1.25", "IfNotPresent"),
            ("registry.local:5000/team/app", "Always"),
            ("registry.local:5000/team/app:latest", "Always"),
            ("registry.local:5000/team/app:v2", "IfNotPresent"),
            ("nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "IfNotPresent"),
        ]
        for (image, want) in cases {
            let spec = Defaults.podSpec(["containers": [["name": "c", "image": .string(image)]]])
            XCTAssertEqual(spec["containers"]?.arrayValue?.first?["imagePullPolicy"], .string(want), image)
        }
        let noImage = Defaults.podSpec(["containers": [["name": "c"]]])
        XCTAssertNil(noImage["containers"]?.arrayValue?.first?["imagePullPolicy"])
    }

    func testOtherDefaultsAndIdempotence() {
        let ns = Defaults.apply(["metadata": ["name": "n"]], type: type("namespaces"))
        XCTAssertEqual(ns[path: ["spec", "finalizers"]], ["kubernetes"])
        XCTAssertEqual(ns[path: ["status", "phase"]], "Active")
        XCTAssertEqual(Defaults.apply(["metadata": ["name": "s"]], type: type("secrets"))["type"], "Opaque")
        XCTAssertEqual(Defaults.apply(["type": "kubernetes.io/tls"], type: type("secrets"))["type"], "kubernetes.io/tls")
        XCTAssertEqual(Defaults.apply(j(#"{"spec":{}}"#), type: type("replicasets.apps"))[path: ["spec", "replicas"]], 1)
        let cm: JSONValue = ["data": ["a": "b"]]
        XCTAssertEqual(Defaults.apply(cm, type: type("configmaps")), cm, "types without defaults are unchanged")

        for (key, body) in [("deployments.apps", validDeployment),
                            ("services", #"{"spec":{"ports":[{"port":80}]}}"#),
                            ("pods", #"{"spec":\#(validPodSpec)}"#),
                            ("namespaces", "{}")] {
            let once = Defaults.apply(j(body), type: type(key))
            XCTAssertEqual(Defaults.apply(once, type: type(key)).jsonString(), once.jsonString(), key)
        }
    }
}

/// Per-type validation (`TypeValidation`), directly and through create.
final class TypeValidationLifecycleTests: XCTestCase {
    private func causes(_ key: String, _ body: String) -> [FieldCause] {
        TypeValidation.validate(Defaults.apply(j(body), type: type(key)), type: type(key))
    }

    func testPods() {
        XCTAssertEqual(causes("pods", #"{"spec":\#(validPodSpec)}"#), [])
        XCTAssertEqual(causes("pods", #"{"spec":{}}"#), [.required("spec.containers")])
        XCTAssertEqual(causes("pods", #"{"spec":{"containers":[]}}"#), [.required("spec.containers")])
        XCTAssertEqual(causes("pods", #"{}"#), [.required("spec.containers")], "a pod without spec gets an empty defaulted one")
        XCTAssertEqual(causes("pods", #"{"spec":{"containers":[{"name":"a"}]}}"#), [.required("spec.containers[0].image")])
        XCTAssertEqual(causes("pods", #"{"spec":{"containers":[{"name":"a","image":""}]}}"#), [.required("spec.containers[0].image")])
        XCTAssertEqual(causes("pods", #"{"spec":{"containers":[{"image":"x"}]}}"#), [.required("spec.containers[0].name")])
        XCTAssertEqual(causes("pods", #"{"spec":{"containers":[{"name":"a","image":"x"}],"initContainers":[{"name":"a","image":"y"}]}}"#).map(\.field),
                       ["spec.initContainers[0].name"], "names are unique across init and app containers")
        XCTAssertEqual(causes("pods", #"{"spec":{"containers":[{"name":"Bad_Name","image":"x"}]}}"#).map(\.field), ["spec.containers[0].name"])
        XCTAssertEqual(causes("pods", #"{"spec":{"containers":[{"name":"a","image":"x","ports":[{"containerPort":0},{"containerPort":65536},{"containerPort":8080}]}]}}"#).map(\.field),
                       ["spec.containers[0].ports[0].containerPort", "spec.containers[0].ports[1].containerPort"])
        XCTAssertEqual(causes("pods", #"{"spec":{"restartPolicy":"Sometimes","containers":[{"name":"a","image":"x"}]}}"#),
                       [.notSupported("spec.restartPolicy", "Sometimes", ["Always", "OnFailure", "Never"])])

        // Through create: 422 Invalid naming the pod, worded like kube-apiserver.
        let e = expectAPIError(422) { try create(#"{"metadata":{"name":"nocontainers"},"spec":{}}"#, as: "pods") }
        XCTAssertEqual(e?.message, #"Pod "nocontainers" is invalid: spec.containers: Required value"#)
        let two = expectAPIError(422) { try create(#"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b"}]}}"#, as: "pods") }
        XCTAssertEqual(two?.message, #"Pod "p" is invalid: [spec.containers[0].image: Required value, spec.containers[1].image: Required value]"#)
    }

    func testServices() {
        XCTAssertEqual(causes("services", #"{"spec":{"ports":[{"port":80}]}}"#), [])
        XCTAssertEqual(causes("services", #"{"spec":{"ports":[{"port":0}]}}"#),
                       [.invalid("spec.ports[0].port", 0, "must be between 1 and 65535, inclusive")])
        XCTAssertEqual(causes("services", #"{"spec":{"ports":[{"port":65536}]}}"#).map(\.field), ["spec.ports[0].port"])
        XCTAssertEqual(causes("services", #"{"spec":{"ports":[{"port":-1}]}}"#).map(\.field), ["spec.ports[0].port"])
        XCTAssertEqual(causes("services", #"{"spec":{"ports":[{}]}}"#).map(\.field), ["spec.ports[0].port"])
        XCTAssertEqual(causes("services", #"{"spec":{"ports":[{"port":65535}]}}"#), [])
        XCTAssertEqual(causes("services", #"{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}}"#).map(\.field), ["spec.ports[0].nodePort"])
        XCTAssertEqual(causes("services", #"{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30080}]}}"#), [])
        XCTAssertEqual(causes("services", #"{"spec":{}}"#), [.required("spec.ports")])
        XCTAssertEqual(causes("services", #"{"spec":{"clusterIP":"None"}}"#), [], "headless services may have no ports")
        XCTAssertEqual(causes("services", #"{"spec":{"type":"ExternalName","externalName":"db.example.com"}}"#), [])
        XCTAssertEqual(causes("services", #"{"spec":{"ports":[{"port":80},{"name":"b","port":81}]}}"#), [.required("spec.ports[0].name")])
        XCTAssertEqual(causes("services", #"{"spec":{"type":"Magic","ports":[{"port":80}]}}"#).map(\.reason), ["FieldValueNotSupported"])

        let e = expectAPIError(422) { try create(#"{"metadata":{"name":"svc"},"spec":{"ports":[{"port":70000}]}}"#, as: "services") }
        XCTAssertEqual(e?.message, #"Service "svc" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"#)
    }

    func testDeployments() {
        XCTAssertEqual(causes("deployments.apps", validDeployment), [])
        let mismatch = #"{"spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"api"}},"spec":\#(validPodSpec)}}}"#
        let c = causes("deployments.apps", mismatch)
        XCTAssertEqual(c.map(\.field), ["spec.template.metadata.labels"])
        XCTAssertTrue(c.first?.message.contains("`selector` does not match template `labels`") ?? false, c.first?.message ?? "")
        let expr = #"{"spec":{"selector":{"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]},"template":{"metadata":{"labels":{"tier":"b"}},"spec":\#(validPodSpec)}}}"#
        XCTAssertEqual(causes("deployments.apps", expr), [])
        XCTAssertEqual(causes("deployments.apps", #"{"spec":{"template":{"spec":\#(validPodSpec)}}}"#), [.required("spec.selector")])
        XCTAssertEqual(causes("deployments.apps", #"{"spec":{"selector":{},"template":{"spec":\#(validPodSpec)}}}"#).map(\.field), ["spec.selector"])
        XCTAssertEqual(causes("deployments.apps", #"{"spec":{"replicas":-1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":\#(validPodSpec)}}}"#).map(\.field),
                       ["spec.replicas"])
        XCTAssertEqual(causes("deployments.apps", #"{"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c"}]}}}}"#),
                       [.required("spec.template.spec.containers[0].image")])
        XCTAssertEqual(causes("deployments.apps", #"{"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}}}}}"#),
                       [.required("spec.template.spec")])

        let e = expectAPIError(422) { try create(mismatch.replacingOccurrences(of: #"{"spec""#, with: #"{"metadata":{"name":"web"},"spec""#), as: "deployments.apps") }
        XCTAssertEqual(fields(e), ["spec.template.metadata.labels"])
        XCTAssertEqual(e?.status[path: ["details", "kind"]], "Deployment")
        XCTAssertEqual(e?.status[path: ["details", "group"]], "apps")
    }

    func testVirtualMachines() {
        let good = #"""
            {"spec":{"runStrategy":"Always","template":{"spec":{
              "domain":{"devices":{"disks":[{"name":"root","disk":{"bus":"virtio"}}]}},
              "volumes":[{"name":"root","containerDisk":{"image":"quay.io/containerdisks/debian:12"}}]}}}}
            """#
        XCTAssertEqual(causes("virtualmachines.kubevirt.io", good), [])
        XCTAssertEqual(causes("virtualmachines.kubevirt.io", #"{"spec":{"running":true,"template":{"spec":{}}}}"#), [], "running alone is allowed")

        let both = causes("virtualmachines.kubevirt.io", #"{"spec":{"running":true,"runStrategy":"Always","template":{"spec":{}}}}"#)
        XCTAssertEqual(both.map(\.field), ["spec.running"])
        XCTAssertTrue(both.first?.message.contains("mutually exclusive") ?? false)
        XCTAssertEqual(causes("virtualmachines.kubevirt.io", #"{"spec":{"running":false,"runStrategy":"Halted","template":{"spec":{}}}}"#).map(\.field),
                       ["spec.running"], "even running: false conflicts with runStrategy")

        XCTAssertEqual(causes("virtualmachines.kubevirt.io", #"{"spec":{"runStrategy":"Sometimes","template":{"spec":{}}}}"#).map(\.field), ["spec.runStrategy"])
        XCTAssertEqual(causes("virtualmachines.kubevirt.io", #"{"spec":{"runStrategy":"Halted"}}"#), [.required("spec.template")])

        let missingVolume = causes("virtualmachines.kubevirt.io", #"""
            {"spec":{"runStrategy":"Halted","template":{"spec":{
              "domain":{"devices":{"disks":[{"name":"root"},{"name":"data"}]}},
              "volumes":[{"name":"root","containerDisk":{"image":"x"}}]}}}}
            """#)
        XCTAssertEqual(missingVolume.map(\.field), ["spec.template.spec.domain.devices.disks[1].name"])
        XCTAssertTrue(missingVolume.first?.message.contains("disk data's volume name does not exist in volumes list") ?? false,
                      missingVolume.first?.message ?? "")

        let noImage = causes("virtualmachines.kubevirt.io", #"""
            {"spec":{"runStrategy":"Halted","template":{"spec":{
              "domain":{"devices":{"disks":[{"name":"root"}]}},
              "volumes":[{"name":"root","containerDisk":{}}]}}}}
            """#)
        XCTAssertEqual(noImage, [.required("spec.template.spec.volumes[0].containerDisk.image", "containerDisk requires an image")])

        // VMIs are checked at spec level.
        let vmi = causes("virtualmachineinstances.kubevirt.io", #"{"spec":{"domain":{"devices":{"disks":[{"name":"x"}]}},"volumes":[]}}"#)
        XCTAssertEqual(vmi.map(\.field), ["spec.domain.devices.disks[0].name"])

        let e = expectAPIError(422) {
            try create(#"{"metadata":{"name":"vm"},"spec":{"running":true,"runStrategy":"Always","template":{"spec":{}}}}"#, as: "virtualmachines.kubevirt.io")
        }
        XCTAssertEqual(fields(e), ["spec.running"])
        XCTAssertEqual(e?.status[path: ["details", "group"]], "kubevirt.io")
    }

    func testConfigMapKeys() {
        XCTAssertEqual(causes("configmaps", #"{"data":{"app.properties":"x","KEY_NAME":"y","key-name":"z"}}"#), [])
        XCTAssertEqual(causes("configmaps", #"{"data":{"bad/key":"x"}}"#).map(\.field), ["data"])
        XCTAssertEqual(causes("configmaps", #"{"data":{"":"x"}}"#).map(\.field), ["data"])
        XCTAssertEqual(causes("secrets", #"{"data":{"bad/key":"eA=="}}"#), [], "no validator for secrets")
    }
}

/// Kubernetes 1.32 details fixed after the first review.
final class LifecycleKubeParityTests: XCTestCase {
    let registry = ResourceRegistry.builtins()

    func testPullPolicyFollowsTagAndDigest() {
        func policy(_ image: String) -> String? {
            Defaults.podSpec(["containers": [["name": "c", "image": .string(image)]]])["containers"]?.arrayValue?.first?["imagePullPolicy"]?.stringValue
        }
        XCTAssertEqual(policy("nginx"), "Always")
        XCTAssertEqual(policy("nginx:latest"), "Always")
        XCTAssertEqual(policy("nginx:latest@sha256:abc"), "Always")
        XCTAssertEqual(policy("nginx@sha256:abc"), "IfNotPresent")
        XCTAssertEqual(policy("nginx:1.25"), "IfNotPresent")
        XCTAssertEqual(policy("localhost:5000/app"), "Always")
        XCTAssertEqual(policy("localhost:5000/app:v2"), "IfNotPresent")
    }

    func testPodsHaveNoGenerationIn132() throws {
        let type = registry.lookup(group: "", version: "v1", resource: "pods")!
        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
                              "spec": ["containers": [["name": "c", "image": "busybox"]]]]
        let created = try ObjectLifecycle.prepareCreate(pod, type: type, namespace: "default", now: Date(), uid: "u")
        XCTAssertNil(created[path: ["metadata", "generation"]])
    }

    func testDeploymentAnnotationChangeBumpsGeneration() throws {
        let type = registry.lookup(group: "apps", version: "v1", resource: "deployments")!
        let d: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "d"],
                            "spec": ["selector": ["matchLabels": ["a": "b"]],
                                     "template": ["metadata": ["labels": ["a": "b"]], "spec": ["containers": [["name": "c", "image": "busybox"]]]]]]
        var old = try ObjectLifecycle.prepareCreate(d, type: type, namespace: "default", now: Date(), uid: "u")
        old.set(path: ["metadata", "resourceVersion"], to: "5")
        var changed = old
        changed.set(path: ["metadata", "annotations"], to: ["note": "x"])
        let new = try ObjectLifecycle.prepareUpdate(changed, old: old, type: type, subresource: nil)
        XCTAssertEqual(new[path: ["metadata", "generation"]]?.intValue, 2)
        let same = try ObjectLifecycle.prepareUpdate(old, old: old, type: type, subresource: nil)
        XCTAssertEqual(same[path: ["metadata", "generation"]]?.intValue, 1)
    }
}
