import XCTest
@testable import CorralModel

private func j(_ s: String) -> JSONValue { try! JSONParser.parse(s) }

final class CRDSchemaTests: XCTestCase {
    var schema: JSONValue { CRDView(sampleCRD()).versions[1].schema! }

    func testPruningDropsUnknownKeepsPreservedAndMeta() {
        let obj = j("""
        {"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a","whatever":1},"top":1,
         "spec":{"cronSpec":"* *","foo":"bar","free":{"x":{"y":1}},"labels":{"k":"v"},"tags":["a"],"nested":{"a":1,"b":2}},
         "status":{"replicas":1,"extra":true}}
        """)
        let p = StructuralSchema.prune(obj, schema: schema)
        XCTAssertEqual(p.unknown, ["top", "spec.foo", "spec.nested.b", "status.extra"])
        XCTAssertEqual(p.value, j("""
        {"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a","whatever":1},
         "spec":{"cronSpec":"* *","free":{"x":{"y":1}},"labels":{"k":"v"},"tags":["a"],"nested":{"a":1}},
         "status":{"replicas":1}}
        """))
    }

    func testPruningInArraysAndNullsOfNonNullableFields() {
        let s = j(#"{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"n":{"type":"string"}}}},"opt":{"type":"string"},"nul":{"type":"string","nullable":true}}}"#)
        let p = StructuralSchema.prune(j(#"{"items":[{"n":"a","x":1},{"y":2}],"opt":null,"nul":null}"#), schema: s)
        XCTAssertEqual(p.unknown, ["items[0].x", "items[1].y"])
        XCTAssertEqual(p.value, j(#"{"items":[{"n":"a"},{}],"nul":null}"#))
        // A merge patch's null deletes a member: not an unknown field.
        XCTAssertEqual(StructuralSchema.prune(j(#"{"gone":null}"#), schema: s, reportNulls: false).unknown, [])
    }

    func testEmbeddedResourceKeepsItsMeta() {
        let s = j(#"{"type":"object","properties":{"tmpl":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object"}}}}}"#)
        let p = StructuralSchema.prune(j(#"{"tmpl":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{"a":1},"junk":1}}"#), schema: s)
        XCTAssertEqual(p.unknown, ["tmpl.spec.a", "tmpl.junk"])
        XCTAssertEqual(p.value, j(#"{"tmpl":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"},"spec":{}}}"#))
    }

    func testDefaults() {
        let out = StructuralSchema.applyDefaults(j(#"{"spec":{"cronSpec":"*","nested":{}}}"#), schema: schema)
        XCTAssertEqual(out[path: ["spec", "policy"]], "Allow")
        XCTAssertEqual(out[path: ["spec", "nested", "a"]], 7)
        XCTAssertNil(out[path: ["spec", "replicas"]])
        XCTAssertEqual(StructuralSchema.applyDefaults(j(#"{"spec":{"policy":"Forbid"}}"#), schema: schema)[path: ["spec", "policy"]], "Forbid")
    }

    func testValidationCausesAreWordedAsKube() {
        let obj = j("""
        {"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a"},
         "spec":{"cronSpec":"bad!","replicas":11,"policy":"Maybe","tags":["a","bbbb","c"],"labels":{"k":1}}}
        """)
        let causes = SchemaValueValidator.validate(obj, schema: schema)
        XCTAssertEqual(causes.map(\.rendered), [
            #"spec.cronSpec: Invalid value: "bad!": spec.cronSpec in body should match '^[0-9*/ ]+$'"#,
            "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10",
            #"spec.policy: Unsupported value: "Maybe": supported values: "Allow", "Forbid""#,
            "spec.tags: Too many: 3: must have at most 2 items",
            "spec.tags[1]: Too long: may not be more than 3 bytes",
            #"spec.labels.k: Invalid value: "integer": spec.labels.k in body must be of type string: "integer""#,
        ])
        XCTAssertEqual(causes.map(\.reason), ["FieldValueInvalid", "FieldValueInvalid", "FieldValueNotSupported", "FieldValueTooMany",
                                              "FieldValueTooLong", "FieldValueTypeInvalid"])
    }

    func testRequiredAndTypeAtObjectLevel() {
        let causes = SchemaValueValidator.validate(j(#"{"spec":{"replicas":1.5}}"#), schema: schema)
        XCTAssertEqual(causes.map(\.rendered), [
            "spec.cronSpec: Required value",
            #"spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number""#,
        ])
        XCTAssertEqual(SchemaValueValidator.validate(j(#"{"spec":{"cronSpec":"1","replicas":2.0,"free":{"any":[1]}}}"#), schema: schema), [])
        XCTAssertEqual(SchemaValueValidator.validate(j(#"{"spec":"x"}"#), schema: schema).map(\.field), ["spec"])
    }

    func testIntOrStringAndExclusiveBounds() {
        let s = j(#"{"type":"object","properties":{"port":{"x-kubernetes-int-or-string":true},"n":{"type":"number","minimum":0,"exclusiveMinimum":true,"multipleOf":0.5}}}"#)
        XCTAssertEqual(SchemaValueValidator.validate(j(#"{"port":"http","n":1.5}"#), schema: s), [])
        XCTAssertEqual(SchemaValueValidator.validate(j(#"{"port":true,"n":0}"#), schema: s).map(\.rendered), [
            #"port: Invalid value: "boolean": port in body must be of type integer,string: "boolean""#,
            "n: Invalid value: 0: n in body should be greater than 0",
        ])
        XCTAssertEqual(SchemaValueValidator.validate(j(#"{"n":0.7}"#), schema: s).map(\.message), ["Invalid value: 0.7: n in body should be a multiple of 0.5"])
    }

    func testAdmissionPrunesDefaultsAndValidatesCustomResources() throws {
        let crd = CRDView(sampleCRD())
        let type = CRDServing.resourceTypes(crd, names: crd.names).first { $0.version == "v1" }!
        let out = try CustomResourceAdmission.admit(j(#"{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a"},"spec":{"cronSpec":"1","junk":1}}"#),
                                                    old: nil, type: type, subresource: nil)
        XCTAssertEqual(out["spec"], j(#"{"cronSpec":"1","policy":"Allow"}"#))
        XCTAssertThrowsError(try CustomResourceAdmission.admit(j(#"{"metadata":{"name":"a"},"spec":{"replicas":0}}"#), old: nil, type: type, subresource: nil)) { e in
            let err = e as! APIError
            XCTAssertEqual(err.code, 422)
            XCTAssertEqual(err.kind, "CronTab")
            XCTAssertEqual(err.group, "stable.example.com")
            XCTAssertTrue(err.message.hasPrefix(#"CronTab.stable.example.com "a" is invalid: [spec.cronSpec: Required value, "#), err.message)
        }
        var terminating = type
        terminating.custom!.terminating = true
        XCTAssertThrowsError(try CustomResourceAdmission.admit(j(#"{"metadata":{"name":"b"},"spec":{"cronSpec":"1"}}"#), old: nil, type: terminating, subresource: nil)) { e in
            XCTAssertEqual((e as! APIError).code, 405)
        }
    }

    func testCatalogFormCarriesTypesRequiredAndGVK() {
        let crd = CRDView(sampleCRD())
        let type = CRDServing.resourceTypes(crd, names: crd.names).first { $0.version == "v1" }!
        let defs = CRDCatalogSchema.definitions(for: type)
        XCTAssertEqual(Set(defs.keys), ["com.example.stable.v1.CronTab", "com.example.stable.v1.CronTabList"])
        let root = defs["com.example.stable.v1.CronTab"]!
        XCTAssertEqual(root.gvks, [SchemaNode.GVK(group: "stable.example.com", version: "v1", kind: "CronTab")])
        XCTAssertEqual(root.property("metadata")?.ref, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
        XCTAssertEqual(root.property("spec")?.required, ["cronSpec"])
        XCTAssertTrue(root.property("spec")?.property("free")?.preservesUnknownFields == true)
        XCTAssertEqual(root.property("spec")?.property("labels")?.additionalProperties?.type, "string")
        XCTAssertEqual(defs["com.example.stable.v1.CronTabList"]!.property("items")?.items?.ref, "com.example.stable.v1.CronTab")
    }

    func testRegistrationUpdatesRegistryAndCatalogTogether() {
        let registry = ResourceRegistry.builtins()
        let catalog = SchemaCatalog(source: "")
        let crd = CRDView(sampleCRD())
        let types = CRDServing.resourceTypes(crd, names: crd.names)
        CustomResourceRegistration.apply(crdName: crd.name, types: types, registry: registry, catalog: catalog)
        XCTAssertEqual(registry.lookup(group: "stable.example.com", version: "v1", resource: "crontabs")?.kind, "CronTab")
        XCTAssertEqual(registry.versions(of: "stable.example.com"), ["v1", "v1beta1"])
        XCTAssertEqual(catalog.definitionName(group: "stable.example.com", version: "v1", kind: "CronTabList"), "com.example.stable.v1.CronTabList")
        CustomResourceRegistration.apply(crdName: crd.name, types: [], registry: registry, catalog: catalog)
        XCTAssertNil(registry.lookup(group: "stable.example.com", version: "v1", resource: "crontabs"))
        XCTAssertNil(catalog.definitionName(group: "stable.example.com", version: "v1", kind: "CronTab"))
        XCTAssertNil(catalog.definition("com.example.stable.v1.CronTab"))
        XCTAssertFalse(registry.groups.contains("stable.example.com"))
    }
}
