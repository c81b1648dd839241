/// Per-type field validation for what Kubernetes and KubeVirt refuse.
/// Each validator returns field causes; an empty list means valid.
public enum TypeValidation {
    typealias Validator = (JSONValue) -> [FieldCause]

    static let validators: [String: Validator] = [
        "pods": { pod in podSpec(pod["spec"], path: "spec") },
        "services": service,
        "configmaps": configMap,
        "deployments.apps": workload,
        "replicasets.apps": workload,
        "statefulsets.apps": workload,
        "daemonsets.apps": workload,
        "virtualmachines.kubevirt.io": virtualMachine,
        "virtualmachineinstances.kubevirt.io": { vmi in vmiSpec(vmi["spec"], path: "spec") },
        "virtualmachineinstancereplicasets.kubevirt.io": vmiReplicaSet,
    ]

    /// Field problems of `obj` as a `type`.
    public static func validate(_ obj: JSONValue, type: ResourceType) -> [FieldCause] {
        validators[type.storageKey]?(obj) ?? []
    }

    static func podSpec(_ spec: JSONValue?, path: String) -> [FieldCause] {
        guard let spec, case .object = spec else { return [.required(path)] }
        var out: [FieldCause] = []
        let containers = spec["containers"]?.arrayValue ?? []
        if containers.isEmpty { out.append(.required("\(path).containers")) }
        var names = Set<String>()
        for (list, items) in [("containers", containers), ("initContainers", spec["initContainers"]?.arrayValue ?? [])] {
            for (i, c) in items.enumerated() {
                let p = "\(path).\(list)[\(i)]"
                let name = c["name"]?.stringValue ?? ""
                if name.isEmpty { out.append(.required("\(p).name")) } else {
                    for m in NameRule.dns1123Label.problems(name) { out.append(.invalid("\(p).name", .string(name), m)) }
                    if !names.insert(name).inserted { out.append(.duplicate("\(p).name", .string(name))) }
                }
                if (c["image"]?.stringValue ?? "").isEmpty { out.append(.required("\(p).image")) }
                for (j, port) in (c["ports"]?.arrayValue ?? []).enumerated() {
                    let v = port["containerPort"]?.intValue ?? 0
                    if !(1...65535).contains(v) {
                        out.append(.invalid("\(p).ports[\(j)].containerPort", port["containerPort"] ?? .int(0), "must be between 1 and 65535, inclusive"))
                    }
                }
            }
        }
        if let rp = spec["restartPolicy"]?.stringValue, !["Always", "OnFailure", "Never"].contains(rp) {
            out.append(.notSupported("\(path).restartPolicy", .string(rp), ["Always", "OnFailure", "Never"]))
        }
        return out
    }

    static func service(_ svc: JSONValue) -> [FieldCause] {
        var out: [FieldCause] = []
        let type = svc[path: ["spec", "type"]]?.stringValue ?? "ClusterIP"
        let types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
        if !types.contains(type) { out.append(.notSupported("spec.type", .string(type), types)) }
        let ports = svc[path: ["spec", "ports"]]?.arrayValue ?? []
        if ports.isEmpty && type != "ExternalName" && svc[path: ["spec", "clusterIP"]]?.stringValue != "None" {
            out.append(.required("spec.ports"))
        }
        for (i, p) in ports.enumerated() {
            let v = p["port"]?.intValue ?? 0
            if !(1...65535).contains(v) {
                out.append(.invalid("spec.ports[\(i)].port", p["port"] ?? .int(0), "must be between 1 and 65535, inclusive"))
            }
            if let np = p["nodePort"]?.intValue, !(30000...32767).contains(np) {
                out.append(.invalid("spec.ports[\(i)].nodePort", .int(np), "provided port is not in the valid range. The range of valid ports is 30000-32767"))
            }
            if ports.count > 1 && (p["name"]?.stringValue ?? "").isEmpty { out.append(.required("spec.ports[\(i)].name")) }
        }
        return out
    }

    static func configMap(_ cm: JSONValue) -> [FieldCause] {
        var out: [FieldCause] = []
        for (k, _) in cm["data"]?.objectValue ?? JSONObject() where !isConfigKey(k) {
            out.append(.invalid("data", .string(k), "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"))
        }
        return out
    }

    static func isConfigKey(_ k: String) -> Bool {
        !k.isEmpty && k.utf8.count <= 253 && k.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
    }

    static func workload(_ obj: JSONValue) -> [FieldCause] {
        var out: [FieldCause] = []
        guard let selector = obj[path: ["spec", "selector"]], case .object = selector else {
            return [.required("spec.selector")]
        }
        if let r = obj[path: ["spec", "replicas"]], let n = r.intValue, n < 0 {
            out.append(.invalid("spec.replicas", r, "must be greater than or equal to 0"))
        }
        let labels = LabelSelector.labels(of: obj[path: ["spec", "template"]] ?? [:])
        if let sel = try? LabelSelector(json: selector) {
            if sel.isEmpty { out.append(.invalid("spec.selector", selector, "empty selector is invalid for deployment")) }
            else if !sel.matches(labels) {
                out.append(.invalid("spec.template.metadata.labels", .object(JSONObject(labels.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })),
                                    "`selector` does not match template `labels`"))
            }
        } else {
            out.append(.invalid("spec.selector", selector, "invalid label selector"))
        }
        out += podSpec(obj[path: ["spec", "template", "spec"]], path: "spec.template.spec")
        return out
    }

    static func virtualMachine(_ vm: JSONValue) -> [FieldCause] {
        var out: [FieldCause] = []
        if vm[path: ["spec", "running"]] != nil, vm[path: ["spec", "runStrategy"]] != nil {
            out.append(FieldCause(reason: "FieldValueInvalid", field: "spec.running",
                                  message: "Invalid value: running and runStrategy are mutually exclusive. Note that Running is deprecated, please use RunStrategy instead"))
        }
        if let rs = vm[path: ["spec", "runStrategy"]]?.stringValue {
            let allowed = ["Always", "RerunOnFailure", "Manual", "Halted", "Once", "WaitAsReceiver"]
            if !allowed.contains(rs) { out.append(.notSupported("spec.runStrategy", .string(rs), allowed)) }
        }
        if vm[path: ["spec", "template"]] == nil { out.append(.required("spec.template")) }
        out += vmiSpec(vm[path: ["spec", "template", "spec"]], path: "spec.template.spec")
        return out
    }

    /// KubeVirt's `ValidateVMIRSSpec`: a template, a valid VMI spec in it, and a selector selecting its labels.
    static func vmiReplicaSet(_ rs: JSONValue) -> [FieldCause] {
        guard rs[path: ["spec", "template"]]?.objectValue != nil else {
            return [FieldCause(reason: "FieldValueRequired", field: "spec.template", message: VMIReplicaSetError.missingTemplate.description)]
        }
        var out = vmiSpec(rs[path: ["spec", "template", "spec"]], path: "spec.template.spec")
        do {
            let sel = try LabelSelector(json: rs[path: ["spec", "selector"]] ?? .null)
            if !sel.matches(LabelSelector.labels(of: rs[path: ["spec", "template"]] ?? [:])) {
                out.append(FieldCause(reason: "FieldValueInvalid", field: "spec.selector", message: VMIReplicaSetError.selectorMismatch.description))
            }
        } catch {
            out.append(FieldCause(reason: "FieldValueInvalid", field: "spec.selector", message: "\(error)"))
        }
        return out
    }

    static func vmiSpec(_ spec: JSONValue?, path: String) -> [FieldCause] {
        guard let spec else { return [] }
        var out: [FieldCause] = []
        let volumes = spec["volumes"]?.arrayValue ?? []
        let volumeNames = Set(volumes.compactMap { $0["name"]?.stringValue })
        for (i, d) in (spec[path: ["domain", "devices", "disks"]]?.arrayValue ?? []).enumerated() {
            let name = d["name"]?.stringValue ?? ""
            if !volumeNames.contains(name) {
                out.append(.invalid("\(path).domain.devices.disks[\(i)].name", .string(name), "disk \(name)'s volume name does not exist in volumes list"))
            }
        }
        for (i, v) in volumes.enumerated() {
            if let cd = v["containerDisk"], (cd["image"]?.stringValue ?? "").isEmpty {
                out.append(.required("\(path).volumes[\(i)].containerDisk.image", "containerDisk requires an image"))
            }
        }
        return out
    }
}
