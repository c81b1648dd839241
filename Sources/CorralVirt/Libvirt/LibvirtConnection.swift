import Foundation
import CLibvirt

/// A thread-safe connection to libvirtd (`qemu:///system`) for Corral's domains.
///
/// Domains are *persistent* (defined, then started), as KubeVirt does: after the guest powers
/// off or crashes the domain stays, shut off, with libvirt's reason (shutdown / crashed /
/// destroyed), so the node agent can read how it ended and decide the VMI phase; a transient
/// domain would vanish and leave only an event that may have been missed. Persistent
/// definitions also survive a libvirtd restart and keep EFI variables. The cost is an
/// explicit `undefine` (see `remove`). The connection reopens itself if libvirtd restarts.
public final class LibvirtConnection: @unchecked Sendable {
    /// The URI this connection talks to.
    public let uri: String
    /// Where libvirt's QEMU driver keeps `NAME.pid` files.
    public let qemuRunDirectory: String
    let lock = NSLock()
    var conn: OpaquePointer?
    var lifecycleHandler: (@Sendable (DomainLifecycleEvent) -> Void)?
    var lifecycleCallbackID: Int32 = -1

    /// Opens the connection (starting libvirt's event loop first, which events and consoles need).
    public init(uri: String = "qemu:///system", qemuRunDirectory: String = "/run/libvirt/qemu") throws {
        self.uri = uri
        self.qemuRunDirectory = qemuRunDirectory
        LibvirtEventLoop.ensureStarted()
        lock.lock()
        defer { lock.unlock() }
        _ = try connectionLocked()
    }

    deinit {
        if let conn {
            if lifecycleCallbackID >= 0 { virConnectDomainEventDeregisterAny(conn, lifecycleCallbackID) }
            virConnectClose(conn)
        }
    }

    /// The live connection, reopened (and event callbacks re-registered) if libvirtd went away.
    func connectionLocked() throws -> OpaquePointer {
        if let c = conn, virConnectIsAlive(c) == 1 { return c }
        if let c = conn {
            if lifecycleCallbackID >= 0 { virConnectDomainEventDeregisterAny(c, lifecycleCallbackID) }
            virConnectClose(c)
            conn = nil
            lifecycleCallbackID = -1
        }
        guard let c = virConnectOpen(uri) else {
            let e = LibvirtError.last("connect")
            if case .operationFailed(_, _, let m) = e { throw LibvirtError.connectionFailed(uri: uri, message: m) }
            throw e
        }
        // Keepalives notice a dead daemon within ~15 s even when we are idle.
        virConnectSetKeepAlive(c, 5, 3)
        conn = c
        if lifecycleHandler != nil { try registerLifecycleLocked(c) }
        return c
    }

    func withConnection<T>(_ body: (OpaquePointer) throws -> T) throws -> T {
        lock.lock()
        let c: OpaquePointer
        do { c = try connectionLocked() } catch { lock.unlock(); throw error }
        lock.unlock()
        // libvirt connections are thread-safe; the lock only guards reconnection.
        return try body(c)
    }

    /// Looks up a domain by UUID and runs `body` with it, freeing it afterwards.
    func withDomain<T>(_ uuid: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        try withConnection { c in
            guard let dom = virDomainLookupByUUIDString(c, uuid) else { throw LibvirtError.last("lookup", domain: uuid) }
            defer { virDomainFree(dom) }
            return try body(dom)
        }
    }

    func check(_ rc: Int32, _ operation: String, _ uuid: String) throws {
        if rc < 0 { throw LibvirtError.last(operation, domain: uuid) }
    }

    // MARK: lifecycle

    /// Defines (or redefines) a persistent domain from XML, validating it against libvirt's schema.
    /// Returns the domain's UUID.
    @discardableResult
    public func define(xml: String) throws -> String {
        try withConnection { c in
            guard let dom = virDomainDefineXMLFlags(c, xml, UInt32(VIR_DOMAIN_DEFINE_VALIDATE.rawValue)) else {
                throw LibvirtError.last("define")
            }
            defer { virDomainFree(dom) }
            return Self.uuidString(dom)
        }
    }

    /// Boots a defined domain.
    public func start(uuid: String) throws {
        try withDomain(uuid) { try check(virDomainCreate($0), "start", uuid) }
    }

    /// Defines and boots; if booting fails, a domain this call newly defined is undefined again.
    @discardableResult
    public func defineAndStart(xml: String) throws -> String {
        // One lookup by the document's <uuid> (not a listing of every domain) tells whether it is new.
        let existed = MetadataParser.value(of: "uuid", in: xml).map { (try? exists(uuid: $0)) ?? true } ?? true
        let uuid = try define(xml: xml)
        do {
            try start(uuid: uuid)
        } catch {
            if !existed { try? undefine(uuid: uuid) }
            throw error
        }
        return uuid
    }

    /// Whether a domain with this UUID exists (defined or running).
    public func exists(uuid: String) throws -> Bool {
        do { return try withDomain(uuid) { _ in true } } catch let e as LibvirtError where e.isNotFound { return false }
    }

    /// Hard power-off (QEMU is killed).
    public func destroy(uuid: String) throws {
        try withDomain(uuid) { try check(virDomainDestroy($0), "destroy", uuid) }
    }

    /// Asks the guest to shut down by pressing the ACPI power button.
    public func shutdown(uuid: String) throws {
        try withDomain(uuid) {
            try check(virDomainShutdownFlags($0, UInt32(VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN.rawValue)), "shutdown", uuid)
        }
    }

    /// Asks the guest to reboot (ACPI or guest agent, as libvirt chooses).
    public func reboot(uuid: String) throws {
        try withDomain(uuid) { try check(virDomainReboot($0, 0), "reboot", uuid) }
    }

    /// Pauses the vCPUs (KubeVirt `pause`).
    public func suspend(uuid: String) throws {
        try withDomain(uuid) { try check(virDomainSuspend($0), "suspend", uuid) }
    }

    /// Resumes paused vCPUs (KubeVirt `unpause`).
    public func resume(uuid: String) throws {
        try withDomain(uuid) { try check(virDomainResume($0), "resume", uuid) }
    }

    /// Removes the definition, with its EFI variables, managed save and snapshot metadata.
    /// A running domain keeps running as a transient one until destroyed.
    public func undefine(uuid: String) throws {
        let flags = VIR_DOMAIN_UNDEFINE_NVRAM.rawValue | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE.rawValue
            | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA.rawValue | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA.rawValue
        try withDomain(uuid) { try check(virDomainUndefineFlags($0, UInt32(flags)), "undefine", uuid) }
    }

    /// Destroys (if running) and undefines; a domain that is already gone is not an error.
    public func remove(uuid: String) throws {
        do {
            if try state(uuid: uuid).state != .shutoff {
                do { try destroy(uuid: uuid) } catch let e as LibvirtError where e.isNotFound { return }
            }
            try undefine(uuid: uuid)
        } catch let e as LibvirtError where e.isNotFound {
            return
        }
    }

    static func uuidString(_ dom: OpaquePointer) -> String {
        var buf = [CChar](repeating: 0, count: 64)
        virDomainGetUUIDString(dom, &buf)
        return String(cString: buf)
    }
}
