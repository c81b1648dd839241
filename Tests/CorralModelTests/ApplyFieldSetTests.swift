import XCTest
@testable import CorralModel

private func j(_ s: String) -> JSONValue { try! JSONParser.parse(s) }

private let deploymentSchema = ApplySchema.forKind(storageKey: "deployments.apps", group: "apps", version: "v1", kind: "Deployment")

final class ApplyFieldSetTests: XCTestCase {
    func testPathElementSerializationRoundTrips() {
        let cases: [(PathElement, String, String)] = [
            (.field("replicas"), "f:replicas", ".replicas"),
            (.key([("name", "c1")]), #"k:{"name":"c1"}"#, #"[name="c1"]"#),
            (.key([("protocol", "TCP"), ("containerPort", 80)]), #"k:{"containerPort":80,"protocol":"TCP"}"#,
             #"[containerPort=80,protocol="TCP"]"#),
            (.value("x"), #"v:"x""#, #"[="x"]"#),
            (.index(3), "i:3", "[3]"),
        ]
        for (pe, wire, shown) in cases {
            XCTAssertEqual(pe.serialized, wire)
            XCTAssertEqual(pe.description, shown)
            XCTAssertEqual(PathElement.parse(wire), pe, wire)
        }
        XCTAssertNil(PathElement.parse("x:foo"))
        XCTAssertEqual([.field("spec"), .field("containers"), .key([("name", "c")]), .field("image")].pathString,
                       #".spec.containers[name="c"].image"#)
    }

    func testSetOperations() {
        let a = FieldSet([[.field("a")], [.field("b"), .field("c")], [.field("b"), .field("d")]])
        let b = FieldSet([[.field("b"), .field("c")], [.field("e")]])
        XCTAssertEqual(a.union(b).count, 4)
        XCTAssertEqual(a.intersection(b), FieldSet([[.field("b"), .field("c")]]))
        XCTAssertEqual(a.difference(b), FieldSet([[.field("a")], [.field("b"), .field("d")]]))
        XCTAssertTrue(a.containsPrefix([.field("b")]))
        XCTAssertFalse(a.contains([.field("b")]))
        XCTAssertTrue(a.difference(a).isEmpty)
        XCTAssertEqual(a.removingSubtree([.field("b")]), FieldSet([[.field("a")]]))
    }

    func testFieldsV1EncodesDotForMembersWithChildrenAndDecodesBack() throws {
        let set = FieldSet([[.field("spec"), .field("c"), .key([("name", "x")])],
                            [.field("spec"), .field("c"), .key([("name", "x")]), .field("image")],
                            [.field("metadata"), .field("labels"), .field("app")]])
        let wire = FieldsV1.encode(set)
        XCTAssertEqual(wire.jsonString(),
                       #"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:c":{"k:{\"name\":\"x\"}":{".":{},"f:image":{}}}}}"#)
        XCTAssertEqual(try FieldsV1.decode(wire), set)
        XCTAssertThrowsError(try FieldsV1.decode(j(#"{"f:a":1}"#)))
    }

    func testFieldSetOfDeploymentUsesSchemaListTypes() throws {
        let d = j("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w","labels":{"app":"w"}},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"w"}},
          "template":{"metadata":{"labels":{"app":"w"}},"spec":{
            "containers":[{"name":"c1","image":"i","ports":[{"containerPort":80}],"args":["a","b"],
                           "resources":{}}],
            "tolerations":[{"key":"k"}]}}}}
        """)
        let set = try FieldWalk.fieldSet(of: d, schema: deploymentSchema)
        let c: [PathElement] = [.field("spec"), .field("template"), .field("spec"), .field("containers"), .key([("name", "c1")])]
        XCTAssertTrue(set.contains(c), "list-map item is a member")
        XCTAssertTrue(set.contains(c + [.field("image")]))
        XCTAssertTrue(set.contains(c + [.field("ports"), .key([("containerPort", 80), ("protocol", "TCP")])]),
                      "missing key field takes its default")
        XCTAssertTrue(set.contains(c + [.field("args")]), "atomic list owned whole")
        XCTAssertTrue(set.contains(c + [.field("resources")]), "empty map is a member")
        XCTAssertTrue(set.contains([.field("spec"), .field("selector")]), "map-type atomic owned whole")
        XCTAssertFalse(set.contains([.field("spec"), .field("selector"), .field("matchLabels")]))
        XCTAssertTrue(set.contains([.field("metadata"), .field("labels"), .field("app")]))
        XCTAssertFalse(set.contains([.field("metadata"), .field("labels")]), "struct fields with content are not members")
        XCTAssertTrue(set.contains([.field("spec"), .field("template"), .field("spec"), .field("tolerations")]))
    }

    func testSetListItemsAreValues() throws {
        let s = ApplySchema.forKind(storageKey: "pods", group: "", version: "v1", kind: "Pod")
        let pod = j(#"{"metadata":{"finalizers":["a","b"]}}"#)
        let set = try FieldWalk.fieldSet(of: pod, schema: s)
        XCTAssertTrue(set.contains([.field("metadata"), .field("finalizers"), .value("a")]))
        XCTAssertTrue(set.contains([.field("metadata"), .field("finalizers"), .value("b")]))
    }

    func testMissingKeyWithoutDefaultFails() {
        let d = j(#"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#)
        XCTAssertThrowsError(try FieldWalk.fieldSet(of: d, schema: deploymentSchema)) { e in
            XCTAssertTrue("\(e)".contains(#"omits key field "name""#), "\(e)")
        }
    }

    func testCompareReportsAddedModifiedRemoved() throws {
        let a = j(#"{"spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"c","image":"x","env":[{"name":"A","value":"1"}]}]}}}}"#)
        let b = j(#"{"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c","image":"x","env":[{"name":"B","value":"2"}]}]}}}}"#)
        let c = try FieldWalk.compare(a, b, schema: deploymentSchema)
        let env: [PathElement] = [.field("spec"), .field("template"), .field("spec"), .field("containers"), .key([("name", "c")]), .field("env")]
        XCTAssertEqual(c.modified, FieldSet([[.field("spec"), .field("replicas")]]))
        XCTAssertTrue(c.added.contains(env + [.key([("name", "B")])]))
        XCTAssertTrue(c.added.contains(env + [.key([("name", "B")]), .field("value")]))
        XCTAssertTrue(c.removed.contains(env + [.key([("name", "A")])]))
        XCTAssertTrue(try FieldWalk.compare(a, a, schema: deploymentSchema).isSame)
        // 1 and 1.0 are the same JSON number.
        XCTAssertTrue(try FieldWalk.compare(j(#"{"spec":{"replicas":1}}"#), j(#"{"spec":{"replicas":1.0}}"#), schema: deploymentSchema).isSame)
    }
}
