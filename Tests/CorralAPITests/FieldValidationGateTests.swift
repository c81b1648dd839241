@testable import CorralAPI
import CorralModel
import NIOHTTP1
import XCTest

/// The fieldValidation gate on requests built in memory (no server).
final class FieldValidationGateTests: XCTestCase {
    let pods = ResourceRegistry.builtins().lookup(group: "", version: "v1", resource: "pods")!
    let deployments = ResourceRegistry.builtins().lookup(group: "apps", version: "v1", resource: "deployments")!

    func request(_ method: HTTPMethod, _ body: String, contentType: String = "application/json", directive: String? = nil) -> HTTPRequest {
        var query: [String: [String]] = [:]
        if let directive { query["fieldValidation"] = [directive] }
        return HTTPRequest(method: method, uri: "/", path: "/", query: query, headers: HTTPHeaders([("Content-Type", contentType)]),
                           body: Array(body.utf8), bodyTooLarge: false, certificateIdentity: nil, remoteAddress: "test")
    }

    func info(_ verb: String, _ resource: String = "pods", group: String = "", name: String? = nil) -> RequestInfo {
        RequestInfo(group: group, version: "v1", namespace: "ns", resource: resource, name: name, subresource: nil, verb: verb)
    }

    let badPod = #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","name":"p"},"spec":{"containers":[{"name":"c","image":"i","imagee":"x"}]}}"#

    func testStrictFailsWithEveryField() {
        XCTAssertThrowsError(try FieldValidationGate.check(request(.POST, badPod, directive: "Strict"), info: info("create"), type: pods)) { e in
            let err = e as? APIError
            XCTAssertEqual(err?.code, 400)
            XCTAssertEqual(err?.message, #"Pod in version "v1" cannot be handled as a Pod: strict decoding error: duplicate field "metadata.name", unknown field "spec.containers[0].imagee""#)
        }
    }

    func testWarnDropsAndWarnsIgnoreKeeps() throws {
        let warned = try FieldValidationGate.check(request(.POST, badPod), info: info("create"), type: pods)
        XCTAssertEqual(warned.warnings, [#"duplicate field "metadata.name""#, #"unknown field "spec.containers[0].imagee""#])
        let body = try JSONParser.parse(warned.request.body)
        XCTAssertNil(body[path: ["spec", "containers"]]?.arrayValue?.first?["imagee"])
        let ignored = try FieldValidationGate.check(request(.POST, badPod, directive: "Ignore"), info: info("create"), type: pods)
        XCTAssertEqual(ignored.warnings, [])
        XCTAssertEqual(ignored.request.body, Array(badPod.utf8))
    }

    func testYAMLBodyBecomesJSONWhenPruned() throws {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n  bogus: 1\n"
        let out = try FieldValidationGate.check(request(.POST, yaml, contentType: "application/yaml"), info: info("create"), type: pods)
        XCTAssertEqual(out.warnings, [#"unknown field "spec.bogus""#])
        XCTAssertEqual(out.request.headers.first(name: "Content-Type"), "application/json")
        XCTAssertEqual(try JSONParser.parse(out.request.body)[path: ["spec", "containers"]]?.arrayValue?.count, 1)
    }

    func testPatchesAndApply() {
        let smp = request(.PATCH, #"{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"name":"c","imagee":"x"}]}}"#,
                          contentType: "application/strategic-merge-patch+json", directive: "Strict")
        XCTAssertThrowsError(try FieldValidationGate.check(smp, info: info("patch", name: "p"), type: pods)) { e in
            let err = e as? APIError
            XCTAssertEqual(err?.code, 422)
            XCTAssertEqual(err?.causes.first?.field, "patch")
            XCTAssertTrue(err?.message.hasSuffix(#"strict decoding error: unknown field "spec.containers[0].imagee""#) == true, err?.message ?? "")
        }
        let apply = request(.PATCH, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicass: 2\n",
                            contentType: "application/apply-patch+yaml", directive: "Ignore")
        XCTAssertThrowsError(try FieldValidationGate.check(apply, info: info("patch", "deployments", group: "apps", name: "d"), type: deployments)) { e in
            XCTAssertEqual((e as? APIError)?.code, 500)
            XCTAssertEqual((e as? APIError)?.message, "failed to create typed patch object (ns/d; apps/v1, Kind=Deployment): .spec.replicass: field not declared in schema")
        }
        let dup = request(.PATCH, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  name: d\n",
                          contentType: "application/apply-patch+yaml", directive: "Strict")
        XCTAssertThrowsError(try FieldValidationGate.check(dup, info: info("patch", "deployments", group: "apps", name: "d"), type: deployments)) { e in
            XCTAssertEqual((e as? APIError)?.message,
                           "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 5: key \"name\" already set in map")
        }
    }

    func testUnsupportedDirective() {
        XCTAssertThrowsError(try FieldValidationGate.check(request(.POST, badPod, directive: "Loud"), info: info("create"), type: pods)) { e in
            XCTAssertEqual((e as? APIError)?.message,
                           #"CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loud": supported values: "", "Ignore", "Strict", "Warn""#)
        }
    }

    func testWarningHeaderQuotesAndCleans() {
        XCTAssertEqual(FieldValidationGate.header(#"unknown field "a\b""#).1, #"299 - "unknown field \"a\\b\"""#)
        XCTAssertEqual(FieldValidationGate.header("unknown field \"a\u{0}b\nc\"").1, #"299 - "unknown field \"a b c\"""#)
    }
}
