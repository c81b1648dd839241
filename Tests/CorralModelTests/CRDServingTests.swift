import XCTest
@testable import CorralModel

private func j(_ s: String) -> JSONValue { try! JSONParser.parse(s) }

final class CRDServingTests: XCTestCase {
    func testServedVersionsBecomeTypesInPriorityOrder() {
        let crd = CRDView(sampleCRD())
        let types = CRDServing.resourceTypes(crd, names: crd.names)
        XCTAssertEqual(types.map(\.version), ["v1", "v1beta1"])
        let v1 = types[0]
        XCTAssertEqual(v1.storageKey, "crontabs.stable.example.com")
        XCTAssertEqual(v1.subresources, ["status", "scale"])
        XCTAssertEqual(v1.shortNames, ["ct"])
        XCTAssertEqual(v1.listKind, "CronTabList")
        XCTAssertEqual(v1.custom?.scale, ScaleSpec(specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas", labelSelectorPath: ".status.selector"))
        XCTAssertEqual(types[1].subresources, [])
        XCTAssertEqual(types[1].custom?.printerColumns, [CRDServing.defaultAgeColumn])
        XCTAssertTrue(CRDView(sampleCRD { $0.set(path: ["spec", "versions"], to: []) }).versions.isEmpty)
        XCTAssertEqual(CRDServing.resourceTypes(CRDView(sampleCRD { $0.set(path: ["spec", "versions"], to: []) }), names: crd.names), [])
    }

    func testKubeVersionOrder() {
        let sorted = ["foo10", "v1", "v11alpha2", "v10beta3", "v2", "foo1", "v12alpha1", "v3beta1", "v11beta2", "v10"]
            .sorted(by: CRDServing.versionPriority)
        XCTAssertEqual(sorted, ["v10", "v2", "v1", "v11beta2", "v10beta3", "v3beta1", "v12alpha1", "v11alpha2", "foo1", "foo10"])
    }

    func testNamesAcceptedAndEstablished() {
        let crd = CRDView(sampleCRD())
        let out = CRDView(CRDNaming.withStatus(crd, taken: CRDNaming.Claims(), now: "2026-01-01T00:00:01Z"))
        XCTAssertEqual(out.acceptedNames, crd.names)
        XCTAssertEqual(out.condition("NamesAccepted"), "True")
        XCTAssertEqual(out.condition("Established"), "True")
        XCTAssertEqual(out.storedVersions, ["v1"])
        // A second pass keeps transition times.
        let again = CRDNaming.withStatus(out, taken: CRDNaming.Claims(), now: "2026-01-01T09:00:00Z")
        XCTAssertEqual(again["status"], out.object["status"])
    }

    func testConflictsKeepNamesUnaccepted() {
        var taken = CRDNaming.Claims()
        taken.kinds = ["CronTab"]
        taken.resources = ["ct"]
        let (names, cond) = CRDNaming.acceptNames(CRDView(sampleCRD()), taken: taken)
        XCTAssertEqual(cond, CRDNaming.Condition(type: "NamesAccepted", status: "False", reason: "KindConflict", message: "\"CronTab\" is already in use"))
        XCTAssertEqual(names.plural, "crontabs")
        XCTAssertEqual(names.kind, "")
        XCTAssertEqual(names.shortNames, [])
        let established = CRDNaming.established(CRDView(sampleCRD()), namesAccepted: cond)
        XCTAssertEqual(established.status, "False")
        XCTAssertEqual(established.reason, "NotAccepted")
        // Built-in names in the same group are taken too.
        let builtin = CRDNaming.builtinClaims(ResourceRegistry.builtins().types, group: "kubevirt.io")
        XCTAssertTrue(builtin.resources.isSuperset(of: ["virtualmachines", "vm", "virtualmachine"]))
        XCTAssertTrue(builtin.kinds.contains("VirtualMachineList"))
    }

    func testRegistrySwapsAndNeverShadowsBuiltins() {
        let registry = ResourceRegistry.builtins()
        let custom = CustomResourceVersion(crdName: "virtualmachines.kubevirt.io", schema: nil, printerColumns: [], scale: nil,
                                           storageVersion: "v1", terminating: false, fingerprint: "x")
        registry.setCustomTypes([ResourceType(group: "kubevirt.io", version: "v1", kind: "Fake", resource: "virtualmachines", custom: custom),
                                 ResourceType(group: "kubevirt.io", version: "v9", kind: "Fake", resource: "virtualmachines", custom: custom)],
                                forCRD: "virtualmachines.kubevirt.io")
        XCTAssertEqual(registry.lookup(group: "kubevirt.io", version: "v1", resource: "virtualmachines")?.kind, "VirtualMachine")
        XCTAssertEqual(registry.lookup(group: "kubevirt.io", version: "v9", resource: "virtualmachines")?.kind, "Fake")
        XCTAssertEqual(registry.customTypes(forCRD: "virtualmachines.kubevirt.io").map(\.version), ["v9"])
        registry.setCustomTypes([], forCRD: "virtualmachines.kubevirt.io")
        XCTAssertNil(registry.lookup(group: "kubevirt.io", version: "v9", resource: "virtualmachines"))
        XCTAssertNotNil(registry.lookup(apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition"))
    }

    func testJSONPathSubset() {
        let obj = j(#"{"spec":{"a":{"b":3},"list":[{"n":"x"},{"n":"y"}],"dotted.key":"d"},"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Synced","status":"False"}]}}"#)
        func eval(_ p: String) -> [JSONValue] { PrinterJSONPath(p)!.evaluate(obj) }
        XCTAssertEqual(eval(".spec.a.b"), [3])
        XCTAssertEqual(eval("{.spec.list[1].n}"), ["y"])
        XCTAssertEqual(eval(".spec.list[-1].n"), ["y"])
        XCTAssertEqual(eval(".spec.list[*].n"), ["x", "y"])
        XCTAssertEqual(eval(".spec['dotted.key']"), ["d"])
        XCTAssertEqual(eval(#".status.conditions[?(@.type=="Ready")].status"#), ["True"])
        XCTAssertEqual(eval(".status.conditions[?(@.type=='Synced')].status"), ["False"])
        XCTAssertEqual(eval(".status.conditions[?(@.type!='Synced')].type"), ["Ready"])
        XCTAssertEqual(eval(".spec.missing.x"), [])
        XCTAssertNil(PrinterJSONPath("spec.a"))
        XCTAssertNil(PrinterJSONPath(".spec[?(@.a ~ 1)]"))
    }

    func testTableForCustomResourcesAndCRDs() {
        let crd = CRDView(sampleCRD())
        let types = CRDServing.resourceTypes(crd, names: crd.names)
        let obj = j(#"{"metadata":{"name":"c","creationTimestamp":"2026-01-01T00:00:00Z"},"spec":{"cronSpec":"*/5","replicas":"3"}}"#)
        let now = ObjectLifecycle.parseTimestamp("2026-01-01T00:02:00Z")!
        let table = TablePrinter.table(type: types[0], objects: [obj], now: now, includeObject: "None", listMeta: nil)
        XCTAssertEqual(table["columnDefinitions"]?.arrayValue?.map { $0["name"]!.stringValue! }, ["Name", "Spec", "Replicas"])
        XCTAssertEqual(table["columnDefinitions"]?.arrayValue?[2]["priority"], 1)
        XCTAssertEqual(table["columnDefinitions"]?.arrayValue?[1]["description"], "Custom resource definition column (in JSONPath format): .spec.cronSpec")
        // A string where an integer is declared is a null cell, as in kube.
        XCTAssertEqual(table["rows"]?.arrayValue?.first?["cells"], ["c", "*/5", nil])
        let def = TablePrinter.table(type: types[1], objects: [obj], now: now, includeObject: "None", listMeta: nil)
        XCTAssertEqual(def["rows"]?.arrayValue?.first?["cells"], ["c", "2m"])
        let crdType = ResourceRegistry.builtins().lookup(storageKey: "customresourcedefinitions.apiextensions.k8s.io")!
        let crdTable = TablePrinter.table(type: crdType, objects: [sampleCRD()], now: now, includeObject: "None", listMeta: nil)
        XCTAssertEqual(crdTable["columnDefinitions"]?.arrayValue?.map { $0["name"]!.stringValue! }, ["Name", "Created At"])
        XCTAssertEqual(crdTable["rows"]?.arrayValue?.first?["cells"], ["crontabs.stable.example.com", "2026-01-01T00:00:00Z"])
    }

    func testScaleThroughDeclaredPaths() {
        let spec = ScaleSpec(specReplicasPath: ".spec.size", statusReplicasPath: ".status.ready", labelSelectorPath: ".status.sel")
        let obj = j(#"{"metadata":{"name":"c","namespace":"n","uid":"u","resourceVersion":"5"},"spec":{"size":2},"status":{"ready":1,"sel":"a=b"}}"#)
        let scale = CustomResourceScale.scale(of: obj, spec: spec)
        XCTAssertEqual(scale["spec"], ["replicas": 2])
        XCTAssertEqual(scale["status"], ["replicas": 1, "selector": "a=b"])
        XCTAssertEqual(scale[path: ["metadata", "resourceVersion"]], "5")
        XCTAssertEqual(CustomResourceScale.settingReplicas(obj, 7, spec: spec)[path: ["spec", "size"]], 7)
        XCTAssertEqual(CustomResourceScale.scale(of: j(#"{"metadata":{"name":"c"}}"#), spec: spec)["status"], ["replicas": 0])
    }
}
