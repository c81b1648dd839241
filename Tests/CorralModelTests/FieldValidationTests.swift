import XCTest
@testable import CorralModel

private func parse(_ s: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
    do { return try JSONParser.parse(s) } catch {
        XCTFail("bad test JSON: \(error)", file: file, line: line)
        return .null
    }
}

/// Unknown fields, type mismatches and pruning against the real schemas.
final class FieldValidationTests: XCTestCase {
    let catalog = SchemaCatalog.shared
    var pod: SchemaNode { catalog.schema(group: "", version: "v1", kind: "Pod")! }
    var deployment: SchemaNode { catalog.schema(group: "apps", version: "v1", kind: "Deployment")! }

    func testUnknownFieldsAreFoundWithTheirPathAndPruned() {
        let body = parse(#"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"any-key":"ok"},"bogus":1},
         "spec":{"containers":[{"name":"a","image":"x"},{"name":"b","image":"y","imagePullPolicyy":"Always",
                  "resources":{"limits":{"cpu":"1","memory":2}}}],
                 "nodeSelector":{"k":"v"},"fooBar":{"deep":true}}}
        """#)
        let scan = FieldValidator(catalog: catalog).scan(body, schema: pod)
        XCTAssertEqual(scan.unknown.map(\.decoderString), ["metadata.bogus", "spec.containers[1].imagePullPolicyy", "spec.fooBar"])
        XCTAssertEqual(scan.mismatches, [])
        XCTAssertNil(scan.pruned[path: ["spec", "fooBar"]])
        XCTAssertNil(scan.pruned[path: ["metadata", "bogus"]])
        XCTAssertEqual(scan.pruned[path: ["metadata", "labels", "any-key"]], "ok", "map members are not fields")
        XCTAssertEqual(scan.pruned[path: ["spec", "containers"]]?.arrayValue?[1]["imagePullPolicyy"], nil)
        XCTAssertEqual(scan.pruned[path: ["spec", "containers"]]?.arrayValue?[1]["image"], "y")
        // Structured-merge-diff paths name list-map elements by key.
        XCTAssertEqual(scan.unknown[1].structuredMergeString, #".spec.containers[name="b"].imagePullPolicyy"#)
    }

    func testAValidObjectIsUntouched() {
        let body = parse(#"""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","annotations":{"a":"b"}},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"x"}},"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":1}},
                 "template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"c","image":"i",
                   "ports":[{"containerPort":80}],"env":[{"name":"A","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],
                   "livenessProbe":{"httpGet":{"path":"/","port":"http"}}}]}}},
         "status":{"replicas":1,"conditions":[{"type":"Available","status":"True","lastUpdateTime":"2024-01-01T00:00:00Z"}]}}
        """#)
        let scan = FieldValidator(catalog: catalog).scan(body, schema: deployment)
        XCTAssertEqual(scan.unknown, [])
        XCTAssertEqual(scan.mismatches, [])
        XCTAssertEqual(scan.pruned, body)
    }

    func testTypeMismatchesNameTheGoField() throws {
        let body = parse(#"{"spec":{"replicas":"3","template":{"spec":{"containers":[{"name":"c","image":"i","ports":[{"containerPort":"80"}]}]}}}}"#)
        let scan = FieldValidator(catalog: catalog).scan(body, schema: deployment, definition: "io.k8s.api.apps.v1.Deployment")
        XCTAssertEqual(scan.mismatches.count, 2)
        let first = try XCTUnwrap(scan.mismatches.first)
        XCTAssertEqual(StrictDecoding.typeErrorDetail(first),
                       "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32")
        XCTAssertEqual(StrictDecoding.typeErrorDetail(scan.mismatches[1]),
                       "json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32")
        // Wrong container shape: an array expected.
        let bad = parse(#"{"spec":{"containers":{"name":"c"}}}"#)
        let m = try XCTUnwrap(FieldValidator(catalog: catalog).scan(bad, schema: pod).mismatches.first)
        XCTAssertEqual(m.goType, "[]v1.Container")
        XCTAssertEqual(m.found, "object")
        XCTAssertEqual(StrictDecoding.typeCause(m).message, #"Invalid value: "object": spec.containers in body must be of type array: "object""#)
    }

    func testIntOrStringQuantityAndNullAreAccepted() {
        let body = parse(#"""
        {"spec":{"containers":[{"name":"c","image":"i","resources":{"requests":{"cpu":0.5,"memory":"1Gi"}},
          "readinessProbe":{"tcpSocket":{"port":8080}},"livenessProbe":{"tcpSocket":{"port":"web"}},"args":null}]}}
        """#)
        let scan = FieldValidator(catalog: catalog).scan(body, schema: pod)
        XCTAssertEqual(scan.mismatches, [])
        XCTAssertEqual(scan.unknown, [])
    }

    func testStrategicDirectivesAreNotFields() {
        let patch = parse(#"{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"name":"c","$patch":"delete"}],"bogus":1}}"#)
        let asStrategic = FieldValidator(catalog: catalog, strategicPatch: true).scan(patch, schema: pod)
        XCTAssertEqual(asStrategic.unknown.map(\.decoderString), ["spec.bogus"])
        XCTAssertNotNil(asStrategic.pruned[path: ["spec", "$setElementOrder/containers"]])
        let asMerge = FieldValidator(catalog: catalog).scan(patch, schema: pod)
        XCTAssertEqual(asMerge.unknown.map(\.decoderString),
                       ["spec.$setElementOrder/containers", "spec.containers[0].$patch", "spec.bogus"])
    }

    func testJSONPatchTargetsAndValues() {
        let ops = parse(#"""
        [{"op":"add","path":"/spec/fooBar","value":1},
         {"op":"add","path":"/spec/containers/0","value":{"name":"x","image":"i","imagee":"j"}},
         {"op":"replace","path":"/metadata/labels/new","value":"v"},
         {"op":"remove","path":"/spec/whatever"},
         {"op":"replace","path":"/spec/containers/0/image","value":3}]
        """#)
        let scan = FieldValidator(catalog: catalog).scanJSONPatch(ops, schema: pod)
        XCTAssertEqual(scan.unknown.map(\.decoderString), ["spec.fooBar", "spec.containers[0].imagee"])
        XCTAssertEqual(scan.mismatches.map(\.path.decoderString), ["spec.containers[0].image"])
        let kept = scan.pruned.arrayValue ?? []
        XCTAssertEqual(kept.count, 4, "the op that only adds an unknown field is dropped")
        XCTAssertNil(kept[0][path: ["value", "imagee"]])
        XCTAssertEqual(kept[0][path: ["value", "image"]], "i")
    }

    func testOpenPartsKeepAnything() {
        let table = """
        D\tt.T\t{"t":"object","p":{"spec":{"$":"t.S"},"raw":{"t":"object"},"free":{"t":"object","x":{"preserve-unknown-fields":true},"p":{"a":{"t":"string"}}},"any":{"t":"object","a":true}}}
        D\tt.S\t{"t":"object","p":{"n":{"t":"integer"}}}
        """
        let c = SchemaCatalog(source: table)
        let body = parse(#"{"spec":{"n":1.0,"m":2},"raw":{"x":{"y":1}},"free":{"a":"s","b":[1]},"any":{"k":{"z":1}},"top":true}"#)
        let scan = FieldValidator(catalog: c).scan(body, schema: c.definition("t.T")!)
        XCTAssertEqual(scan.unknown.map(\.decoderString), ["spec.m", "top"])
        XCTAssertEqual(scan.mismatches, [], "an integral float is an integer")
        XCTAssertEqual(scan.pruned[path: ["free", "b"]], [1])
    }

    func testDirectiveAndMessages() {
        XCTAssertEqual(FieldValidationDirective.parse(nil), .warn)
        XCTAssertEqual(FieldValidationDirective.parse(""), .warn)
        XCTAssertEqual(FieldValidationDirective.parse("Strict"), .strict)
        XCTAssertNil(FieldValidationDirective.parse("strict"), "kube's values are case-sensitive")
        let errors = StrictDecoding.errors(unknown: [FieldPath([.member("spec"), .member("x")])], duplicates: ["metadata.name"])
        XCTAssertEqual(StrictDecoding.message(errors), #"strict decoding error: duplicate field "metadata.name", unknown field "spec.x""#)
        XCTAssertEqual(StrictDecoding.cannotBeHandled(kind: "Pod", version: "v1", detail: "d"), #"Pod in version "v1" cannot be handled as a Pod: d"#)
        XCTAssertEqual(StrictDecoding.goValueString(parse(#"{"b":[1,"x"],"a":{"c":null,"d":true}}"#)), "map[a:map[c:<nil> d:true] b:[1 x]]")
        let path = FieldPath([.member("spec"), .element(0, keys: [("containerPort", 80), ("protocol", "TCP")]), .member("x")])
        XCTAssertEqual(StrictDecoding.notDeclared([path], namespace: "ns", name: "n", group: "apps", version: "v1", kind: "Deployment"),
                       #"failed to create typed patch object (ns/n; apps/v1, Kind=Deployment): .spec[containerPort=80,protocol="TCP"].x: field not declared in schema"#)
    }

    func testSingleNodeWarnings() {
        let d = parse(#"{"spec":{"template":{"spec":{"topologySpreadConstraints":[{"maxSkew":1}],"affinity":{"podAntiAffinity":{"x":1},"nodeAffinity":{"y":1}},"priorityClassName":"high"}}}}"#)
        XCTAssertEqual(SingleNodeWarnings.warnings(for: d, storageKey: "deployments.apps"), [
            "spec.template.spec.topologySpreadConstraints: ignored: corral runs on a single node",
            "spec.template.spec.affinity.podAntiAffinity: ignored: corral runs on a single node",
            "spec.template.spec.priorityClassName: ignored: corral runs on a single node and does not preempt pods",
        ])
        XCTAssertEqual(SingleNodeWarnings.warnings(for: parse(#"{"spec":{"affinity":{"podAffinity":{"a":1}}}}"#), storageKey: "virtualmachineinstances.kubevirt.io"),
                       ["spec.affinity.podAffinity: ignored: corral runs on a single node"])
        XCTAssertEqual(SingleNodeWarnings.warnings(for: parse(#"{"spec":{"topologySpreadConstraints":[]}}"#), storageKey: "pods"), [])
        XCTAssertEqual(SingleNodeWarnings.warnings(for: d, storageKey: "configmaps"), [])
    }
}
