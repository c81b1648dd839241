import Foundation
import CLibvirt

/// Holds the event handler; libvirt keeps one retained reference and releases it through the
/// free callback once it will never call us again.
final class LifecycleHandlerBox {
    let handler: @Sendable (DomainLifecycleEvent) -> Void
    init(_ handler: @escaping @Sendable (DomainLifecycleEvent) -> Void) { self.handler = handler }
}

private let lifecycleTrampoline: @convention(c) (OpaquePointer?, OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?) -> Void = {
    _, dom, event, detail, opaque in
    guard let dom, let opaque else { return }
    let box = Unmanaged<LifecycleHandlerBox>.fromOpaque(opaque).takeUnretainedValue()
    let name = virDomainGetName(dom).map { String(cString: $0) } ?? ""
    box.handler(DomainLifecycleEvent.from(uuid: LibvirtConnection.uuidString(dom), name: name, event: event, detail: detail))
}

private let releaseLifecycleBox: @convention(c) (UnsafeMutableRawPointer?) -> Void = { opaque in
    if let opaque { Unmanaged<LifecycleHandlerBox>.fromOpaque(opaque).release() }
}

extension LibvirtConnection {
    /// Calls `handler` for every domain lifecycle event (started, suspended, stopped, …) of every
    /// domain, on libvirt's event-loop thread: hand work off quickly and do not block there.
    /// Replaces a previous handler; survives reconnection.
    public func setLifecycleHandler(_ handler: @escaping @Sendable (DomainLifecycleEvent) -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        lifecycleHandler = handler
        let c = try connectionLocked()
        if lifecycleCallbackID >= 0 {
            virConnectDomainEventDeregisterAny(c, lifecycleCallbackID)
            lifecycleCallbackID = -1
        }
        try registerLifecycleLocked(c)
    }

    /// Stops delivering lifecycle events.
    public func removeLifecycleHandler() {
        lock.lock()
        defer { lock.unlock() }
        lifecycleHandler = nil
        if let c = conn, lifecycleCallbackID >= 0 { virConnectDomainEventDeregisterAny(c, lifecycleCallbackID) }
        lifecycleCallbackID = -1
    }

    func registerLifecycleLocked(_ c: OpaquePointer) throws {
        guard let handler = lifecycleHandler else { return }
        let opaque = Unmanaged.passRetained(LifecycleHandlerBox(handler)).toOpaque()
        let id = virConnectDomainEventRegisterAny(
            c, nil, Int32(VIR_DOMAIN_EVENT_ID_LIFECYCLE.rawValue),
            unsafeBitCast(lifecycleTrampoline, to: virConnectDomainEventGenericCallback.self),
            opaque, releaseLifecycleBox)
        guard id >= 0 else {
            Unmanaged<LifecycleHandlerBox>.fromOpaque(opaque).release()
            throw LibvirtError.last("register lifecycle events")
        }
        lifecycleCallbackID = id
    }
}
