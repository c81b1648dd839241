import XCTest
@testable import CorralModel

private func parse(_ s: String) -> JSONValue { (try? JSONParser.parse(s)) ?? .null }

/// The generated schema table and its OpenAPI v3 rendering.
final class SchemaCatalogTests: XCTestCase {
    let catalog = SchemaCatalog.shared

    func testEveryRegisteredKindHasItsSchema() {
        for t in ResourceRegistry.builtins().types {
            guard let name = catalog.definitionName(group: t.group, version: t.version, kind: t.kind),
                  let node = catalog.definition(name) else {
                XCTFail("no schema for \(t.apiVersion) \(t.kind)")
                continue
            }
            XCTAssertTrue(node.gvks.contains(SchemaNode.GVK(group: t.group, version: t.version, kind: t.kind)),
                          "\(name) lacks its x-kubernetes-group-version-kind")
            XCTAssertNotNil(node.property("metadata"), "\(name) has no metadata")
            XCTAssertNotNil(node.property("apiVersion"), "\(name) has no apiVersion")
            if t.verbs.contains("list") {
                let list = catalog.schema(group: t.group, version: t.version, kind: t.listKind)
                XCTAssertNotNil(list?.property("items"), "no \(t.listKind) schema")
            }
        }
    }

    func testNoDanglingReferences() {
        let all = catalog.definitionNames
        XCTAssertGreaterThan(all.count, 300)
        XCTAssertEqual(catalog.closure(of: all), all, "every reference names a definition in the table")
    }

    func testPodContainerFacts() throws {
        let spec = try XCTUnwrap(catalog.definition("io.k8s.api.core.v1.PodSpec"))
        let containers = try XCTUnwrap(spec.property("containers"))
        XCTAssertEqual(containers.type, "array")
        XCTAssertEqual(containers.listMapKeys, ["name"])
        XCTAssertEqual(containers.extensions["patch-merge-key"], "name")
        XCTAssertEqual(containers.extensions["patch-strategy"], "merge")
        XCTAssertEqual(containers.items?.ref, "io.k8s.api.core.v1.Container")
        XCTAssertTrue(spec.required.contains("containers"))
        let container = try XCTUnwrap(catalog.definition("io.k8s.api.core.v1.Container"))
        let resources = try XCTUnwrap(container.property("resources"))
        XCTAssertEqual(resources.ref, "io.k8s.api.core.v1.ResourceRequirements")
        XCTAssertTrue(resources.description?.hasPrefix("Compute Resources required by this container") == true, resources.description ?? "nil")
        let ports = try XCTUnwrap(container.property("ports"))
        XCTAssertEqual(ports.listMapKeys, ["containerPort", "protocol"])
    }

    func testKubeVirtDiskPath() throws {
        var node = try XCTUnwrap(catalog.schema(group: "kubevirt.io", version: "v1", kind: "VirtualMachine"))
        for step in ["spec", "template", "spec", "domain", "devices", "disks"] {
            node = try XCTUnwrap(catalog.resolve(node).property(step), "no \(step)")
        }
        XCTAssertEqual(node.type, "array")
        let disk = catalog.resolve(try XCTUnwrap(node.items))
        XCTAssertEqual(disk.required, ["name"])
        XCTAssertNotNil(disk.property("bootOrder"))
        XCTAssertEqual(catalog.resolve(try XCTUnwrap(disk.property("disk"))).property("bus")?.type, "string")
        // DataVolume templates use CDI's own definitions; core types are Kubernetes 1.32's.
        let dvt = try XCTUnwrap(catalog.definition("io.kubevirt.v1.DataVolumeTemplateSpec"))
        XCTAssertEqual(dvt.property("spec")?.ref, "io.kubevirt.cdi.v1beta1.DataVolumeSpec")
        XCTAssertEqual(catalog.definitionName(group: "cdi.kubevirt.io", version: "v1beta1", kind: "DataVolume"),
                       "io.kubevirt.cdi.v1beta1.DataVolume")
    }

    func testWellKnownTypesKeepTheirV3Form() throws {
        let ios = try XCTUnwrap(catalog.definition("io.k8s.apimachinery.pkg.util.intstr.IntOrString"))
        XCTAssertEqual(ios.format, "int-or-string")
        XCTAssertEqual(Set(ios.oneOf.compactMap(\.type)), ["integer", "string"])
        let q = try XCTUnwrap(catalog.definition("io.k8s.apimachinery.pkg.api.resource.Quantity"))
        XCTAssertEqual(Set(q.oneOf.compactMap(\.type)), ["number", "string"])
        // The JSON-schema source's additions are stripped: no enum on kind, no nullable types.
        let pod = try XCTUnwrap(catalog.definition("io.k8s.api.core.v1.Pod"))
        XCTAssertTrue(pod.property("kind")?.enumValues.isEmpty == true)
        XCTAssertEqual(pod.property("kind")?.type, "string")
    }

    func testRenderWrapsDescribedReferencesInAllOf() throws {
        let node = SchemaNode(parse(#"{"d":"Spec.","$":"a.B"}"#))
        XCTAssertEqual(OpenAPISchemaRenderer.render(node), parse(##"{"allOf":[{"$ref":"#/components/schemas/a.B"}],"description":"Spec."}"##))
        XCTAssertEqual(OpenAPISchemaRenderer.render(SchemaNode(parse(#"{"$":"a.B"}"#))), parse(##"{"$ref":"#/components/schemas/a.B"}"##))
        let top = SchemaNode(parse(#"{"t":"object","p":{"n":{"t":"integer","f":"int32"}},"r":["n"],"g":[["apps","v1","X"]],"x":{"list-type":"atomic"}}"#))
        let rendered = OpenAPISchemaRenderer.render(top)
        XCTAssertEqual(rendered["x-kubernetes-group-version-kind"], parse(#"[{"group":"apps","kind":"X","version":"v1"}]"#))
        XCTAssertEqual(rendered["x-kubernetes-list-type"], "atomic")
        XCTAssertEqual(rendered[path: ["properties", "n", "format"]], "int32")
        XCTAssertEqual(rendered["required"], ["n"])
        XCTAssertEqual(rendered.objectValue?.keys, rendered.objectValue?.keys.sorted(), "keys in kube's alphabetical order")
    }

    func testComponentsCarryTheClosure() {
        let schemas = OpenAPISchemaRenderer.components(["io.k8s.api.apps.v1.Deployment"])
        for name in ["io.k8s.api.apps.v1.Deployment", "io.k8s.api.core.v1.PodTemplateSpec", "io.k8s.api.core.v1.Container",
                     "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "io.k8s.apimachinery.pkg.api.resource.Quantity"] {
            XCTAssertNotNil(schemas[name], name)
        }
        XCTAssertNil(schemas["io.kubevirt.v1.VirtualMachine"])
        // Every $ref in the rendered set resolves inside it.
        var refs: [String] = []
        func collect(_ v: JSONValue) {
            switch v {
            case .object(let o): for (k, x) in o { if k == "$ref", let s = x.stringValue { refs.append(s) } else { collect(x) } }
            case .array(let a): a.forEach(collect)
            default: break
            }
        }
        collect(.object(schemas))
        XCTAssertFalse(refs.isEmpty)
        for r in refs { XCTAssertNotNil(schemas[String(r.dropFirst(OpenAPISchemaRenderer.refPrefix.count))], r) }
    }

    func testCatalogFromASmallTable() {
        let c = SchemaCatalog(source: "K\tg\tv1\tT\tt.T\nD\tt.T\t{\"t\":\"object\",\"p\":{\"a\":{\"$\":\"t.A\"}}}\nD\tt.A\t{\"t\":\"string\"}\n")
        XCTAssertEqual(c.definitionName(group: "g", version: "v1", kind: "T"), "t.T")
        XCTAssertNil(c.definitionName(group: "g", version: "v1", kind: "U"))
        XCTAssertEqual(c.closure(of: ["t.T"]), ["t.A", "t.T"])
        XCTAssertEqual(c.resolve(c.definition("t.T")!.property("a")!).type, "string")
    }
}
