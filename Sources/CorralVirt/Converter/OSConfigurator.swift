/// Machine type, firmware (BIOS / EFI / secure boot), direct kernel boot and SMBIOS.
struct OSConfigurator {
    struct Result {
        var os: XMLElement
        var sysinfo: XMLElement?
        var uuid: String
        var efi: Bool
        var secureBoot: Bool
        var notes: [String]
    }

    static func configure(spec: SpecNode, metadataUID: SpecNode, context: ConverterContext) throws -> Result {
        let domain = spec["domain"]
        let firmware = domain["firmware"]
        var notes: [String] = []

        let machineNode = domain["machine"]["type"]
        let machine = try machineNode.string() ?? "q35"
        guard !machine.isEmpty, machine.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw machineNode.invalid("\"\(machine)\" is not a machine type")
        }

        // KubeVirt's rule: firmware.uuid wins, else the VMI's UID identifies the guest.
        let uuidNode = firmware["uuid"].exists ? firmware["uuid"] : metadataUID
        guard let rawUUID = try uuidNode.string(), let uuid = normalizedUUID(rawUUID) else {
            throw uuidNode.invalid("must be a UUID (8-4-4-4-12 hex digits)")
        }

        var os = XMLElement("os")
        os.append(XMLElement("type", [("arch", "x86_64"), ("machine", machine)], text: "hvm"))

        let bootloader = firmware["bootloader"]
        let efiNode = bootloader["efi"]
        let efi = efiNode.exists
        var secureBoot = false
        if efi {
            if bootloader["bios"].exists { throw bootloader.invalid("only one of bios and efi may be set") }
            secureBoot = try efiNode["secureBoot"].bool() ?? true  // KubeVirt's default
            if secureBoot, try domain["features"]["smm"]["enabled"].bool() == false {
                throw domain["features"]["smm"]["enabled"].invalid("EFI secure boot requires SMM")
            }
            let (code, vars) = context.ovmf.files(secureBoot: secureBoot)
            try FirmwareCheck.require([code, vars], existing: context.existingFirmware, at: efiNode)
            os.append(XMLElement("loader", [("readonly", "yes"), ("secure", secureBoot ? "yes" : "no"), ("type", "pflash")], text: code))
            if let nvram = context.nvramPath {
                os.append(XMLElement("nvram", [("template", vars)], text: nvram))
            } else {
                os.append(XMLElement("nvram", [("template", vars)]))
            }
            if try efiNode["persistent"].bool() == true {
                notes.append("spec.domain.firmware.bootloader.efi.persistent: EFI variables live as long as the domain")
            }
        } else if try bootloader["bios"]["useSerial"].bool() == true {
            os.append(XMLElement("bios", [("useserial", "yes")]))
        }

        let kernelBoot = firmware["kernelBoot"]
        if kernelBoot.exists {
            let container = kernelBoot["container"]
            let kernelPath = try container["kernelPath"].string()
            let initrdPath = try container["initrdPath"].string()
            let args = try kernelBoot["kernelArgs"].string()
            if container.exists, kernelPath == nil, initrdPath == nil {
                throw container.invalid("kernelBoot container must name a kernelPath or an initrdPath")
            }
            if args != nil, kernelPath == nil {
                throw kernelBoot["kernelArgs"].invalid("kernelArgs need container.kernelPath")
            }
            if kernelPath != nil {
                guard let host = context.kernelPath else {
                    throw DomainConversionError.missingHostResource(field: container["kernelPath"].path, message: "kernel not extracted")
                }
                os.append(XMLElement("kernel", text: host))
            }
            if initrdPath != nil {
                guard let host = context.initrdPath else {
                    throw DomainConversionError.missingHostResource(field: container["initrdPath"].path, message: "initrd not extracted")
                }
                os.append(XMLElement("initrd", text: host))
            }
            if let args { os.append(XMLElement("cmdline", text: args)) }
        }
        os.append(XMLElement("smbios", [("mode", "sysinfo")]))

        var system = [
            XMLElement("entry", [("name", "manufacturer")], text: "Corral"),
            XMLElement("entry", [("name", "product")], text: "Corral VirtualMachine"),
            XMLElement("entry", [("name", "uuid")], text: uuid),
        ]
        if let serial = try firmware["serial"].string() {
            system.append(XMLElement("entry", [("name", "serial")], text: serial))
        }
        system.append(XMLElement("entry", [("name", "family")], text: "Corral"))
        let sysinfo = XMLElement("sysinfo", [("type", "smbios")], elements: [XMLElement("system", elements: system)])
        return Result(os: os, sysinfo: sysinfo, uuid: uuid, efi: efi, secureBoot: secureBoot, notes: notes)
    }

    /// Lower-cased canonical UUID, or nil when `text` is not one.
    static func normalizedUUID(_ text: String) -> String? {
        let s = text.lowercased()
        let groups = s.split(separator: "-", omittingEmptySubsequences: false)
        guard groups.map(\.count) == [8, 4, 4, 4, 12],
              groups.allSatisfy({ $0.allSatisfy { $0.isHexDigit } }) else { return nil }
        return s
    }
}
