import CLibvirt

/// A domain's state as the node agent needs it, with libvirt's reason in words.
public struct DomainStatus: Sendable, Equatable {
    /// Coarse state.
    public enum State: String, Sendable {
        case running, paused, shuttingDown, shutoff, crashed, pmSuspended, unknown
    }
    public var state: State
    /// libvirt's reason (`booted`, `user`, `shutdown`, `destroyed`, `crashed`, `ioerror`, …).
    public var reason: String

    /// Maps libvirt's `virDomainState` + reason numbers.
    public static func from(state: Int32, reason: Int32) -> DomainStatus {
        func pick(_ names: [String]) -> String { reason >= 0 && Int(reason) < names.count ? names[Int(reason)] : "unknown" }
        switch state {
        case 1, 2:  // RUNNING, BLOCKED
            return DomainStatus(state: .running, reason: pick(["unknown", "booted", "migrated", "restored", "from-snapshot",
                "unpaused", "migration-canceled", "save-canceled", "wakeup", "crashed", "postcopy", "postcopy-failed"]))
        case 3:
            return DomainStatus(state: .paused, reason: pick(["unknown", "user", "migration", "save", "dump", "ioerror",
                "watchdog", "from-snapshot", "shutting-down", "snapshot", "crashed", "starting-up", "postcopy",
                "postcopy-failed", "api-error"]))
        case 4:
            return DomainStatus(state: .shuttingDown, reason: pick(["unknown", "user"]))
        case 5:
            return DomainStatus(state: .shutoff, reason: pick(["unknown", "shutdown", "destroyed", "crashed", "migrated",
                "saved", "failed", "from-snapshot", "daemon"]))
        case 6:
            return DomainStatus(state: .crashed, reason: pick(["unknown", "panicked"]))
        case 7:
            return DomainStatus(state: .pmSuspended, reason: pick(["unknown"]))
        default:
            return DomainStatus(state: .unknown, reason: "unknown")
        }
    }
}

/// A lifecycle event from libvirt (`VIR_DOMAIN_EVENT_ID_LIFECYCLE`).
public struct DomainLifecycleEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case defined, undefined, started, suspended, resumed, stopped, shutdown, pmSuspended, crashed, unknown
    }
    public var uuid: String
    public var name: String
    public var kind: Kind
    /// libvirt's detail in words (`booted`, `destroyed`, `shutdown`, `crashed`, `panicked`, `finished`, …).
    public var detail: String

    /// Maps libvirt's event and detail numbers.
    public static func from(uuid: String, name: String, event: Int32, detail: Int32) -> DomainLifecycleEvent {
        func pick(_ names: [String]) -> String { detail >= 0 && Int(detail) < names.count ? names[Int(detail)] : "unknown" }
        let (kind, details): (Kind, [String])
        switch event {
        case 0: (kind, details) = (.defined, ["added", "updated", "renamed", "from-snapshot"])
        case 1: (kind, details) = (.undefined, ["removed", "renamed"])
        case 2: (kind, details) = (.started, ["booted", "migrated", "restored", "from-snapshot", "wakeup", "recreated"])
        case 3: (kind, details) = (.suspended, ["paused", "migrated", "ioerror", "watchdog", "restored", "from-snapshot",
                                                "api-error", "postcopy", "postcopy-failed"])
        case 4: (kind, details) = (.resumed, ["unpaused", "migrated", "from-snapshot", "postcopy", "postcopy-failed"])
        case 5: (kind, details) = (.stopped, ["shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from-snapshot"])
        case 6: (kind, details) = (.shutdown, ["finished", "guest", "host"])
        case 7: (kind, details) = (.pmSuspended, ["memory", "disk"])
        case 8: (kind, details) = (.crashed, ["panicked", "crashloaded"])
        default: (kind, details) = (.unknown, [])
        }
        return DomainLifecycleEvent(uuid: uuid, name: name, kind: kind, detail: pick(details))
    }
}

/// A domain found by `listAll`: its identity and, for Corral's domains, the owning VMI.
public struct DomainListing: Sendable, Equatable {
    public var uuid: String
    public var name: String
    /// The VMI recorded in Corral's `<metadata>`; nil for domains Corral did not create.
    public var owner: DomainOwner?
    public var status: DomainStatus
}

/// The VirtualMachineInstance phase a domain state stands for.
public enum VMIPhaseVerdict: String, Sendable, Equatable {
    case running = "Running"
    case succeeded = "Succeeded"
    case failed = "Failed"
}

extension DomainStatus {
    /// The VMI phase this state means, after KubeVirt's virt-handler: a guest that powered
    /// itself off (`shutdown`) Succeeded; one that panicked, whose QEMU died (`crashed`,
    /// `failed`, `daemon`) or that was destroyed by someone else (`destroyed`, when the guest
    /// had ACPI and could have been asked to shut down) Failed. nil when the state says
    /// nothing (keep the phase). `acpi`: the guest has ACPI (KubeVirt's default).
    public func vmiPhase(acpi: Bool) -> VMIPhaseVerdict? {
        switch state {
        case .running, .shuttingDown, .pmSuspended:
            return .running
        case .paused:
            // Paused because the guest panicked (on_crash preserve/pause) is a dead guest.
            return reason == "crashed" ? .failed : .running
        case .crashed:
            return .failed
        case .shutoff:
            switch reason {
            case "shutdown", "saved", "from-snapshot": return .succeeded
            case "destroyed": return acpi ? .failed : .succeeded
            case "migrated": return nil
            // crashed, failed, daemon, and unknown (a started guest whose end libvirt cannot say).
            default: return .failed
            }
        case .unknown:
            return nil
        }
    }

    /// Words for the VMI event that tells how the guest ended.
    public var endDescription: String {
        switch (state, reason) {
        case (.shutoff, "shutdown"): return "The guest powered itself off."
        case (.shutoff, "crashed"), (.crashed, _), (.paused, "crashed"): return "The guest crashed (kernel panic or QEMU died)."
        case (.shutoff, "destroyed"): return "The domain was destroyed outside Corral."
        case (.shutoff, "failed"): return "QEMU failed."
        case (.shutoff, "daemon"): return "libvirt stopped the domain when it reconnected to it."
        default: return "The domain is \(state.rawValue) (\(reason))."
        }
    }
}
