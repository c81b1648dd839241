import CorralVirt
import Foundation

/// Whether a QEMU guest agent answers in one VM, for KubeVirt's `AgentConnected` VMI
/// condition. Polled from the live domain XML (the agent channel's `state`, no agent round
/// trip) at most every `interval`, not on every one-second worker tick.
struct GuestAgentWatch {
    static let interval: TimeInterval = 5

    /// nil until the first poll answered: the VMI's condition is then left as it is (an agent
    /// restart must not drop a condition that is still true).
    private(set) var connected: Bool?
    /// The first poll waits one interval: no agent answers while the guest boots.
    private var nextPoll = Date().addingTimeInterval(GuestAgentWatch.interval)

    /// True (and schedules the next poll) when a poll is due.
    mutating func due(_ now: Date) -> Bool {
        guard now >= nextPoll else { return false }
        nextPoll = now.addingTimeInterval(Self.interval)
        return true
    }

    /// Records a poll's answer; nil (libvirt could not say) keeps the last known state.
    mutating func record(_ state: GuestAgentChannelState?) {
        guard let state else { return }
        connected = state == .connected
    }
}

extension VMBackend {
    /// The guest agent channel's state of a running domain; nil when libvirt cannot say.
    func guestAgentState(_ domain: String) async -> GuestAgentChannelState? {
        let lv = libvirt
        return try? await Blocking.run { try lv.guestAgentChannelState(uuid: domain) }
    }
}
