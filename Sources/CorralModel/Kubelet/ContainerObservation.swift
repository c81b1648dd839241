import Foundation

/// What the node agent knows about one container of a pod: the input the
/// kubelet planner and the status builder work from. Plain data, so the
/// planning is a pure function of it.
public struct ContainerObservation: Sendable, Equatable {
    /// A container's state as `containerStatuses[].state` reports it.
    public enum State: Sendable, Equatable {
        case waiting(reason: String, message: String?)
        case running(startedAt: Date)
        case terminated(exitCode: Int32, reason: String, message: String?, startedAt: Date?, finishedAt: Date)

        /// The JSON kubelet writes for this state.
        public func json() -> JSONValue {
            switch self {
            case .waiting(let reason, let message):
                var w: JSONValue = ["reason": .string(reason)]
                if let message { w["message"] = .string(message) }
                return ["waiting": w]
            case .running(let startedAt):
                return ["running": ["startedAt": .string(ObjectLifecycle.timestamp(startedAt))]]
            case .terminated(let code, let reason, let message, let startedAt, let finishedAt):
                var t: JSONValue = ["exitCode": .int(Int64(code)), "reason": .string(reason)]
                if let message { t["message"] = .string(message) }
                if let startedAt { t["startedAt"] = .string(ObjectLifecycle.timestamp(startedAt)) }
                t["finishedAt"] = .string(ObjectLifecycle.timestamp(finishedAt))
                return ["terminated": t]
            }
        }
    }

    public var name: String
    /// Runtime id ("runc://…" form is added by the status builder).
    public var containerID: String?
    public var state: State
    public var lastTermination: State?
    public var restartCount: Int
    /// Readiness as the probes see it (true without a readiness probe once running).
    public var ready: Bool
    /// Startup-probe result (nil when the container has no startup probe and is not running).
    public var started: Bool?
    public var image: String
    public var imageID: String

    public init(name: String, containerID: String? = nil, state: State, lastTermination: State? = nil, restartCount: Int = 0,
                ready: Bool = false, started: Bool? = nil, image: String, imageID: String = "") {
        self.name = name
        self.containerID = containerID
        self.state = state
        self.lastTermination = lastTermination
        self.restartCount = restartCount
        self.ready = ready
        self.started = started
        self.image = image
        self.imageID = imageID
    }

    public var isRunning: Bool { if case .running = state { return true }; return false }
    public var exitCode: Int32? { if case .terminated(let c, _, _, _, _) = state { return c }; return nil }
    public var finishedAt: Date? { if case .terminated(_, _, _, _, let f) = state { return f }; return nil }
}

/// Kubelet's crash-loop back-off: 10 s, doubling per restart, capped at 5 min;
/// the first restart after a crash is immediate.
public enum CrashBackoff {
    public static let initial: TimeInterval = 10
    public static let cap: TimeInterval = 300

    /// The delay before restart number `restartCount + 1` may happen.
    public static func delay(restartCount: Int) -> TimeInterval {
        if restartCount <= 0 { return 0 }
        let exp = min(restartCount - 1, 10)
        return min(initial * pow(2, Double(exp)), cap)
    }
}
