import Foundation

/// One step the node agent should take for a pod, decided by `PodPlanner`.
public enum PodAction: Sendable, Equatable {
    /// Create and start this container (init or app), restart number `restartCount`.
    case start(container: String, isInit: Bool)
    /// Stop a running container (liveness failure, pod deletion) with this reason.
    case kill(container: String, reason: String)
    /// Not yet: the container is in crash-loop back-off until `until`.
    case backoff(container: String, until: Date)
}

/// The kubelet's `computePodActions`, as a pure function: given the pod and
/// what is observed of its containers, what to start, kill or wait for.
/// Init containers run one at a time, in order; app containers start once all
/// init containers succeeded; restartPolicy and crash back-off decide restarts.
public enum PodPlanner {
    public static func plan(pod: JSONValue, observed: [String: ContainerObservation], livenessFailed: Set<String> = [], now: Date) -> [PodAction] {
        let policy = pod[path: ["spec", "restartPolicy"]]?.stringValue ?? "Always"
        if pod[path: ["metadata", "deletionTimestamp"]] != nil {
            return observed.values.filter(\.isRunning).map { .kill(container: $0.name, reason: "Killing") }.sorted { "\($0)" < "\($1)" }
        }
        // Init containers: the first one that has not succeeded decides.
        for c in containerNames(pod, "initContainers") {
            guard let o = observed[c] else { return [.start(container: c, isInit: true)] }
            switch o.state {
            case .running: return []
            case .waiting: return [.start(container: c, isInit: true)]
            case .terminated(let code, _, _, _, let finished):
                if code == 0 { continue }
                if policy == "Never" { return [] }
                return [restartOrBackoff(c, o, finished, isInit: true, now: now)]
            }
        }
        var actions: [PodAction] = []
        for c in containerNames(pod, "containers") {
            guard let o = observed[c] else { actions.append(.start(container: c, isInit: false)); continue }
            switch o.state {
            case .waiting:
                actions.append(.start(container: c, isInit: false))
            case .running:
                if livenessFailed.contains(c) { actions.append(.kill(container: c, reason: "Unhealthy")) }
            case .terminated(let code, _, _, _, let finished):
                let restart = policy == "Always" || (policy == "OnFailure" && code != 0)
                if restart { actions.append(restartOrBackoff(c, o, finished, isInit: false, now: now)) }
            }
        }
        return actions
    }

    static func restartOrBackoff(_ c: String, _ o: ContainerObservation, _ finished: Date, isInit: Bool, now: Date) -> PodAction {
        // The first restart is immediate; later ones wait 10 s, 20 s, … up to 5 min.
        let until = finished.addingTimeInterval(CrashBackoff.delay(restartCount: o.restartCount))
        return until > now ? .backoff(container: c, until: until) : .start(container: c, isInit: isInit)
    }

    /// Container names of `spec.<field>` in order.
    public static func containerNames(_ pod: JSONValue, _ field: String) -> [String] {
        (pod[path: ["spec", field]]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    /// The container spec named `name` (app or init), if any.
    public static func containerSpec(_ pod: JSONValue, _ name: String) -> (spec: JSONValue, isInit: Bool)? {
        for field in ["initContainers", "containers"] {
            for c in pod[path: ["spec", field]]?.arrayValue ?? [] where c["name"]?.stringValue == name {
                return (c, field == "initContainers")
            }
        }
        return nil
    }
}
