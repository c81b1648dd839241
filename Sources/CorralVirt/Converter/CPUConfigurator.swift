/// `spec.domain.cpu` → vCPU topology and the `<cpu>` element.
struct CPUConfigurator {
    /// Upper bound on vCPUs; QEMU's q35 limit is far higher, but more than this is a typo here.
    static let maxVCPUs = 288

    struct Result {
        var topology: CPUTopology
        var element: XMLElement
        var notes: [String]
    }

    static func configure(domain: SpecNode, context: ConverterContext) throws -> Result {
        let cpu = domain["cpu"]
        var notes: [String] = []
        let topology = try topologyFor(domain: domain)
        if topology.count > context.hostCPUCount {
            notes.append("\(topology.count) vCPUs requested on a host with \(context.hostCPUCount) CPUs (overcommitted)")
        }
        if try cpu["dedicatedCpuPlacement"].bool() == true {
            notes.append("spec.domain.cpu.dedicatedCpuPlacement ignored: Corral does not pin vCPUs")
        }
        if try cpu["isolateEmulatorThread"].bool() == true {
            notes.append("spec.domain.cpu.isolateEmulatorThread ignored")
        }
        if cpu["numa"].exists { notes.append("spec.domain.cpu.numa ignored") }
        if cpu["realtime"].exists { notes.append("spec.domain.cpu.realtime ignored") }

        let model = try cpu["model"].string()
        var element: XMLElement
        switch (context.emulation, model) {
        case (.kvm, nil), (.kvm, "host-model"):
            element = XMLElement("cpu", [("mode", "host-model"), ("check", "partial")])
        case (.kvm, "host-passthrough"):
            element = XMLElement("cpu", [("mode", "host-passthrough"), ("check", "none"), ("migratable", "on")])
        case (.tcg, nil), (.tcg, "host-model"), (.tcg, "host-passthrough"):
            // host-* describe the physical CPU, which TCG does not expose; qemu64 boots any x86-64 guest.
            if let model { notes.append("spec.domain.cpu.model \(model) is unavailable under TCG emulation; using qemu64") }
            element = customModel("qemu64", check: "none")
        case (_, let named?):
            guard !named.isEmpty, named.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw cpu["model"].invalid("\"\(named)\" is not a CPU model name")
            }
            // Under TCG libvirt cannot check features against the host; let QEMU warn instead.
            element = customModel(named, check: context.emulation == .tcg ? "none" : "partial")
        }
        element.append(XMLElement("topology", [
            ("sockets", String(topology.sockets)), ("cores", String(topology.cores)), ("threads", String(topology.threads)),
        ]))
        for feature in try cpu["features"].items() {
            guard let name = try feature["name"].string(), !name.isEmpty else {
                throw feature["name"].invalid("a CPU feature needs a name")
            }
            let policy = try feature["policy"].string() ?? "require"
            guard ["force", "require", "optional", "disable", "forbid"].contains(policy) else {
                throw feature["policy"].invalid("must be one of force, require, optional, disable, forbid")
            }
            element.append(XMLElement("feature", [("policy", policy), ("name", name)]))
        }
        return Result(topology: topology, element: element, notes: notes)
    }

    private static func customModel(_ name: String, check: String) -> XMLElement {
        XMLElement("cpu", [("mode", "custom"), ("match", "exact"), ("check", check)], elements: [
            XMLElement("model", [("fallback", "allow")], text: name),
        ])
    }

    /// Explicit cores/sockets/threads win (missing ones count 1); otherwise the CPU
    /// limit or request becomes sockets, as KubeVirt does.
    static func topologyFor(domain: SpecNode) throws -> CPUTopology {
        let cpu = domain["cpu"]
        func positive(_ node: SpecNode) throws -> Int? {
            guard let v = try node.int() else { return nil }
            guard v >= 1, v <= Int64(maxVCPUs) else { throw node.invalid("must be between 1 and \(maxVCPUs)") }
            return Int(v)
        }
        let cores = try positive(cpu["cores"]), sockets = try positive(cpu["sockets"]), threads = try positive(cpu["threads"])
        var topology: CPUTopology
        if cores != nil || sockets != nil || threads != nil {
            topology = CPUTopology(sockets: sockets ?? 1, cores: cores ?? 1, threads: threads ?? 1)
        } else {
            var count = 1
            for key in ["limits", "requests"] {
                let node = domain["resources"][key]["cpu"]
                guard node.exists else { continue }
                let text: String
                if let i = node.value?.intValue { text = String(i) } else { text = try node.string() ?? "" }
                guard let n = MemoryConfigurator.wholeUnits(text), n >= 1 else { throw node.invalid("\"\(text)\" is not a CPU quantity") }
                count = Int(min(n, Int64(maxVCPUs) + 1))
                break
            }
            topology = CPUTopology(sockets: count, cores: 1, threads: 1)
        }
        guard topology.count <= maxVCPUs else {
            throw cpu.invalid("\(topology.count) vCPUs exceeds the maximum of \(maxVCPUs)")
        }
        return topology
    }
}
