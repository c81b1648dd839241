import XCTest
@testable import CorralModel

private func j(_ s: String) -> JSONValue { try! JSONParser.parse(s) }

/// A valid CRD; `mutate` edits it before use.
func sampleCRD(_ mutate: (inout JSONValue) -> Void = { _ in }) -> JSONValue {
    var crd = try! JSONParser.parse("""
    {"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
     "metadata":{"name":"crontabs.stable.example.com","uid":"u1","generation":1,"creationTimestamp":"2026-01-01T00:00:00Z"},
     "spec":{"group":"stable.example.com","scope":"Namespaced",
      "names":{"plural":"crontabs","singular":"crontab","kind":"CronTab","listKind":"CronTabList","shortNames":["ct"]},
      "versions":[
       {"name":"v1beta1","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}},
       {"name":"v1","served":true,"storage":true,
        "schema":{"openAPIV3Schema":{"type":"object","properties":{
          "spec":{"type":"object","required":["cronSpec"],"properties":{
            "cronSpec":{"type":"string","pattern":"^[0-9*/ ]+$"},
            "replicas":{"type":"integer","minimum":1,"maximum":10},
            "policy":{"type":"string","enum":["Allow","Forbid"],"default":"Allow"},
            "tags":{"type":"array","maxItems":2,"items":{"type":"string","maxLength":3}},
            "labels":{"type":"object","additionalProperties":{"type":"string"}},
            "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
            "nested":{"type":"object","properties":{"a":{"type":"integer","default":7}}}}},
          "status":{"type":"object","properties":{"replicas":{"type":"integer"},"selector":{"type":"string"}}}}}},
        "subresources":{"status":{},"scale":{"specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas","labelSelectorPath":".status.selector"}},
        "additionalPrinterColumns":[{"name":"Spec","type":"string","jsonPath":".spec.cronSpec"},{"name":"Replicas","type":"integer","jsonPath":".spec.replicas","priority":1}]}]}}
    """)
    mutate(&crd)
    return crd
}

final class CRDValidationTests: XCTestCase {
    func fields(_ causes: [FieldCause]) -> [String] { causes.map(\.field) }

    func testValidCRDHasNoProblems() {
        XCTAssertEqual(CRDValidation.validate(sampleCRD()), [])
    }

    func testNameMustBePluralDotGroup() {
        let causes = CRDValidation.validate(sampleCRD { $0.set(path: ["metadata", "name"], to: "tabs.stable.example.com") })
        XCTAssertEqual(causes.map(\.rendered), [#"metadata.name: Invalid value: "tabs.stable.example.com": must be spec.names.plural+"."+spec.group"#])
    }

    func testGroupNeedsADotAndScopeIsChecked() {
        let causes = CRDValidation.validate(sampleCRD {
            $0.set(path: ["spec", "group"], to: "example")
            $0.set(path: ["metadata", "name"], to: "crontabs.example")
            $0.set(path: ["spec", "scope"], to: "Global")
        })
        XCTAssertEqual(causes.map(\.rendered), [
            #"spec.group: Invalid value: "example": should be a domain with at least one dot"#,
            #"spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced""#,
        ])
    }

    func testExactlyOneStorageVersionAndSchemaRequired() {
        let causes = CRDValidation.validate(sampleCRD { crd in
            var vs = crd[path: ["spec", "versions"]]!.arrayValue!
            vs[0]["storage"] = true
            vs[0]["schema"] = nil
            crd.set(path: ["spec", "versions"], to: .array(vs))
        })
        XCTAssertEqual(fields(causes), ["spec.versions[0].schema.openAPIV3Schema", "spec.versions"])
        XCTAssertTrue(causes[1].message.hasSuffix("must have exactly one version marked as storage version"))
        XCTAssertEqual(causes[0].reason, "FieldValueRequired")
    }

    func testNamesRequiredAndSyntax() {
        let causes = CRDValidation.validate(sampleCRD {
            $0.set(path: ["spec", "names"], to: ["plural": "crontabs", "kind": "Cron_Tab", "listKind": "Cron_Tab", "shortNames": ["C T"]])
        })
        XCTAssertEqual(fields(causes), ["spec.names.singular", "spec.names.kind", "spec.names.listKind", "spec.names.shortNames[0]", "spec.names.listKind"])
        XCTAssertTrue(causes[1].message.contains("may have mixed case, but should otherwise match: a DNS-1035 label"))
        XCTAssertTrue(causes[4].message.hasSuffix("kind and listKind may not be the same"))
    }

    func testDefaultingFillsSingularListKindAndConversion() {
        let crd = CRDValidation.defaulted(sampleCRD {
            $0.set(path: ["spec", "names"], to: ["plural": "crontabs", "kind": "CronTab"])
        })
        XCTAssertEqual(crd[path: ["spec", "names", "singular"]], "crontab")
        XCTAssertEqual(crd[path: ["spec", "names", "listKind"]], "CronTabList")
        XCTAssertEqual(crd[path: ["spec", "conversion"]], ["strategy": "None"])
        XCTAssertEqual(CRDValidation.validate(crd), [])
    }

    func testStructuralSchemaRules() {
        let causes = CRDValidation.validate(sampleCRD { crd in
            var vs = crd[path: ["spec", "versions"]]!.arrayValue!
            vs[1]["subresources"] = nil
            vs[1]["schema"] = ["openAPIV3Schema": [
                "type": "object",
                "properties": [
                    "spec": ["properties": ["a": ["type": "string"]]],
                    "list": ["type": "array"],
                    "kind": ["type": "integer"],
                    "metadata": ["type": "object", "properties": ["labels": ["type": "object"]]],
                    "both": ["type": "object", "properties": ["x": ["type": "string"]], "additionalProperties": ["type": "string"]],
                    "odd": ["type": "date"],
                ],
            ]]
            crd.set(path: ["spec", "versions"], to: .array(vs))
        })
        let p = "spec.versions[1].schema.openAPIV3Schema"
        XCTAssertEqual(Set(fields(causes)), Set([
            "\(p).properties[spec].type", "\(p).properties[list].items", "\(p).properties[kind].type", "\(p).properties[metadata]",
            "\(p).properties[both].additionalProperties", "\(p).properties[odd].type",
        ]))
        XCTAssertTrue(causes.contains { $0.rendered == "\(p).properties[spec].type: Required value: must not be empty for specified object fields" })
    }

    func testStatusSubresourceLimitsTheRoot() {
        let causes = CRDValidation.validate(sampleCRD { crd in
            crd.set(path: ["spec", "versions"], to: .array(crd[path: ["spec", "versions"]]!.arrayValue!.enumerated().map { i, v in
                var v = v
                if i == 1 { v.set(path: ["schema", "openAPIV3Schema", "additionalProperties"], to: ["type": "string"]) }
                return v
            }))
        })
        XCTAssertTrue(causes.contains { $0.field == "spec.versions[1].schema.openAPIV3Schema" && $0.message.contains("fields are allowed at the root of the schema if the status subresource is enabled") })
    }

    func testScaleAndColumnChecks() {
        let causes = CRDValidation.validate(sampleCRD { crd in
            var vs = crd[path: ["spec", "versions"]]!.arrayValue!
            vs[1].set(path: ["subresources", "scale"], to: ["specReplicasPath": ".status.r", "statusReplicasPath": "status.r"])
            vs[1]["additionalPrinterColumns"] = [["name": "X", "type": "text", "jsonPath": ".a"]]
            crd.set(path: ["spec", "versions"], to: .array(vs))
        })
        XCTAssertEqual(causes.map(\.rendered), [
            #"spec.versions[1].subresources.scale.specReplicasPath: Invalid value: ".status.r": should be a json path under .spec"#,
            #"spec.versions[1].subresources.scale.statusReplicasPath: Invalid value: "status.r": must be a simple json path starting with ."#,
            #"spec.versions[1].additionalPrinterColumns[0].type: Invalid value: "text": must be one of boolean,date,integer,number,string"#,
        ])
    }

    func testUpdateKeepsGroupPluralAndEstablishedKind() {
        var old = sampleCRD()
        old.set(path: ["status", "conditions"], to: [["type": "Established", "status": "True"]])
        old.set(path: ["status", "storedVersions"], to: ["v1", "v0"])
        let new = sampleCRD { $0.set(path: ["spec", "names", "kind"], to: "Tab"); $0.set(path: ["status", "storedVersions"], to: ["v1", "v0"]) }
        let causes = CRDValidation.validateUpdate(new, old: old)
        XCTAssertEqual(fields(causes), ["spec.names.kind", "status.storedVersions[1]"])
        XCTAssertTrue(causes[1].message.contains("missing from spec.versions; v0 was previously a storage version"))
    }

    func testAdmissionOfCRDResetsStatusAndRecordsStorage() throws {
        let type = ResourceRegistry.builtins().lookup(group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions")!
        let created = try CustomResourceAdmission.admit(sampleCRD { $0["status"] = ["conditions": [["type": "Established", "status": "True"]]] },
                                                        old: nil, type: type, subresource: nil)
        XCTAssertEqual(created["status"], j(#"{"acceptedNames":{"plural":"","kind":""},"storedVersions":["v1"]}"#))
        XCTAssertThrowsError(try CustomResourceAdmission.admit(sampleCRD { $0.set(path: ["spec", "group"], to: "") }, old: nil, type: type, subresource: nil)) { e in
            let err = e as! APIError
            XCTAssertEqual(err.code, 422)
            XCTAssertTrue(err.message.hasPrefix(#"CustomResourceDefinition.apiextensions.k8s.io "crontabs.stable.example.com" is invalid: ["#), err.message)
        }
        XCTAssertEqual(CustomResourceAdmission.deletionFinalizers(type), ["customresourcecleanup.apiextensions.k8s.io"])
    }
}
