import XCTest
@testable import CorralModel

private func j(_ s: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
    do { return try JSONParser.parse(s) } catch {
        XCTFail("bad test JSON: \(error)\n\(s)", file: file, line: line)
        return .null
    }
}

private func assertJSON(_ got: JSONValue, _ want: String, _ label: String = "", file: StaticString = #filePath, line: UInt = #line) {
    let w = j(want, file: file, line: line)
    XCTAssertTrue(JSONEquality.equal(got, w), "\(label)\n got: \(got.jsonString())\nwant: \(w.jsonString())", file: file, line: line)
}

final class JSONPatchTests: XCTestCase {
    func testOperations() throws {
        let doc = #"{"metadata":{"name":"a","labels":{"x":"1","a/b":"s","t~n":"t"}},"spec":{"list":[1,2,3]}}"#
        let cases: [(String, String, String)] = [
            ("add member", #"[{"op":"add","path":"/metadata/labels/y","value":"2"}]"#,
             #"{"metadata":{"name":"a","labels":{"x":"1","a/b":"s","t~n":"t","y":"2"}},"spec":{"list":[1,2,3]}}"#),
            ("add replaces existing member", #"[{"op":"add","path":"/metadata/name","value":"b"}]"#,
             #"{"metadata":{"name":"b","labels":{"x":"1","a/b":"s","t~n":"t"}},"spec":{"list":[1,2,3]}}"#),
            ("add inserts at index", #"[{"op":"add","path":"/spec/list/1","value":9}]"#,
             #"{"metadata":{"name":"a","labels":{"x":"1","a/b":"s","t~n":"t"}},"spec":{"list":[1,9,2,3]}}"#),
            ("add appends with -", #"[{"op":"add","path":"/spec/list/-","value":4}]"#,
             #"{"metadata":{"name":"a","labels":{"x":"1","a/b":"s","t~n":"t"}},"spec":{"list":[1,2,3,4]}}"#),
            ("add at end index", #"[{"op":"add","path":"/spec/list/3","value":4}]"#,
             #"{"metadata":{"name":"a","labels":{"x":"1","a/b":"s","t~n":"t"}},"spec":{"list":[1,2,3,4]}}"#),
            ("remove with ~1 escape", #"[{"op":"remove","path":"/metadata/labels/a~1b"}]"#,
             #"{"metadata":{"name":"a","labels":{"x":"1","t~n":"t"}},"spec":{"list":[1,2,3]}}"#),
            ("remove with ~0 escape", #"[{"op":"remove","path":"/metadata/labels/t~0n"}]"#,
             #"{"metadata":{"name":"a","labels":{"x":"1","a/b":"s"}},"spec":{"list":[1,2,3]}}"#),
            ("remove array element", #"[{"op":"remove","path":"/spec/list/0"}]"#,
             #"{"metadata":{"name":"a","labels":{"x":"1","a/b":"s","t~n":"t"}},"spec":{"list":[2,3]}}"#),
            ("replace", #"[{"op":"replace","path":"/spec/list/2","value":"z"}]"#,
             #"{"metadata":{"name":"a","labels":{"x":"1","a/b":"s","t~n":"t"}},"spec":{"list":[1,2,"z"]}}"#),
            ("move", #"[{"op":"move","from":"/metadata/labels/x","path":"/spec/x"}]"#,
             #"{"metadata":{"name":"a","labels":{"a/b":"s","t~n":"t"}},"spec":{"list":[1,2,3],"x":"1"}}"#),
            ("move within array", #"[{"op":"move","from":"/spec/list/0","path":"/spec/list/-"}]"#,
             #"{"metadata":{"name":"a","labels":{"x":"1","a/b":"s","t~n":"t"}},"spec":{"list":[2,3,1]}}"#),
            ("copy", #"[{"op":"copy","from":"/spec/list","path":"/spec/copy"}]"#,
             #"{"metadata":{"name":"a","labels":{"x":"1","a/b":"s","t~n":"t"}},"spec":{"list":[1,2,3],"copy":[1,2,3]}}"#),
            ("test then replace", #"[{"op":"test","path":"/metadata/name","value":"a"},{"op":"replace","path":"/metadata/name","value":"c"}]"#,
             #"{"metadata":{"name":"c","labels":{"x":"1","a/b":"s","t~n":"t"}},"spec":{"list":[1,2,3]}}"#),
            ("test object and number equality", #"[{"op":"test","path":"/spec","value":{"list":[1,2,3.0]}}]"#, doc),
            ("test missing against null", #"[{"op":"test","path":"/spec/nope","value":null}]"#, doc),
            ("replace root", #"[{"op":"replace","path":"","value":{"a":1}}]"#, #"{"a":1}"#),
            ("empty patch", "[]", doc),
        ]
        for (name, patch, want) in cases {
            assertJSON(try Patch.applyJSONPatch(j(patch), to: j(doc)), want, name)
        }
    }

    func testFailuresAre422WithKubeWording() {
        let doc = j(#"{"metadata":{"name":"a"},"spec":{"list":[1]}}"#)
        let cases: [(String, String, String)] = [
            ("failed test", #"[{"op":"test","path":"/metadata/name","value":"b"}]"#, "testing value /metadata/name failed: test failed"),
            ("remove missing", #"[{"op":"remove","path":"/metadata/labels"}]"#, "Unable to remove nonexistent key: labels: missing value"),
            ("add under missing parent", #"[{"op":"add","path":"/x/y","value":1}]"#, "add operation does not apply: doc is missing path: \"/x/y\": missing value"),
            ("replace missing", #"[{"op":"replace","path":"/metadata/uid","value":"u"}]"#, "replace operation does not apply: doc is missing key: /metadata/uid: missing value"),
            ("index out of range", #"[{"op":"add","path":"/spec/list/5","value":1}]"#, "Unable to access invalid index: 5: invalid index referenced"),
            ("move from missing", #"[{"op":"move","from":"/nope","path":"/x"}]"#, "move operation does not apply: doc is missing from path: /nope: missing value"),
            ("copy from missing", #"[{"op":"copy","from":"/nope","path":"/x"}]"#, "copy operation does not apply: doc is missing from path: /nope: missing value"),
            ("unknown op", #"[{"op":"frob","path":"/x"}]"#, "Unexpected kind: frob"),
            ("missing path", #"[{"op":"add","value":1}]"#, "operation missing path field: missing value"),
            ("move into own child", #"[{"op":"move","from":"/spec","path":"/spec/child"}]"#, "move operation does not apply: from /spec is a prefix of path /spec/child"),
        ]
        for (name, patch, detail) in cases {
            XCTAssertThrowsError(try JSONPatchEngine.apply(j(patch), to: doc), name) { e in
                XCTAssertEqual((e as? PatchFailure)?.message, detail, name)
                XCTAssertEqual((e as? PatchFailure)?.code, 422, name)
            }
            XCTAssertThrowsError(try Patch.applyJSONPatch(j(patch), to: doc), name) { e in
                let api = e as? APIError
                XCTAssertEqual(api?.code, 422, name)
                XCTAssertEqual(api?.reason, "Invalid", name)
                XCTAssertEqual(api?.message, "the server rejected our request due to an error in our request", name)
            }
        }
    }

    func testMalformedPatchIs400AndTooManyOpsIs413() {
        XCTAssertThrowsError(try Patch.applyJSONPatch(j(#"{"op":"add"}"#), to: j("{}"))) { e in
            XCTAssertEqual((e as? APIError)?.code, 400)
            XCTAssertEqual((e as? APIError)?.message, "json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        }
        XCTAssertThrowsError(try Patch.applyJSONPatch(j(#"["add"]"#), to: j("{}"))) { e in
            XCTAssertEqual((e as? APIError)?.message, "json: cannot unmarshal string into Go value of type jsonpatch.Operation")
        }
        let many = JSONValue.array(Array(repeating: j(#"{"op":"test","path":"/a","value":null}"#), count: 10_001))
        XCTAssertThrowsError(try Patch.applyJSONPatch(many, to: j("{}"))) { e in
            XCTAssertEqual((e as? APIError)?.code, 413)
            XCTAssertEqual((e as? APIError)?.message, "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001")
        }
    }

    func testPatchIsAtomic() throws {
        let doc = j(#"{"a":1}"#)
        XCTAssertThrowsError(try Patch.applyJSONPatch(j(#"[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":2}]"#), to: doc))
        XCTAssertEqual(doc, j(#"{"a":1}"#))
    }

    func testPointerParsing() throws {
        XCTAssertEqual(try JSONPointer("").tokens, [])
        XCTAssertEqual(try JSONPointer("/a~1b/c~0d/~01").tokens, ["a/b", "c~d", "~1"])
        XCTAssertEqual(try JSONPointer("/").tokens, [""])
        XCTAssertEqual(JSONPointer(tokens: ["a/b", "~"]).text, "/a~1b/~0")
        XCTAssertThrowsError(try JSONPointer("a"))
    }
}

final class MergePatchTests: XCTestCase {
    func testRFC7386() {
        let cases: [(String, String, String, String)] = [
            ("null removes", #"{"a":"b","c":"d"}"#, #"{"a":null}"#, #"{"c":"d"}"#),
            ("replace scalar", #"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            ("add member", #"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
            ("nested merge", #"{"a":{"b":"c","d":"e"}}"#, #"{"a":{"d":null,"f":"g"}}"#, #"{"a":{"b":"c","f":"g"}}"#),
            ("arrays replace", #"{"a":[{"b":"c"},{"d":"e"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
            ("object over scalar", #"{"a":"foo"}"#, #"{"a":{"b":"c","n":null}}"#, #"{"a":{"b":"c"}}"#),
            ("nulls in new subtree dropped", #"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
            ("null unmatched", #"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
            ("non-object patch replaces", #"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
            ("labels merge", #"{"metadata":{"labels":{"a":"1","b":"2"}}}"#, #"{"metadata":{"labels":{"a":null,"c":"3"}}}"#,
             #"{"metadata":{"labels":{"b":"2","c":"3"}}}"#),
        ]
        for (name, doc, patch, want) in cases {
            assertJSON(Patch.applyMergePatch(j(patch), to: j(doc)), want, name)
        }
    }

    func testKeepsKeyOrder() {
        let got = Patch.applyMergePatch(j(#"{"b":2,"z":1}"#), to: j(#"{"z":0,"a":1}"#))
        XCTAssertEqual(got.jsonString(), #"{"z":1,"a":1,"b":2}"#)
    }

    func testCreateMergePatchRoundTrips() {
        let o = j(#"{"a":1,"b":{"c":[1,2],"d":"x"},"e":"gone"}"#)
        let m = j(#"{"a":1,"b":{"c":[2],"d":"x","f":true}}"#)
        let p = Patch.createMergePatch(original: o, modified: m)
        assertJSON(p, #"{"b":{"c":[2],"f":true},"e":null}"#)
        assertJSON(Patch.applyMergePatch(p, to: o), m.jsonString())
    }
}

final class StrategicMergePatchTests: XCTestCase {
    private func smp(_ doc: String, _ patch: String, _ key: String = "pods", file: StaticString = #filePath, line: UInt = #line) throws -> JSONValue {
        try Patch.applyStrategicMergePatch(j(patch, file: file, line: line), to: j(doc, file: file, line: line), storageKey: key)
    }

    /// (name, storage key, live object, patch, expected). Order of list elements is checked.
    typealias Case = (String, String, String, String, String)

    private func run(_ cases: [Case], file: StaticString = #filePath, line: UInt = #line) {
        for (name, key, doc, patch, want) in cases {
            do {
                assertJSON(try smp(doc, patch, key), want, name, file: file, line: line)
            } catch {
                XCTFail("\(name): \(error)", file: file, line: line)
            }
        }
    }

    let twoContainers = #"{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}}"#

    func testPodContainerLists() {
        run([
            ("image by name keeps the other container", "pods", twoContainers,
             #"{"spec":{"containers":[{"name":"b","image":"b:2"}]}}"#,
             #"{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:2"}]}}"#),
            ("new container goes first, as kube does", "pods", twoContainers,
             #"{"spec":{"containers":[{"name":"c","image":"c:1"}]}}"#,
             #"{"spec":{"containers":[{"name":"c","image":"c:1"},{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}}"#),
            ("$patch: delete element", "pods", twoContainers,
             #"{"spec":{"containers":[{"name":"a","$patch":"delete"}]}}"#,
             #"{"spec":{"containers":[{"name":"b","image":"b:1"}]}}"#),
            ("$patch: replace list", "pods", twoContainers,
             #"{"spec":{"containers":[{"$patch":"replace"},{"name":"z","image":"z:1"}]}}"#,
             #"{"spec":{"containers":[{"name":"z","image":"z:1"}]}}"#),
            ("$setElementOrder reorders", "pods", twoContainers,
             #"{"spec":{"$setElementOrder/containers":[{"name":"b"},{"name":"a"}]}}"#,
             #"{"spec":{"containers":[{"name":"b","image":"b:1"},{"name":"a","image":"a:1"}]}}"#),
            ("$setElementOrder places an added container", "pods", twoContainers,
             #"{"spec":{"$setElementOrder/containers":[{"name":"a"},{"name":"b"},{"name":"c"}],"containers":[{"name":"c","image":"c:1"}]}}"#,
             #"{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"},{"name":"c","image":"c:1"}]}}"#),
            ("initContainers by name", "pods", #"{"spec":{"initContainers":[{"name":"i","image":"i:1"},{"name":"j","image":"j:1"}]}}"#,
             #"{"spec":{"initContainers":[{"name":"i","image":"i:2"}]}}"#,
             #"{"spec":{"initContainers":[{"name":"i","image":"i:2"},{"name":"j","image":"j:1"}]}}"#),
            ("ephemeralContainers by name", "pods", #"{"spec":{"ephemeralContainers":[{"name":"d","image":"busybox"}]}}"#,
             #"{"spec":{"ephemeralContainers":[{"name":"e","image":"busybox"}]}}"#,
             #"{"spec":{"ephemeralContainers":[{"name":"e","image":"busybox"},{"name":"d","image":"busybox"}]}}"#),
        ])
    }

    let envPod = #"{"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],"volumeMounts":[{"name":"v","mountPath":"/v"},{"name":"w","mountPath":"/w"}],"envFrom":[{"configMapRef":{"name":"a"}},{"secretRef":{"name":"b"}}]}]}}"#

    func testContainerFieldLists() {
        run([
            ("remove env var by $patch: delete", "pods", envPod,
             #"{"spec":{"containers":[{"name":"a","env":[{"name":"X","$patch":"delete"}]}]}}"#,
             #"{"spec":{"containers":[{"name":"a","env":[{"name":"Y","value":"2"}],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],"volumeMounts":[{"name":"v","mountPath":"/v"},{"name":"w","mountPath":"/w"}],"envFrom":[{"configMapRef":{"name":"a"}},{"secretRef":{"name":"b"}}]}]}}"#),
            ("change env var by name, drop its value", "pods", envPod,
             #"{"spec":{"containers":[{"name":"a","env":[{"name":"Y","value":null,"valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]}]}}"#,
             #"{"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],"volumeMounts":[{"name":"v","mountPath":"/v"},{"name":"w","mountPath":"/w"}],"envFrom":[{"configMapRef":{"name":"a"}},{"secretRef":{"name":"b"}}]}]}}"#),
            ("ports by containerPort", "pods", envPod,
             #"{"spec":{"containers":[{"name":"a","ports":[{"containerPort":443,"name":"https"}]}]}}"#,
             #"{"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443,"name":"https"}],"volumeMounts":[{"name":"v","mountPath":"/v"},{"name":"w","mountPath":"/w"}],"envFrom":[{"configMapRef":{"name":"a"}},{"secretRef":{"name":"b"}}]}]}}"#),
            ("volumeMounts by mountPath", "pods", envPod,
             #"{"spec":{"containers":[{"name":"a","volumeMounts":[{"mountPath":"/w","readOnly":true},{"mountPath":"/v","$patch":"delete"}]}]}}"#,
             #"{"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],"volumeMounts":[{"name":"w","mountPath":"/w","readOnly":true}],"envFrom":[{"configMapRef":{"name":"a"}},{"secretRef":{"name":"b"}}]}]}}"#),
            ("envFrom is atomic", "pods", envPod,
             #"{"spec":{"containers":[{"name":"a","envFrom":[{"secretRef":{"name":"c"}}]}]}}"#,
             #"{"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"},{"name":"Y","value":"2"}],"ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],"volumeMounts":[{"name":"v","mountPath":"/v"},{"name":"w","mountPath":"/w"}],"envFrom":[{"secretRef":{"name":"c"}}]}]}}"#),
            ("env added where none was: directives consumed", "pods", twoContainers,
             #"{"spec":{"containers":[{"name":"b","env":[{"name":"Q","value":"1","unset":null},{"name":"R","$patch":"delete"}]}]}}"#,
             #"{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1","env":[{"name":"Q","value":"1"}]}]}}"#),
        ])
    }

    func testPodSpecLists() {
        run([
            ("volumes by name with $retainKeys", "pods",
             #"{"spec":{"volumes":[{"name":"v","emptyDir":{}},{"name":"w","secret":{"secretName":"s"}}]}}"#,
             #"{"spec":{"volumes":[{"$retainKeys":["hostPath","name"],"name":"v","hostPath":{"path":"/tmp"}}]}}"#,
             #"{"spec":{"volumes":[{"name":"v","hostPath":{"path":"/tmp"}},{"name":"w","secret":{"secretName":"s"}}]}}"#),
            ("imagePullSecrets by name", "pods", #"{"spec":{"imagePullSecrets":[{"name":"a"}]}}"#,
             #"{"spec":{"imagePullSecrets":[{"name":"b"}]}}"#, #"{"spec":{"imagePullSecrets":[{"name":"b"},{"name":"a"}]}}"#),
            ("tolerations are atomic", "pods", #"{"spec":{"tolerations":[{"key":"a","operator":"Exists"}]}}"#,
             #"{"spec":{"tolerations":[{"key":"b","operator":"Exists"}]}}"#, #"{"spec":{"tolerations":[{"key":"b","operator":"Exists"}]}}"#),
            ("hostAliases by ip", "pods", #"{"spec":{"hostAliases":[{"ip":"10.0.0.1","hostnames":["a"]},{"ip":"10.0.0.2","hostnames":["b"]}]}}"#,
             #"{"spec":{"hostAliases":[{"ip":"10.0.0.2","hostnames":["c"]}]}}"#,
             #"{"spec":{"hostAliases":[{"ip":"10.0.0.1","hostnames":["a"]},{"ip":"10.0.0.2","hostnames":["c"]}]}}"#),
            ("pod status conditions by type", "pods",
             #"{"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"}]}}"#,
             #"{"status":{"conditions":[{"type":"Ready","status":"True"}]}}"#,
             #"{"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"PodScheduled","status":"True"}]}}"#),
        ])
    }

    func testMetadataLists() {
        run([
            ("finalizers merge as a set", "pods", #"{"metadata":{"finalizers":["a","b"]}}"#,
             #"{"metadata":{"finalizers":["b","c"]}}"#, #"{"metadata":{"finalizers":["a","b","c"]}}"#),
            ("$deleteFromPrimitiveList", "pods", #"{"metadata":{"finalizers":["a","b","c"]}}"#,
             #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}}"#, #"{"metadata":{"finalizers":["a","c"]}}"#),
            ("$deleteFromPrimitiveList with $setElementOrder", "pods", #"{"metadata":{"finalizers":["a","b","c"]}}"#,
             #"{"metadata":{"$setElementOrder/finalizers":["c","a"],"$deleteFromPrimitiveList/finalizers":["b"]}}"#,
             #"{"metadata":{"finalizers":["c","a"]}}"#),
            ("$deleteFromPrimitiveList of a missing list does nothing", "pods", #"{"metadata":{"name":"p"}}"#,
             #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"]}}"#, #"{"metadata":{"name":"p"}}"#),
            ("ownerReferences by uid", "deployments.apps",
             #"{"metadata":{"ownerReferences":[{"uid":"1","name":"a"},{"uid":"2","name":"b"}]}}"#,
             #"{"metadata":{"ownerReferences":[{"uid":"2","name":"b","controller":true}]}}"#,
             #"{"metadata":{"ownerReferences":[{"uid":"1","name":"a"},{"uid":"2","name":"b","controller":true}]}}"#),
            ("labels: null removes, map merges", "configmaps", #"{"metadata":{"labels":{"a":"1","b":"2"}},"data":{"k":"v"}}"#,
             #"{"metadata":{"labels":{"a":null,"c":"3"}},"data":{"x":"y"}}"#,
             #"{"metadata":{"labels":{"b":"2","c":"3"}},"data":{"k":"v","x":"y"}}"#),
            ("$patch: replace on a map", "configmaps", #"{"data":{"a":"1","b":"2"}}"#,
             #"{"data":{"$patch":"replace","c":"3"}}"#, #"{"data":{"c":"3"}}"#),
            ("$patch: delete on a map", "configmaps", #"{"data":{"a":"1"},"immutable":false}"#,
             #"{"data":{"$patch":"delete"}}"#, #"{"data":{},"immutable":false}"#),
            ("$patch: merge on a map is the default", "configmaps", #"{"data":{"a":"1"}}"#,
             #"{"data":{"$patch":"merge","b":"2"}}"#, #"{"data":{"a":"1","b":"2"}}"#),
            ("unmatched null ignored, nested nulls in new maps dropped", "configmaps", #"{"data":{"a":"1"}}"#,
             #"{"nope":null,"metadata":{"annotations":{"x":null,"y":"1"}}}"#, #"{"data":{"a":"1"},"metadata":{"annotations":{"y":"1"}}}"#),
        ])
    }

    func testWorkloadTemplatePaths() {
        let tmpl = #"{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}}"#
        let patched = #"{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:2"}]}}"#
        let containerPatch = #"{"spec":{"containers":[{"name":"b","image":"b:2"}]}}"#
        for key in ["deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps", "jobs.batch", "replicationcontrollers"] {
            run([("template containers of \(key)", key, #"{"spec":{"template":"# + tmpl + "}}",
                  #"{"spec":{"template":"# + containerPatch + "}}", #"{"spec":{"template":"# + patched + "}}")])
        }
        run([("cronjob job template", "cronjobs.batch", #"{"spec":{"jobTemplate":{"spec":{"template":"# + tmpl + "}}}}",
              #"{"spec":{"jobTemplate":{"spec":{"template":"# + containerPatch + "}}}}",
              #"{"spec":{"jobTemplate":{"spec":{"template":"# + patched + "}}}}"),
             ("pod template at the wrong depth is a plain list", "cronjobs.batch", #"{"spec":{"template":"# + tmpl + "}}",
              #"{"spec":{"template":"# + containerPatch + "}}",
              #"{"spec":{"template":{"metadata":{"labels":{"app":"x"}},"spec":{"containers":[{"name":"b","image":"b:2"}]}}}}"#)])
    }

    func testDeploymentStrategyRetainKeys() {
        run([
            ("RollingUpdate to Recreate", "deployments.apps",
             #"{"spec":{"replicas":1,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}"#,
             #"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#,
             #"{"spec":{"replicas":1,"strategy":{"type":"Recreate"}}}"#),
            ("without $retainKeys the map merges", "deployments.apps",
             #"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}"#,
             #"{"spec":{"strategy":{"type":"Recreate"}}}"#,
             #"{"spec":{"strategy":{"type":"Recreate","rollingUpdate":{"maxSurge":1}}}}"#),
            ("deployment status conditions by type", "deployments.apps",
             #"{"status":{"conditions":[{"type":"Available","status":"False"},{"type":"Progressing","status":"True"}]}}"#,
             #"{"status":{"conditions":[{"type":"Available","status":"True"}]}}"#,
             #"{"status":{"conditions":[{"type":"Available","status":"True"},{"type":"Progressing","status":"True"}]}}"#),
        ])
    }

    func testServiceAndNode() {
        run([
            ("service ports by port", "services",
             #"{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":8443}]}}"#,
             #"{"spec":{"ports":[{"port":80,"targetPort":9090}]}}"#,
             #"{"spec":{"ports":[{"port":80,"targetPort":9090},{"port":443,"targetPort":8443}]}}"#),
            ("service ipFamilies atomic", "services", #"{"spec":{"ipFamilies":["IPv4"]}}"#,
             #"{"spec":{"ipFamilies":["IPv6"]}}"#, #"{"spec":{"ipFamilies":["IPv6"]}}"#),
            ("node conditions and addresses by type", "nodes",
             #"{"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"MemoryPressure","status":"False"}],"addresses":[{"type":"InternalIP","address":"10.0.0.1"},{"type":"Hostname","address":"h"}]}}"#,
             #"{"status":{"conditions":[{"type":"Ready","status":"True"}],"addresses":[{"type":"InternalIP","address":"10.0.0.2"}]}}"#,
             #"{"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"MemoryPressure","status":"False"}],"addresses":[{"type":"InternalIP","address":"10.0.0.2"},{"type":"Hostname","address":"h"}]}}"#),
        ])
    }

    func testKubeVirt() {
        let vmiSpec = #"{"domain":{"devices":{"disks":[{"name":"root","disk":{"bus":"virtio"}},{"name":"ci","disk":{"bus":"virtio"}}],"interfaces":[{"name":"default","masquerade":{}}]}},"networks":[{"name":"default","pod":{}}],"volumes":[{"name":"root","containerDisk":{"image":"x"}},{"name":"ci","cloudInitNoCloud":{"userData":"a"}}]}"#
        let patch = #"{"domain":{"devices":{"disks":[{"name":"ci","disk":{"bus":"sata"}}],"interfaces":[{"name":"default","macAddress":"02:00:00:00:00:01"}]}},"networks":[{"name":"default","pod":{"vmNetworkCIDR":"10.0.2.0/24"}}],"volumes":[{"name":"ci","cloudInitNoCloud":{"userData":"b"}}]}"#
        let want = #"{"domain":{"devices":{"disks":[{"name":"root","disk":{"bus":"virtio"}},{"name":"ci","disk":{"bus":"sata"}}],"interfaces":[{"name":"default","masquerade":{},"macAddress":"02:00:00:00:00:01"}]}},"networks":[{"name":"default","pod":{"vmNetworkCIDR":"10.0.2.0/24"}}],"volumes":[{"name":"root","containerDisk":{"image":"x"}},{"name":"ci","cloudInitNoCloud":{"userData":"b"}}]}"#
        run([
            ("VM template spec", "virtualmachines.kubevirt.io", #"{"spec":{"runStrategy":"Always","template":{"spec":"# + vmiSpec + "}}}",
             #"{"spec":{"template":{"spec":"# + patch + "}}}", #"{"spec":{"runStrategy":"Always","template":{"spec":"# + want + "}}}"),
            ("VMI spec", "virtualmachineinstances.kubevirt.io", #"{"spec":"# + vmiSpec + "}", #"{"spec":"# + patch + "}", #"{"spec":"# + want + "}"),
            ("VMI disk delete", "virtualmachineinstances.kubevirt.io", #"{"spec":"# + vmiSpec + "}",
             #"{"spec":{"domain":{"devices":{"disks":[{"name":"ci","$patch":"delete"}]}},"volumes":[{"name":"ci","$patch":"delete"}]}}"#,
             #"{"spec":{"domain":{"devices":{"disks":[{"name":"root","disk":{"bus":"virtio"}}],"interfaces":[{"name":"default","masquerade":{}}]}},"networks":[{"name":"default","pod":{}}],"volumes":[{"name":"root","containerDisk":{"image":"x"}}]}}"#),
            ("DataVolume lists replace", "datavolumes.cdi.kubevirt.io",
             #"{"spec":{"pvc":{"accessModes":["ReadWriteOnce","ReadOnlyMany"]}}}"#, #"{"spec":{"pvc":{"accessModes":["ReadWriteMany"]}}}"#,
             #"{"spec":{"pvc":{"accessModes":["ReadWriteMany"]}}}"#),
            ("custom resource lists replace", "widgets.example.com", twoContainers,
             #"{"spec":{"containers":[{"name":"b","image":"b:2"}]}}"#, #"{"spec":{"containers":[{"name":"b","image":"b:2"}]}}"#),
        ])
    }

    func testNumbersMatchAcrossIntAndFloat() {
        run([("containerPort 80 vs 80.0", "pods", #"{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80}]}]}}"#,
              #"{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80.0,"protocol":"TCP"}]}]}}"#,
              #"{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}"#)])
    }

    func testErrors() {
        let cases: [(String, String, String, Int, String)] = [
            ("missing merge key", twoContainers, #"{"spec":{"containers":[{"image":"nginx"}]}}"#, 400,
             "map: map[image:nginx] does not contain declared merge key: name"),
            ("unknown $patch in map", "{}", #"{"spec":{"$patch":"frob","a":1}}"#, 400, "unknown patch type: frob in map: map[$patch:frob a:1]"),
            ("unknown $patch in list", twoContainers, #"{"spec":{"containers":[{"name":"a","$patch":"frob"}]}}"#, 400,
             "unknown patch type: frob in map: map[$patch:frob name:a]"),
            ("$retainKeys not a list", "{}", #"{"spec":{"$retainKeys":"a"}}"#, 400, "invalid patch format of retainKeys"),
            ("field outside $retainKeys", "{}", #"{"spec":{"$retainKeys":["a"],"b":1}}"#, 400, "invalid patch format of retainKeys"),
            ("bad primitive list directive", "{}", #"{"metadata":{"$deleteFromPrimitiveListfinalizers":["a"]}}"#, 400, "invalid patch format of primitive list"),
            ("lists of lists", "{}", #"{"metadata":{"finalizers":[["b"]]}}"#, 422,
             "the server rejected our request due to an error in our request"),
            ("mixed element types", #"{"metadata":{"finalizers":["a"]}}"#, #"{"metadata":{"finalizers":[1]}}"#, 400,
             "list element types are not identical: [[a] [1]]"),
            ("$setElementOrder disagrees with patch", twoContainers,
             #"{"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"name":"b","image":"x"}]}}"#, 400,
             "The order in patch list:\n[map[image:x name:b]]\n doesn't match $setElementOrder list:\n[map[name:a]]\n"),
            ("patch not an object", "{}", "[]", 400, "json: cannot unmarshal array into Go value of type map[string]interface {}"),
        ]
        for (name, doc, patch, code, message) in cases {
            XCTAssertThrowsError(try smp(doc, patch), name) { e in
                XCTAssertEqual((e as? APIError)?.code, code, name)
                XCTAssertEqual((e as? APIError)?.message, message, name)
            }
        }
    }

    func testSupportsStrategic() {
        for key in ["pods", "services", "configmaps", "deployments.apps", "jobs.batch", "cronjobs.batch", "ingresses.networking.k8s.io",
                    "roles.rbac.authorization.k8s.io", "leases.coordination.k8s.io", "storageclasses.storage.k8s.io",
                    "events.events.k8s.io", "endpointslices.discovery.k8s.io", "virtualmachines.kubevirt.io",
                    "datavolumes.cdi.kubevirt.io", "network-attachment-definitions.k8s.cni.cncf.io"] {
            XCTAssertTrue(Patch.supportsStrategic(storageKey: key), key)
        }
        for key in ["widgets.example.com", "foos.stable.example.io", "certificates.cert-manager.io"] {
            XCTAssertFalse(Patch.supportsStrategic(storageKey: key), key)
        }
    }
}

final class MergeKeysPatchTests: XCTestCase {
    func testStrategyTable() {
        let ps = ["spec"], dt = ["spec", "template", "spec"], cj = ["spec", "jobTemplate", "spec", "template", "spec"]
        let cases: [(String, [String], String?, String?)] = [
            ("pods", ps + ["containers"], "merge", "name"),
            ("pods", ps + ["initContainers"], "merge", "name"),
            ("pods", ps + ["ephemeralContainers"], "merge", "name"),
            ("pods", ps + ["containers", "ports"], "merge", "containerPort"),
            ("pods", ps + ["containers", "env"], "merge", "name"),
            ("pods", ps + ["initContainers", "env"], "merge", "name"),
            ("pods", ps + ["containers", "volumeMounts"], "merge", "mountPath"),
            ("pods", ps + ["containers", "envFrom"], nil, nil),
            ("pods", ps + ["volumes"], "merge,retainKeys", "name"),
            ("pods", ps + ["imagePullSecrets"], "merge", "name"),
            ("pods", ps + ["tolerations"], nil, nil),
            ("pods", ps + ["hostAliases"], "merge", "ip"),
            ("pods", ["metadata", "finalizers"], "merge", nil),
            ("pods", ["metadata", "ownerReferences"], "merge", "uid"),
            ("pods", ["status", "conditions"], "merge", "type"),
            ("pods", ["spec", "containers", "args"], nil, nil),
            ("deployments.apps", dt + ["containers"], "merge", "name"),
            ("deployments.apps", dt + ["containers", "env"], "merge", "name"),
            ("deployments.apps", ["spec", "template", "metadata", "finalizers"], "merge", nil),
            ("deployments.apps", ["spec", "strategy"], "retainKeys", nil),
            ("deployments.apps", ["spec", "containers"], nil, nil),
            ("replicasets.apps", dt + ["volumes"], "merge,retainKeys", "name"),
            ("statefulsets.apps", dt + ["containers", "ports"], "merge", "containerPort"),
            ("daemonsets.apps", dt + ["imagePullSecrets"], "merge", "name"),
            ("jobs.batch", dt + ["initContainers"], "merge", "name"),
            ("cronjobs.batch", cj + ["containers"], "merge", "name"),
            ("cronjobs.batch", dt + ["containers"], nil, nil),
            ("services", ["spec", "ports"], "merge", "port"),
            ("services", ["spec", "ipFamilies"], nil, nil),
            ("nodes", ["status", "conditions"], "merge", "type"),
            ("nodes", ["status", "addresses"], "merge", "type"),
            ("virtualmachines.kubevirt.io", dt + ["domain", "devices", "disks"], "merge", "name"),
            ("virtualmachines.kubevirt.io", dt + ["domain", "devices", "interfaces"], "merge", "name"),
            ("virtualmachines.kubevirt.io", dt + ["networks"], "merge", "name"),
            ("virtualmachines.kubevirt.io", dt + ["volumes"], "merge", "name"),
            ("virtualmachineinstances.kubevirt.io", ["spec", "domain", "devices", "disks"], "merge", "name"),
            ("virtualmachineinstances.kubevirt.io", ["spec", "networks"], "merge", "name"),
            ("virtualmachineinstances.kubevirt.io", ["spec", "volumes"], "merge", "name"),
            ("datavolumes.cdi.kubevirt.io", ["spec", "pvc", "accessModes"], nil, nil),
            ("widgets.example.com", ["metadata", "finalizers"], nil, nil),
            ("widgets.example.com", ["spec", "containers"], nil, nil),
        ]
        for (key, path, strategy, mergeKey) in cases {
            let got = MergeKeys.strategy(storageKey: key, path: path)
            XCTAssertEqual(got?.strategy, strategy, "\(key) \(path)")
            XCTAssertEqual(got?.mergeKey, mergeKey, "\(key) \(path)")
        }
    }
}

final class DiffPatchTests: XCTestCase {
    func testTwoWayShape() throws {
        let o = j(#"{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}}"#)
        let m = j(#"{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:2"}]}}"#)
        let p = try Patch.createTwoWayStrategicPatch(original: o, modified: m, storageKey: "pods")
        assertJSON(p, #"{"spec":{"containers":[{"image":"b:2","name":"b"}],"$setElementOrder/containers":[{"name":"a"},{"name":"b"}]}}"#)
    }

    func testTwoWayRoundTrips() throws {
        let pairs: [(String, String, String)] = [
            ("pods", #"{"metadata":{"labels":{"a":"1"},"finalizers":["x","y"]},"spec":{"containers":[{"name":"a","image":"a:1","env":[{"name":"E","value":"1"}]},{"name":"b","image":"b:1"}]}}"#,
             #"{"metadata":{"labels":{"b":"2"},"finalizers":["y","z"]},"spec":{"containers":[{"name":"b","image":"b:1"},{"name":"a","image":"a:2","env":[{"name":"F","value":"2"}]},{"name":"c","image":"c"}]}}"#),
            ("deployments.apps", #"{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},"template":{"spec":{"volumes":[{"name":"v","emptyDir":{}}]}}}}"#,
             #"{"spec":{"strategy":{"type":"Recreate"},"template":{"spec":{"volumes":[{"name":"v","hostPath":{"path":"/x"}}]}}}}"#),
            ("services", #"{"spec":{"ports":[{"port":80},{"port":443}],"ipFamilies":["IPv4"]}}"#,
             #"{"spec":{"ports":[{"port":443,"name":"https"}],"ipFamilies":["IPv4","IPv6"]}}"#),
            ("virtualmachines.kubevirt.io", #"{"spec":{"template":{"spec":{"networks":[{"name":"a","pod":{}}],"domain":{"devices":{"disks":[{"name":"r"},{"name":"c"}]}}}}}}"#,
             #"{"spec":{"template":{"spec":{"networks":[{"name":"a","pod":{}},{"name":"b","multus":{"networkName":"n"}}],"domain":{"devices":{"disks":[{"name":"c"}]}}}}}}"#),
        ]
        for (key, o, m) in pairs {
            let p = try Patch.createTwoWayStrategicPatch(original: j(o), modified: j(m), storageKey: key)
            let applied = try Patch.applyStrategicMergePatch(p, to: j(o), storageKey: key)
            assertJSON(applied, m, "\(key) via \(p.jsonString())")
        }
    }

    func testRetainKeysAndPrimitiveDeletionDirectives() throws {
        let p = try Patch.createTwoWayStrategicPatch(
            original: j(#"{"metadata":{"finalizers":["a","b"]},"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}"#),
            modified: j(#"{"metadata":{"finalizers":["a"]},"spec":{"strategy":{"type":"Recreate"}}}"#), storageKey: "deployments.apps")
        assertJSON(p, #"{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"],"$setElementOrder/finalizers":["a"]},"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}"#)
    }

    func testThreeWayStrategicKeepsOthersChanges() throws {
        let lastApplied = #"{"metadata":{"name":"p","labels":{"app":"x","tier":"web"}},"spec":{"containers":[{"name":"a","image":"a:1","env":[{"name":"E1","value":"1"},{"name":"E2","value":"2"}]}]}}"#
        let live = #"{"metadata":{"name":"p","uid":"u","labels":{"app":"x","tier":"web","added-by":"someone"}},"spec":{"nodeName":"n","containers":[{"name":"a","image":"a:1","imagePullPolicy":"IfNotPresent","env":[{"name":"E1","value":"1"},{"name":"E2","value":"2"}]},{"name":"sidecar","image":"s"}]},"status":{"phase":"Running"}}"#
        let config = #"{"metadata":{"name":"p","labels":{"app":"x"}},"spec":{"containers":[{"name":"a","image":"a:2","env":[{"name":"E2","value":"2"}]}]}}"#
        let (type, p) = try Patch.createThreeWayPatch(original: j(lastApplied), modified: j(config), current: j(live), storageKey: "pods")
        XCTAssertEqual(type, .strategic)
        let result = try Patch.applyStrategicMergePatch(p, to: j(live), storageKey: "pods")
        assertJSON(result, #"{"metadata":{"name":"p","uid":"u","labels":{"app":"x","added-by":"someone"}},"spec":{"nodeName":"n","containers":[{"name":"a","image":"a:2","imagePullPolicy":"IfNotPresent","env":[{"name":"E2","value":"2"}]},{"name":"sidecar","image":"s"}]},"status":{"phase":"Running"}}"#,
                   "patch was \(p.jsonString())")
    }

    func testThreeWayWithoutLastApplied() throws {
        let p = try Patch.createThreeWayStrategicPatch(original: nil, modified: j(#"{"metadata":{"labels":{"a":"1"}}}"#),
                                                       current: j(#"{"metadata":{"labels":{"b":"2"}}}"#), storageKey: "configmaps")
        assertJSON(p, #"{"metadata":{"labels":{"a":"1"}}}"#)
    }

    func testThreeWayMergePatchForCustomResources() throws {
        let lastApplied = #"{"spec":{"size":1,"old":"x","list":[1,2]}}"#
        let live = #"{"metadata":{"uid":"u"},"spec":{"size":1,"old":"x","list":[1,2],"server":"set"}}"#
        let config = #"{"spec":{"size":2,"list":[3]}}"#
        let (type, p) = try Patch.createThreeWayPatch(original: j(lastApplied), modified: j(config), current: j(live), storageKey: "widgets.example.com")
        XCTAssertEqual(type, .merge)
        assertJSON(p, #"{"spec":{"size":2,"list":[3],"old":null}}"#)
        assertJSON(Patch.applyMergePatch(p, to: j(live)), #"{"metadata":{"uid":"u"},"spec":{"size":2,"list":[3],"server":"set"}}"#)
    }
}
