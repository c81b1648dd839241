import Foundation

/// Kubelet probe bookkeeping for one probe of one container: when it is due
/// and what its result is after thresholds (pure; the agent runs the probe).
public struct ProbeSchedule: Sendable, Equatable {
    public var initialDelay: TimeInterval
    public var period: TimeInterval
    public var successThreshold: Int
    public var failureThreshold: Int
    public var consecutiveSuccesses = 0
    public var consecutiveFailures = 0
    public var lastRun: Date?
    /// The probe's verdict so far: nil until the first result.
    public private(set) var healthy: Bool?

    /// Reads `initialDelaySeconds`, `periodSeconds`, thresholds with kube's defaults.
    public init(_ probe: JSONValue) {
        initialDelay = Double(probe["initialDelaySeconds"]?.intValue ?? 0)
        period = Double(max(probe["periodSeconds"]?.intValue ?? 10, 1))
        successThreshold = Int(max(probe["successThreshold"]?.intValue ?? 1, 1))
        failureThreshold = Int(max(probe["failureThreshold"]?.intValue ?? 3, 1))
    }

    /// Whether the probe should run now for a container started at `startedAt`.
    public func due(startedAt: Date, now: Date) -> Bool {
        if now < startedAt.addingTimeInterval(initialDelay) { return false }
        guard let lastRun else { return true }
        return now >= lastRun.addingTimeInterval(period)
    }

    /// Records a result; returns true when the verdict changed.
    @discardableResult
    public mutating func record(success: Bool, at now: Date) -> Bool {
        lastRun = now
        let before = healthy
        if success {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            if consecutiveSuccesses >= successThreshold { healthy = true }
        } else {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            if consecutiveFailures >= failureThreshold { healthy = false }
        }
        return before != healthy
    }
}
