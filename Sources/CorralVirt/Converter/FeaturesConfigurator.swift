/// `spec.domain.features` → `<features>` (ACPI, APIC, SMM, Hyper-V, KVM hiding, pvspinlock).
struct FeaturesConfigurator {
    /// KubeVirt Hyper-V feature names → libvirt element names.
    static let hypervNames: [(String, String)] = [
        ("relaxed", "relaxed"), ("vapic", "vapic"), ("spinlocks", "spinlocks"), ("vpindex", "vpindex"),
        ("runtime", "runtime"), ("synic", "synic"), ("synictimer", "stimer"), ("reset", "reset"),
        ("vendorid", "vendor_id"), ("frequencies", "frequencies"), ("reenlightenment", "reenlightenment"),
        ("tlbflush", "tlbflush"), ("ipi", "ipi"), ("evmcs", "evmcs"),
    ]

    static func configure(domain: SpecNode, context: ConverterContext, secureBoot: Bool) throws -> (XMLElement, [String]) {
        let f = domain["features"]
        var notes: [String] = []
        var el = XMLElement("features")
        // A feature given as `{}` is on; `enabled: false` turns it off.
        func enabled(_ node: SpecNode, default def: Bool) throws -> Bool {
            guard node.exists else { return def }
            return try node["enabled"].bool() ?? true
        }
        if try enabled(f["acpi"], default: true) { el.append(XMLElement("acpi")) }
        if try enabled(f["apic"], default: true) {
            var apic = XMLElement("apic")
            if try f["apic"]["endOfInterrupt"].bool() == true { apic.attributes.append(("eoi", "on")) }
            el.append(apic)
        }
        let hyperv = f["hyperv"]
        if hyperv.exists {
            if context.emulation == .tcg {
                notes.append("spec.domain.features.hyperv ignored under TCG emulation")
            } else {
                el.append(try hypervElement(hyperv))
            }
        }
        if try f["kvm"]["hidden"].bool() == true {
            if context.emulation == .kvm {
                el.append(XMLElement("kvm", elements: [XMLElement("hidden", [("state", "on")])]))
            } else {
                notes.append("spec.domain.features.kvm.hidden ignored under TCG emulation")
            }
        }
        if f["pvspinlock"].exists {
            let on = try f["pvspinlock"]["enabled"].bool() ?? true
            el.append(XMLElement("pvspinlock", [("state", on ? "on" : "off")]))
        }
        if try enabled(f["smm"], default: secureBoot) { el.append(XMLElement("smm", [("state", "on")])) }
        return (el, notes)
    }

    private static func hypervElement(_ hyperv: SpecNode) throws -> XMLElement {
        var el = XMLElement("hyperv", [("mode", "custom")])
        let known = Set(hypervNames.map(\.0))
        for (key, node) in try hyperv.members() where !known.contains(key) {
            throw node.invalid("unknown Hyper-V feature \"\(key)\"")
        }
        for (kv, lv) in hypervNames {
            let node = hyperv[kv]
            guard node.exists else { continue }
            let on = try node["enabled"].bool() ?? true
            var item = XMLElement(lv, [("state", on ? "on" : "off")])
            if on, kv == "spinlocks" {
                let retries = try node["spinlocks"].int() ?? 8191
                guard retries >= 4095 else { throw node["spinlocks"].invalid("must be at least 4095") }
                item.attributes.append(("retries", String(retries)))
            }
            if on, kv == "vendorid" {
                guard let id = try node["vendorid"].string(), (1...12).contains(id.count) else {
                    throw node["vendorid"].invalid("needs a vendor id of 1 to 12 characters")
                }
                item.attributes.append(("value", id))
            }
            el.append(item)
        }
        return el
    }
}
