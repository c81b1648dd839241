import Foundation
import CLibvirt

extension LibvirtConnection {
    /// Current state and reason of a domain.
    public func state(uuid: String) throws -> DomainStatus {
        try withDomain(uuid) { dom in
            var st: Int32 = 0, reason: Int32 = 0
            try check(virDomainGetState(dom, &st, &reason, 0), "get state", uuid)
            return DomainStatus.from(state: st, reason: reason)
        }
    }

    /// The domain's name.
    public func name(uuid: String) throws -> String {
        try withDomain(uuid) { dom in
            guard let n = virDomainGetName(dom) else { throw LibvirtError.last("get name", domain: uuid) }
            return String(cString: n)
        }
    }

    /// The live (or, when shut off, persistent) domain XML as libvirt completed it.
    public func xmlDescription(uuid: String) throws -> String {
        try withDomain(uuid) { dom in
            guard let x = virDomainGetXMLDesc(dom, 0) else { throw LibvirtError.last("get XML", domain: uuid) }
            defer { free(x) }
            return String(cString: x)
        }
    }

    /// Every domain libvirt knows, with the VMI recorded in Corral's metadata (nil for foreign domains).
    public func listAll() throws -> [DomainListing] {
        try withConnection { c in
            var list: UnsafeMutablePointer<virDomainPtr?>?
            let n = virConnectListAllDomains(c, &list, 0)
            guard n >= 0, let list else { throw LibvirtError.last("list domains") }
            defer {
                for i in 0..<Int(n) { if let d = list[i] { virDomainFree(d) } }
                free(list)
            }
            var out: [DomainListing] = []
            for i in 0..<Int(n) {
                guard let dom = list[i] else { continue }
                let uuid = Self.uuidString(dom)
                let name = virDomainGetName(dom).map { String(cString: $0) } ?? ""
                var st: Int32 = 0, reason: Int32 = 0
                // A domain can disappear between listing and querying; report what is known.
                let status = virDomainGetState(dom, &st, &reason, 0) == 0
                    ? DomainStatus.from(state: st, reason: reason) : DomainStatus(state: .unknown, reason: "unknown")
                out.append(DomainListing(uuid: uuid, name: name, owner: Self.owner(dom), status: status))
            }
            return out
        }
    }

    /// One domain's identity, owner and state; nil when no domain has this UUID.
    public func lookup(uuid: String) throws -> DomainListing? {
        do {
            return try withDomain(uuid) { dom in
                var st: Int32 = 0, reason: Int32 = 0
                try check(virDomainGetState(dom, &st, &reason, 0), "get state", uuid)
                let name = virDomainGetName(dom).map { String(cString: $0) } ?? ""
                return DomainListing(uuid: Self.uuidString(dom), name: name, owner: Self.owner(dom),
                                     status: DomainStatus.from(state: st, reason: reason))
            }
        } catch let e as LibvirtError where e.isNotFound {
            return nil
        }
    }

    /// One domain by name; nil when no domain has this name.
    public func lookup(name: String) throws -> DomainListing? {
        do {
            return try withConnection { c in
                guard let dom = virDomainLookupByName(c, name) else { throw LibvirtError.last("lookup", domain: name) }
                defer { virDomainFree(dom) }
                var st: Int32 = 0, reason: Int32 = 0
                try check(virDomainGetState(dom, &st, &reason, 0), "get state", name)
                return DomainListing(uuid: Self.uuidString(dom), name: name, owner: Self.owner(dom),
                                     status: DomainStatus.from(state: st, reason: reason))
            }
        } catch let e as LibvirtError where e.isNotFound {
            return nil
        }
    }

    /// The domain of the VMI with this UID, found without listing every domain: by its name
    /// (when known), then by UUID (a VMI's domain UUID is its UID unless firmware.uuid says
    /// otherwise); a domain found is only accepted when its metadata names this VMI, since an
    /// older VMI with the same name may still have one. Falls back to listing when neither hits
    /// and `scan` is true.
    public func domain(ownedBy uid: String, name: String?, scan: Bool = false) throws -> DomainListing? {
        if let name, let d = try lookup(name: name), d.owner?.uid == uid { return d }
        // try?: a UID that is not UUID-shaped is an invalid argument to libvirt, not an error here.
        if let d = (try? lookup(uuid: uid)) ?? nil, d.owner?.uid == uid { return d }
        return scan ? try domains(ownedBy: uid).first : nil
    }

    /// Domains whose metadata names the VMI with this UID.
    public func domains(ownedBy uid: String) throws -> [DomainListing] {
        try listAll().filter { $0.owner?.uid == uid }
    }

    static func owner(_ dom: OpaquePointer) -> DomainOwner? {
        let type = Int32(VIR_DOMAIN_METADATA_ELEMENT.rawValue)
        guard let x = virDomainGetMetadata(dom, type, DomainSpec.metadataNamespace, 0) else {
            virResetLastError()  // "no metadata" is the normal answer for foreign domains
            return nil
        }
        defer { free(x) }
        return MetadataParser.owner(fromXML: String(cString: x))
    }

    /// PID of the domain's QEMU process, from libvirt's `NAME.pid` file; nil when not running.
    public func qemuPID(uuid: String) throws -> Int32? {
        let domainName = try name(uuid: uuid)
        let path = qemuRunDirectory + "/" + domainName + ".pid"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Asks the QEMU guest agent for the guest's hostname; doubles as an agent ping.
    /// Throws when no agent answers.
    public func guestAgentHostname(uuid: String) throws -> String {
        try withDomain(uuid) { dom in
            guard let h = virDomainGetHostname(dom, UInt32(VIR_DOMAIN_GET_HOSTNAME_AGENT.rawValue)) else {
                throw LibvirtError.last("guest agent hostname", domain: uuid)
            }
            defer { free(h) }
            return String(cString: h)
        }
    }

    /// The guest agent channel's state from the live domain XML: cheap (no agent round trip),
    /// so it can be polled; `.connected` once an agent in the guest opened its port.
    public func guestAgentChannelState(uuid: String) throws -> GuestAgentChannelState {
        GuestAgentInfo.channelState(domainXML: try xmlDescription(uuid: uuid))
    }

    /// Guest facts from the agent as libvirt's flat typed parameters (`os.id`, `os.version-id`,
    /// `hostname`, `timezone.name`, `user.N.name`, `fs.N.mountpoint`, …). Asks for users and
    /// filesystems too; should that fail (an agent with commands disabled), retries with OS,
    /// hostname and timezone only. Throws when no agent answers.
    public func guestInfo(uuid: String) throws -> [String: TypedParamValue] {
        let basic = VIR_DOMAIN_GUEST_INFO_OS.rawValue | VIR_DOMAIN_GUEST_INFO_HOSTNAME.rawValue
            | VIR_DOMAIN_GUEST_INFO_TIMEZONE.rawValue
        let full = basic | VIR_DOMAIN_GUEST_INFO_USERS.rawValue | VIR_DOMAIN_GUEST_INFO_FILESYSTEM.rawValue
        return try withDomain(uuid) { dom in
            if let all = try? Self.guestInfo(dom, types: UInt32(full), uuid: uuid) { return all }
            return try Self.guestInfo(dom, types: UInt32(basic), uuid: uuid)
        }
    }

    /// The agent's own `guest-info` reply (its version and command list), which
    /// `virDomainGetGuestInfo` does not relay. Passed through libvirt's agent
    /// command channel as KubeVirt's virt-launcher does; throws when no agent answers.
    public func guestAgentInfoReply(uuid: String, timeoutSeconds: Int32 = 5) throws -> String {
        try withDomain(uuid) { dom in
            guard let reply = virDomainQemuAgentCommand(dom, #"{"execute":"guest-info"}"#, timeoutSeconds, 0) else {
                throw LibvirtError.last("guest-info", domain: uuid)
            }
            defer { free(reply) }
            return String(cString: reply)
        }
    }

    private static func guestInfo(_ dom: OpaquePointer, types: UInt32, uuid: String) throws -> [String: TypedParamValue] {
        var params: virTypedParameterPtr?
        var count: Int32 = 0
        guard virDomainGetGuestInfo(dom, types, &params, &count, 0) == 0 else {
            throw LibvirtError.last("guest info", domain: uuid)
        }
        defer { virTypedParamsFree(params, count) }
        var out: [String: TypedParamValue] = [:]
        guard let params else { return out }
        for i in 0..<Int(count) {
            let p = params[i]
            let field = withUnsafeBytes(of: p.field) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            switch Int32(p.type) {
            case Int32(VIR_TYPED_PARAM_STRING.rawValue): out[field] = .string(p.value.s.map { String(cString: $0) } ?? "")
            case Int32(VIR_TYPED_PARAM_INT.rawValue): out[field] = .int(Int64(p.value.i))
            case Int32(VIR_TYPED_PARAM_UINT.rawValue): out[field] = .uint(UInt64(p.value.ui))
            case Int32(VIR_TYPED_PARAM_LLONG.rawValue): out[field] = .int(Int64(p.value.l))
            case Int32(VIR_TYPED_PARAM_ULLONG.rawValue): out[field] = .uint(UInt64(p.value.ul))
            case Int32(VIR_TYPED_PARAM_DOUBLE.rawValue): out[field] = .double(p.value.d)
            case Int32(VIR_TYPED_PARAM_BOOLEAN.rawValue): out[field] = .bool(p.value.b != 0)
            default: break
            }
        }
        return out
    }
}
