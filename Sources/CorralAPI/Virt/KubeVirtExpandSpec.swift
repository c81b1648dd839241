import CorralModel

/// KubeVirt's expand-spec: a VM with its instancetype and preference folded
/// into the template. Corral serves no instancetypes, so a VM that names none
/// comes back as is, and one that names one is refused.
enum KubeVirtExpandSpec {
    /// The expanded VM; `failure` builds the error for a VM that references an
    /// instancetype or preference (virt-api: InternalError for a stored VM, BadRequest for a posted one).
    static func expanded(_ vm: JSONValue, failure: (String) -> APIError) throws -> JSONValue {
        for field in ["instancetype", "preference"] {
            if let ref = vm[path: ["spec", field]], !ref.isNull {
                let name = ref["name"]?.stringValue ?? ""
                throw failure("cannot expand spec.\(field) \"\(name)\": instancetypes and preferences are not supported by corral")
            }
        }
        return vm
    }

    /// PUT namespaces/NS/expand-vm-spec with a VirtualMachine body.
    static func expand(body: [UInt8], namespace: String) throws -> HTTPResponse {
        if body.isEmpty { throw APIError.badRequest("empty request body") }
        let vm: JSONValue
        do { vm = try JSONParser.parse(body) } catch {
            throw APIError.badRequest("Can not unmarshal Request body to struct, error: \(error)")
        }
        var causes: [String] = []
        if vm.objectValue == nil { causes.append("the body is not a JSON object") }
        if let kind = vm["kind"], kind.stringValue != "VirtualMachine" { causes.append(".kind in body should be VirtualMachine, got \(kind.jsonString())") }
        if vm["spec"]?.objectValue == nil { causes.append(".spec in body is required") }
        if !causes.isEmpty {
            throw APIError.badRequest("Object is not a valid VirtualMachine", causes: causes.map { FieldCause(reason: "", field: "", message: $0) })
        }
        if let ns = vm[path: ["metadata", "namespace"]]?.stringValue, !ns.isEmpty, ns != namespace {
            throw APIError.badRequest("VM namespace must be empty or \(namespace)")
        }
        var out = try expanded(vm, failure: { APIError.badRequest($0) })
        out.set(path: ["metadata", "namespace"], to: .string(namespace))
        return try APIServer.json(200, out)
    }
}
