/// `spec.domain.devices.interfaces` + `spec.networks` → `<interface type='ethernet'>` on the
/// tap devices the network plan created. Bridge and masquerade bindings look the same to
/// QEMU (a tap); they differ in how CorralNetwork wires the tap, which it reads from the spec.
struct InterfaceConfigurator {
    static let models = ["virtio", "e1000", "e1000e", "rtl8139", "pcnet", "ne2k_pci"]

    struct Result {
        var interfaces: [XMLElement]
        var notes: [String]
    }

    /// The interfaces a VMI ends up with, including KubeVirt's implicit `default` pod interface.
    static func effectiveInterfaces(spec: SpecNode) throws -> (interfaces: [SpecNode], networks: [String: SpecNode]) {
        var networks: [String: SpecNode] = [:]
        for n in try spec["networks"].items() {
            guard let name = try n["name"].string(), !name.isEmpty else { throw n["name"].invalid("a network needs a name") }
            guard networks[name] == nil else { throw n["name"].invalid("duplicate network name \"\(name)\"") }
            guard n["pod"].exists || n["multus"].exists else { throw n.invalid("network \"\(name)\" needs pod or multus") }
            networks[name] = n
        }
        var interfaces = try spec["domain"]["devices"]["interfaces"].items()
        let autoattach = try spec["domain"]["devices"]["autoattachPodInterface"].bool() ?? true
        if interfaces.isEmpty, networks.isEmpty, autoattach {
            let path = "spec.domain.devices.interfaces[0]"
            interfaces = [SpecNode(["name": "default", "masquerade": [:]], path: path)]
            networks["default"] = SpecNode(["name": "default", "pod": [:]], path: "spec.networks[0]")
        }
        return (interfaces, networks)
    }

    static func configure(spec: SpecNode, context: ConverterContext, bootOrders: inout Set<Int64>) throws -> Result {
        let (interfaces, networks) = try effectiveInterfaces(spec: spec)
        var result = Result(interfaces: [], notes: [])
        var seen = Set<String>()
        for i in interfaces {
            guard let name = try i["name"].string(), !name.isEmpty else { throw i["name"].invalid("an interface needs a name") }
            guard seen.insert(name).inserted else { throw i["name"].invalid("duplicate interface name \"\(name)\"") }
            guard let network = networks[name] else {
                throw i["name"].invalid("interface \"\(name)\" has no network of that name in spec.networks")
            }
            let bindings = ["bridge", "masquerade", "slirp", "sriov", "passt", "macvtap", "binding"].filter { i[$0].exists }
            guard bindings.count <= 1 else { throw i.invalid("only one binding method may be set") }
            let binding = bindings.first ?? "bridge"
            guard binding == "bridge" || binding == "masquerade" else {
                throw DomainConversionError.unsupported(field: i[binding].path, message: "interface binding \"\(binding)\"")
            }
            if binding == "masquerade", !network["pod"].exists {
                throw i["masquerade"].invalid("masquerade is only allowed on the pod network")
            }
            guard let tap = context.tapDevices[name] else {
                throw DomainConversionError.missingHostResource(field: i.path, message: "interface \"\(name)\" has no tap device")
            }
            var el = XMLElement("interface", [("type", "ethernet")])
            if let mac = try i["macAddress"].string() ?? context.macAddresses[name] {
                guard let normalized = normalizedMAC(mac) else { throw i["macAddress"].invalid("\"\(mac)\" is not a MAC address") }
                el.append(XMLElement("mac", [("address", normalized)]))
            }
            el.append(XMLElement("target", [("dev", tap), ("managed", "no")]))
            let model = try i["model"].string() ?? "virtio"
            guard models.contains(model) else {
                throw i["model"].invalid("unsupported model \"\(model)\" (use one of \(models.joined(separator: ", ")))")
            }
            el.append(XMLElement("model", [("type", model)]))
            if let mtu = context.interfaceMTU { el.append(XMLElement("mtu", [("size", String(mtu))])) }
            if let order = try i["bootOrder"].int() {
                guard order >= 1 else { throw i["bootOrder"].invalid("must be 1 or greater") }
                guard bootOrders.insert(order).inserted else {
                    throw i["bootOrder"].invalid("boot order \(order) is used by another device")
                }
                el.append(XMLElement("boot", [("order", String(order))]))
            } else {
                // Without this, iPXE ROMs slow every boot and KubeVirt disables them too.
                el.append(XMLElement("rom", [("enabled", "no")]))
            }
            el.append(XMLElement("alias", [("name", "ua-" + name)]))
            if let pci = try i["pciAddress"].string() { el.append(try PCIAddress.element(pci, node: i["pciAddress"])) }
            if i["ports"].exists, binding == "bridge" {
                result.notes.append("\(i.path).ports only apply to masquerade; ignored")
            }
            result.interfaces.append(el)
        }
        return result
    }

    /// Lower-case colon form of a unicast MAC (`02:00:00:aa:bb:cc`), or nil.
    static func normalizedMAC(_ text: String) -> String? {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }),
              let first = UInt8(parts[0], radix: 16), first & 1 == 0 else { return nil }
        return parts.map { $0.lowercased() }.joined(separator: ":")
    }
}
