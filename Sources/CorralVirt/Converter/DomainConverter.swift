import CorralModel

/// Turns a KubeVirt VirtualMachineInstance into a libvirt domain. Pure: everything
/// host-specific arrives in `ConverterContext`, so the same input always gives the same XML.
public enum DomainConverter {
    /// Converts a VMI (the whole object: metadata + spec) into a domain plan.
    /// Throws `DomainConversionError` naming the offending KubeVirt field.
    public static func convert(vmi: JSONValue, context: ConverterContext) throws -> DomainSpec {
        let root = SpecNode(vmi, path: "")
        let meta = root["metadata"]
        let spec = root["spec"]
        guard let name = try meta["name"].string(), !name.isEmpty else { throw meta["name"].invalid("the VMI needs a name") }
        let namespace = try meta["namespace"].string() ?? "default"
        guard let uid = try meta["uid"].string(), !uid.isEmpty else { throw meta["uid"].invalid("the VMI has no uid yet") }
        guard spec.isObject, spec["domain"].isObject else { throw spec["domain"].invalid("spec.domain is required") }
        let domain = spec["domain"]

        var notes: [String] = []
        let cpu = try CPUConfigurator.configure(domain: domain, context: context)
        notes += cpu.notes
        let memory = try MemoryConfigurator.configure(domain: domain)
        notes += memory.notes
        let os = try OSConfigurator.configure(spec: spec, metadataUID: meta["uid"], context: context)
        notes += os.notes
        let (features, featureNotes) = try FeaturesConfigurator.configure(domain: domain, context: context, secureBoot: os.secureBoot)
        notes += featureNotes
        let (clock, clockNotes) = try ClockConfigurator.configure(domain: domain, context: context)
        notes += clockNotes

        let catalog = try VolumeCatalog(spec: spec)
        var disks = try DiskConfigurator.configure(spec: spec, catalog: catalog, context: context)
        notes += disks.notes
        let nics = try InterfaceConfigurator.configure(spec: spec, context: context, bootOrders: &disks.bootOrders)
        notes += nics.notes
        let (other, deviceNotes) = try DeviceConfigurator.configure(
            spec: spec, context: context, efi: os.efi, needsSCSI: disks.needsSCSI, needsUSBForDisks: disks.needsUSB)
        notes += deviceNotes

        return DomainSpec(
            name: context.domainName ?? domainName(namespace: namespace, name: name),
            uuid: os.uuid,
            emulation: context.emulation,
            owner: DomainOwner(uid: uid, namespace: namespace, name: name),
            memoryKiB: memory.kib,
            vcpus: cpu.topology,
            cpu: cpu.element,
            memoryBacking: memory.backing,
            sysinfo: os.sysinfo,
            os: os.os,
            features: features,
            clock: clock,
            devices: disks.disks + nics.interfaces + other,
            notes: notes)
    }

    /// KubeVirt's domain name for a VMI: `NAMESPACE_NAME`.
    public static func domainName(namespace: String, name: String) -> String { namespace + "_" + name }

    /// Each volume's kind by name, so the node agent knows which host files to prepare
    /// (overlay for containerDisk, ISO for cloud-init, …) before calling `convert`.
    public static func volumeKinds(vmi: JSONValue) throws -> [String: VolumeKind] {
        try VolumeCatalog(spec: SpecNode(vmi["spec"], path: "spec")).kinds
    }

    /// Names of the interfaces that need a tap device (including the implicit `default`).
    public static func interfaceNames(vmi: JSONValue) throws -> [String] {
        let (interfaces, _) = try InterfaceConfigurator.effectiveInterfaces(spec: SpecNode(vmi["spec"], path: "spec"))
        return try interfaces.compactMap { try $0["name"].string() }
    }
}
