/// The libvirt domain the converter planned for one VMI. Sections are kept apart
/// (and typed where callers need the facts) so tests and the node agent can look at
/// them without parsing XML; `xml()` renders the document libvirt receives.
public struct DomainSpec: Sendable, Equatable {
    /// libvirt domain name (`NAMESPACE_NAME`).
    public var name: String
    /// Domain UUID (firmware.uuid, else the VMI's metadata.uid).
    public var uuid: String
    public var emulation: EmulationMode
    /// Identity of the VMI, stored in `<metadata>` so domains can be re-adopted.
    public var owner: DomainOwner
    /// Guest memory in KiB.
    public var memoryKiB: Int64
    public var vcpus: CPUTopology
    /// Sections in document order; each is produced by one configurator.
    public var cpu: XMLElement
    public var memoryBacking: XMLElement?
    public var sysinfo: XMLElement?
    public var os: XMLElement
    public var features: XMLElement
    public var clock: XMLElement
    public var devices: [XMLElement]
    /// Things the converter ignored or adjusted, for events on the VMI.
    public var notes: [String]

    /// The namespace URI of Corral's `<metadata>` element.
    public static let metadataNamespace = "http://corral.dev/domain"

    /// Renders the complete `<domain>` document.
    public func xml() -> String { element().rendered() }

    /// The `<domain>` element tree.
    public func element() -> XMLElement {
        var d = XMLElement("domain", [("type", emulation.domainType)])
        d.append(XMLElement("name", text: name))
        d.append(XMLElement("uuid", text: uuid))
        d.append(owner.metadataElement())
        d.append(XMLElement("memory", [("unit", "KiB")], text: String(memoryKiB)))
        d.append(XMLElement("currentMemory", [("unit", "KiB")], text: String(memoryKiB)))
        if let memoryBacking { d.append(memoryBacking) }
        d.append(XMLElement("vcpu", [("placement", "static")], text: String(vcpus.count)))
        if let sysinfo { d.append(sysinfo) }
        d.append(os)
        d.append(features)
        d.append(cpu)
        d.append(clock)
        d.append(XMLElement("on_poweroff", text: "destroy"))
        d.append(XMLElement("on_reboot", text: "restart"))
        d.append(XMLElement("on_crash", text: "destroy"))
        d.append(XMLElement("devices", elements: devices))
        return d
    }
}

/// The VMI a domain belongs to.
public struct DomainOwner: Sendable, Equatable, Hashable {
    public var uid: String
    public var namespace: String
    public var name: String

    /// Identifies a VMI.
    public init(uid: String, namespace: String, name: String) {
        self.uid = uid
        self.namespace = namespace
        self.name = name
    }

    /// `<metadata><corral:instance xmlns:corral=…>` with uid, namespace and name.
    func metadataElement() -> XMLElement {
        let inst = XMLElement("corral:instance", [("xmlns:corral", DomainSpec.metadataNamespace)], elements: [
            XMLElement("corral:uid", text: uid),
            XMLElement("corral:namespace", text: namespace),
            XMLElement("corral:name", text: name),
        ])
        return XMLElement("metadata", elements: [inst])
    }
}

/// Guest CPU topology; `count` is the number of vCPUs.
public struct CPUTopology: Sendable, Equatable {
    public var sockets: Int
    public var cores: Int
    public var threads: Int
    public var count: Int { sockets * cores * threads }

    /// A topology of sockets × cores × threads.
    public init(sockets: Int, cores: Int, threads: Int) {
        self.sockets = sockets
        self.cores = cores
        self.threads = threads
    }
}
