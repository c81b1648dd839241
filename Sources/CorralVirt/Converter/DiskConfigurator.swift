/// `spec.domain.devices.disks` + `spec.volumes` → `<disk>` elements and the controllers they need.
struct DiskConfigurator {
    struct Result {
        var disks: [XMLElement]
        var needsSCSI: Bool
        var needsUSB: Bool
        var bootOrders: Set<Int64>
        var notes: [String]
    }

    static let buses = ["virtio", "sata", "scsi", "usb"]

    static func configure(spec: SpecNode, catalog: VolumeCatalog, context: ConverterContext) throws -> Result {
        let disksNode = spec["domain"]["devices"]["disks"]
        var result = Result(disks: [], needsSCSI: false, needsUSB: false, bootOrders: [], notes: [])
        var seen = Set<String>()
        var counters: [String: Int] = [:]  // per target prefix ("vd", "sd")
        var items: [(SpecNode, String)] = []
        for d in try disksNode.items() {
            guard let name = try d["name"].string(), !name.isEmpty else { throw d["name"].invalid("a disk needs a name") }
            guard seen.insert(name).inserted else { throw d["name"].invalid("duplicate disk name \"\(name)\"") }
            guard catalog.entries[name] != nil else {
                throw d["name"].invalid("disk references volume \"\(name)\" which is not defined")
            }
            items.append((d, name))
        }
        // KubeVirt attaches a volume without a disk as a virtio disk.
        for name in catalog.order where !seen.contains(name) {
            items.append((SpecNode(nil, path: catalog.entries[name]!.node.path), name))
            result.notes.append("volume \"\(name)\" has no disk; attached as a virtio disk")
        }
        for (d, name) in items {
            let entry = catalog.entries[name]!
            result.disks.append(try disk(d, volume: entry, name: name, context: context, counters: &counters, result: &result))
        }
        return result
    }

    private static func disk(_ d: SpecNode, volume: VolumeCatalog.Entry, name: String, context: ConverterContext,
                             counters: inout [String: Int], result: inout Result) throws -> XMLElement {
        let types = ["disk", "cdrom", "lun"].filter { d[$0].exists }
        guard types.count <= 1 else { throw d.invalid("only one of disk, cdrom and lun may be set") }
        let device = types.first ?? "disk"
        let dev = d[device]
        let bus = try dev["bus"].string() ?? (device == "disk" ? "virtio" : device == "cdrom" ? "sata" : "scsi")
        guard buses.contains(bus) else { throw dev["bus"].invalid("unsupported bus \"\(bus)\" (use one of \(buses.joined(separator: ", ")))") }
        if device == "cdrom", bus == "virtio" { throw dev["bus"].invalid("a cdrom cannot use the virtio bus") }
        if device == "lun", bus != "scsi" { throw dev["bus"].invalid("a lun must use the scsi bus") }
        if bus == "scsi" { result.needsSCSI = true }
        if bus == "usb" { result.needsUSB = true }

        guard let host = context.volumes[name] else {
            throw DomainConversionError.missingHostResource(field: volume.node.path, message: "volume \"\(name)\" has no host path")
        }
        if device == "lun", !host.isBlockDevice {
            throw dev.invalid("a lun needs a block device, but volume \"\(name)\" is a file")
        }

        let prefix = bus == "virtio" ? "vd" : "sd"
        let index = counters[prefix, default: 0]
        counters[prefix] = index + 1

        var el = XMLElement("disk", [("type", host.isBlockDevice ? "block" : "file"), ("device", device)])
        var driver: [(String, String)] = [("name", "qemu"), ("type", host.format.rawValue)]
        let cache = try d["cache"].string()
        if let cache {
            guard ["none", "writethrough", "writeback"].contains(cache) else {
                throw d["cache"].invalid("must be one of none, writethrough, writeback")
            }
            driver.append(("cache", cache))
        }
        if let io = try d["io"].string() {
            guard ["native", "threads"].contains(io) else { throw d["io"].invalid("must be native or threads") }
            // QEMU only accepts native AIO together with O_DIRECT.
            if io == "native", cache != "none" {
                result.notes.append("\(d.path).io native needs cache none; using threads")
                driver.append(("io", "threads"))
            } else {
                driver.append(("io", io))
            }
        }
        if let policy = try d["errorPolicy"].string() {
            guard ["stop", "ignore", "report", "enospace"].contains(policy) else {
                throw d["errorPolicy"].invalid("must be one of stop, ignore, report, enospace")
            }
            driver.append(("error_policy", policy))
        }
        if try d["dedicatedIOThread"].bool() == true {
            result.notes.append("\(d.path).dedicatedIOThread ignored")
        }
        el.append(XMLElement("driver", driver))
        el.append(XMLElement("source", [(host.isBlockDevice ? "dev" : "file", host.path)]))
        el.append(XMLElement("target", [("dev", prefix + driveLetters(index)), ("bus", bus)]))
        if let order = try d["bootOrder"].int() {
            guard order >= 1 else { throw d["bootOrder"].invalid("must be 1 or greater") }
            guard result.bootOrders.insert(order).inserted else {
                throw d["bootOrder"].invalid("boot order \(order) is used by another device")
            }
            el.append(XMLElement("boot", [("order", String(order))]))
        }
        let pvcReadOnly = try volume.node["persistentVolumeClaim"]["readOnly"].bool() == true
            || (try volume.node["hostDisk"]["readOnly"].bool()) == true
        let readonly = try dev["readonly"].bool() ?? (device == "cdrom" || volume.kind.isGeneratedISO || pvcReadOnly)
        if readonly { el.append(XMLElement("readonly")) }
        if try d["shareable"].bool() == true { el.append(XMLElement("shareable")) }
        if let serial = try d["serial"].string() {
            guard serial.count <= 36, serial.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw d["serial"].invalid("must be up to 36 characters of letters, digits, - _ .")
            }
            el.append(XMLElement("serial", text: serial))
        }
        let block = d["blockSize"]["custom"]
        if block.exists {
            let logical = try block["logical"].int() ?? 512, physical = try block["physical"].int() ?? logical
            for (v, node) in [(logical, block["logical"]), (physical, block["physical"])] where v < 512 || v > 65536 || v & (v - 1) != 0 {
                throw node.invalid("must be a power of two between 512 and 65536")
            }
            el.append(XMLElement("blockio", [("logical_block_size", String(logical)), ("physical_block_size", String(physical))]))
        }
        el.append(XMLElement("alias", [("name", "ua-" + name)]))
        if let pci = try dev["pciAddress"].string() {
            guard bus == "virtio" else { throw dev["pciAddress"].invalid("a PCI address needs the virtio bus") }
            el.append(try PCIAddress.element(pci, node: dev["pciAddress"]))
        }
        return el
    }

    /// 0 → "a", 25 → "z", 26 → "aa": the suffixes Linux gives to disks.
    static func driveLetters(_ index: Int) -> String {
        var n = index, out = ""
        repeat {
            out = String(UnicodeScalar(UInt8(97 + n % 26))) + out
            n = n / 26 - 1
        } while n >= 0
        return out
    }
}

/// Parses `dddd:bb:ss.f` PCI addresses into libvirt `<address>` elements.
enum PCIAddress {
    static func element(_ text: String, node: SpecNode) throws -> XMLElement {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "." }).map(String.init)
        let limits: [UInt32] = [0xFFFF, 0xFF, 0x1F, 0x7]
        guard parts.count == 4, let values = Optional(parts.compactMap { UInt32($0, radix: 16) }), values.count == 4,
              zip(values, limits).allSatisfy({ $0 <= $1 }) else {
            throw node.invalid("\"\(text)\" is not a PCI address (dddd:bb:ss.f)")
        }
        func hex(_ v: UInt32, _ width: Int) -> String {
            let s = String(v, radix: 16)
            return "0x" + String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return XMLElement("address", [("type", "pci"), ("domain", hex(values[0], 4)), ("bus", hex(values[1], 2)),
                                      ("slot", hex(values[2], 2)), ("function", hex(values[3], 1))])
    }
}
