/// The remaining devices: controllers, serial console, guest-agent channel, VNC + video,
/// input, RNG, watchdog, panic device, memory balloon.
struct DeviceConfigurator {
    static func configure(spec: SpecNode, context: ConverterContext, efi: Bool,
                          needsSCSI: Bool, needsUSBForDisks: Bool) throws -> ([XMLElement], [String]) {
        let devices = spec["domain"]["devices"]
        var out: [XMLElement] = []
        var notes: [String] = []

        var inputs: [XMLElement] = []
        var needsUSB = needsUSBForDisks
        var inputNames = Set<String>()
        for input in try devices["inputs"].items() {
            let name = try input["name"].string() ?? ""
            guard !name.isEmpty, inputNames.insert(name).inserted else { throw input["name"].invalid("inputs need unique names") }
            let type = try input["type"].string() ?? "tablet"
            guard type == "tablet" else { throw input["type"].invalid("only tablet inputs are supported") }
            let bus = try input["bus"].string() ?? "usb"
            guard bus == "usb" || bus == "virtio" else { throw input["bus"].invalid("must be usb or virtio") }
            if bus == "usb" { needsUSB = true }
            inputs.append(XMLElement("input", [("type", type), ("bus", bus)], elements: [XMLElement("alias", [("name", "ua-" + name)])]))
        }

        // q35 would add a USB controller by default; KubeVirt turns it off unless something uses it.
        out.append(XMLElement("controller", [("type", "usb"), ("index", "0"), ("model", needsUSB ? "qemu-xhci" : "none")]))
        if needsSCSI {
            out.append(XMLElement("controller", [("type", "scsi"), ("index", "0"), ("model", "virtio-scsi")]))
        }
        out.append(XMLElement("controller", [("type", "virtio-serial"), ("index", "0")]))

        if try devices["autoattachSerialConsole"].bool() ?? true {
            var serial = XMLElement("serial", [("type", "pty")])
            if let log = context.serialLogPath { serial.append(XMLElement("log", [("file", log), ("append", "on")])) }
            serial.append(XMLElement("target", [("type", "isa-serial"), ("port", "0")], elements: [
                XMLElement("model", [("name", "isa-serial")]),
            ]))
            out.append(serial)
            out.append(XMLElement("console", [("type", "pty")], elements: [XMLElement("target", [("type", "serial"), ("port", "0")])]))
        }

        // libvirt picks the socket path and connects the guest agent channel itself.
        out.append(XMLElement("channel", [("type", "unix")], elements: [
            XMLElement("source", [("mode", "bind")]),
            XMLElement("target", [("type", "virtio"), ("name", "org.qemu.guest_agent.0")]),
        ]))

        out.append(contentsOf: inputs)
        if try devices["autoattachGraphicsDevice"].bool() ?? true {
            if let socket = context.vncSocketPath {
                out.append(XMLElement("graphics", [("type", "vnc")], elements: [
                    XMLElement("listen", [("type", "socket"), ("socket", socket)]),
                ]))
            } else {
                out.append(XMLElement("graphics", [("type", "vnc"), ("autoport", "yes"), ("listen", "127.0.0.1")], elements: [
                    XMLElement("listen", [("type", "address"), ("address", "127.0.0.1")]),
                ]))
            }
            // OVMF only drives simple framebuffers; SeaBIOS wants VGA.
            out.append(XMLElement("video", elements: [XMLElement("model", [("type", efi ? "bochs" : "vga"), ("heads", "1")])]))
        }

        let watchdog = devices["watchdog"]
        if watchdog.exists {
            let i6300 = watchdog["i6300esb"]
            guard i6300.exists else {
                throw DomainConversionError.unsupported(field: watchdog.path, message: "only the i6300esb watchdog is available")
            }
            let action = try i6300["action"].string() ?? "reset"
            guard ["poweroff", "reset", "shutdown"].contains(action) else {
                throw i6300["action"].invalid("must be one of poweroff, reset, shutdown")
            }
            var w = XMLElement("watchdog", [("model", "i6300esb"), ("action", action)])
            if let name = try watchdog["name"].string() { w.append(XMLElement("alias", [("name", "ua-" + name)])) }
            out.append(w)
        }

        out += try panicDevices(devices["panicDevices"], context: context, notes: &notes)

        if devices["rng"].exists {
            out.append(XMLElement("rng", [("model", "virtio")], elements: [
                XMLElement("backend", [("model", "random")], text: "/dev/urandom"),
            ]))
        }

        if try devices["autoattachMemBalloon"].bool() ?? true {
            out.append(XMLElement("memballoon", [("model", "virtio")], elements: [XMLElement("stats", [("period", "10")])]))
        } else {
            out.append(XMLElement("memballoon", [("model", "none")]))
        }

        for key in ["gpus", "hostDevices", "filesystems", "tpm", "sound", "clientPassthrough", "downwardMetrics"] where devices[key].exists {
            if let items = devices[key].value?.arrayValue, items.isEmpty { continue }
            notes.append("spec.domain.devices.\(key) ignored: not supported by Corral")
        }
        for key in ["blockMultiQueue", "networkInterfaceMultiqueue"] where try devices[key].bool() == true {
            notes.append("spec.domain.devices.\(key) ignored")
        }
        return (out, notes)
    }

    /// KubeVirt `panicDevices` (models isa, hyperv, pvpanic); without any, one ISA pvpanic device.
    /// The device lets a guest kernel report a panic: QEMU tells libvirt, which (with
    /// `<on_crash>destroy</on_crash>`) ends the domain with reason `crashed`, so the VMI fails
    /// instead of hanging (`panic=0`) or silently rebooting (`panic=-1`).
    static func panicDevices(_ node: SpecNode, context: ConverterContext, notes: inout [String]) throws -> [XMLElement] {
        let items = try node.items()
        if items.isEmpty { return [XMLElement("panic", [("model", "isa")])] }
        var models: [String] = []
        for item in items {
            let model = try item["model"].string() ?? "isa"
            switch model {
            case "isa":
                models.append("isa")
            case "hyperv":
                if context.emulation == .kvm {
                    models.append("hyperv")
                } else {
                    notes.append("\(item["model"].path): hyperv panic device needs KVM; using isa under TCG emulation")
                    models.append("isa")
                }
            case "pvpanic":
                // The PCI pvpanic model needs libvirt 9.1; the ISA device reports the same events.
                notes.append("\(item["model"].path): pvpanic (PCI) replaced by the isa pvpanic device")
                models.append("isa")
            default:
                throw item["model"].invalid("must be one of isa, hyperv, pvpanic")
            }
        }
        var seen = Set<String>()
        return models.filter { seen.insert($0).inserted }.map { XMLElement("panic", [("model", $0)]) }
    }
}
