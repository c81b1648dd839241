import CorralModel

// The boundary between KubeVirt's VMI subresources (pause, unpause,
// softreboot, guestosinfo, console, vnc) and whatever runs the VMs (the node's
// libvirt worker). The API server finds the VMI, checks KubeVirt's
// preconditions (running, paused or not, devices present), then calls one of
// these; the WebSocket side of console and vnc stays in the API server.

/// One VirtualMachineInstance, resolved and validated by the API server.
public struct VMIRef: Sendable, Equatable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    /// metadata.uid of the VMI the checks were made on (a recreated VMI has another).
    public var uid: String

    public init(namespace: String, name: String, uid: String) {
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }

    public var description: String { "\(namespace)/\(name)" }
}

/// What the node offers for running VMIs. Set `APIServer.virtNode`; while it is nil
/// these subresources answer 503 (after the API-side checks). Every call is made only
/// for a VMI whose status.phase is Running. Throw `APIError` for anything the user
/// should see as a Kubernetes Status (e.g. `APIError(code: 409, ...)`); any other
/// error becomes a 500 InternalError carrying its description.
public protocol VirtNode: AnyObject, Sendable {
    /// Suspends the guest (libvirt virDomainSuspend). The node then sets the VMI's
    /// `Paused` condition (status True, reason PausedByUser); the API server reads
    /// that condition to refuse a second pause.
    func pause(_ vmi: VMIRef) async throws
    /// Resumes a paused guest (virDomainResume) and removes the `Paused` condition.
    func unpause(_ vmi: VMIRef) async throws
    /// Asks the guest to reboot (guest agent if connected, else ACPI; virDomainReboot).
    func softReboot(_ vmi: VMIRef) async throws
    /// The guest agent's OS information, rendered as KubeVirt's
    /// VirtualMachineInstanceGuestAgentInfo JSON (guestAgentVersion, hostname, os, timezone, …).
    /// Only called when the VMI has the `AgentConnected` condition.
    func guestOSInfo(_ vmi: VMIRef) async throws -> JSONValue
    /// A byte stream to the guest's first serial console (raw bytes both ways).
    /// Closing the channel detaches; the guest keeps running.
    func console(_ vmi: VMIRef) async throws -> any ByteChannel
    /// A byte stream to the guest's VNC server (RFB protocol, raw bytes both ways).
    func vnc(_ vmi: VMIRef) async throws -> any ByteChannel
}
