import Foundation

/// Pods: NAME READY STATUS RESTARTS AGE (+IP NODE NOMINATED NODE READINESS GATES),
/// with kubectl's status logic (init containers, waiting/terminated reasons,
/// Terminating, restarts with "(5m ago)").
extension TablePrinter {
    static let podPrinter = Printer(
        columns: [
            nameColumn,
            Column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            Column("Status", "The aggregate status of the containers in this pod."),
            Column("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            ageColumn,
            Column("IP", priority: 1, "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
            Column("Node", priority: 1, "NodeName indicates in which node this pod is scheduled."),
            Column("Nominated Node", priority: 1, "nominatedNodeName is set only when this pod preempts other pods on the node."),
            Column("Readiness Gates", priority: 1, "If specified, all readiness gates will be evaluated for pod readiness."),
        ],
        cells: { pod, now in podCells(pod, now) },
        conditions: { pod in
            switch pod[path: ["status", "phase"]]?.stringValue {
            case "Succeeded":
                return [["type": "Completed", "status": "True", "reason": "Succeeded", "message": "The pod has completed successfully."]]
            case "Failed":
                return [["type": "Completed", "status": "True", "reason": "Failed", "message": "The pod failed."]]
            default:
                return nil
            }
        })

    /// The latest of `current` and a container status's `lastState.terminated.finishedAt`.
    private static func laterRestart(_ current: Date?, _ cs: JSONValue) -> Date? {
        guard let finished = cs[path: ["lastState", "terminated", "finishedAt"]]?.stringValue,
              let d = parseTimestamp(finished) else { return current }
        guard let current else { return d }
        return d > current ? d : current
    }

    /// The STATUS text of a terminated container without a reason.
    private static func exitText(_ terminated: JSONValue) -> String {
        let signal = int(terminated["signal"])
        return signal != 0 ? "Signal:\(signal)" : "ExitCode:\(int(terminated["exitCode"]))"
    }

    static func podCells(_ pod: JSONValue, _ now: Date) -> [JSONValue] {
        let spec = pod["spec"] ?? .null
        let status = pod["status"] ?? .null
        let conditions = status["conditions"]
        var restarts: Int64 = 0
        var restartableInitRestarts: Int64 = 0
        var totalContainers = spec["containers"]?.arrayValue?.count ?? 0
        var readyContainers = 0
        var lastRestart: Date?
        var lastRestartableInitRestart: Date?

        let phase = str(status["phase"])
        var reason = phase
        if let r = status["reason"]?.stringValue, !r.isEmpty { reason = r }
        for c in conditions?.arrayValue ?? []
        where c["type"]?.stringValue == "PodScheduled" && c["reason"]?.stringValue == "SchedulingGated" {
            reason = "SchedulingGated"
        }

        let initSpecs = spec["initContainers"]?.arrayValue ?? []
        var restartableInit: Set<String> = []
        for c in initSpecs where c["restartPolicy"]?.stringValue == "Always" {
            restartableInit.insert(str(c["name"]))
            totalContainers += 1
        }

        var initializing = false
        for (i, cs) in (status["initContainerStatuses"]?.arrayValue ?? []).enumerated() {
            restarts += int(cs["restartCount"])
            lastRestart = laterRestart(lastRestart, cs)
            let restartable = restartableInit.contains(str(cs["name"]))
            if restartable {
                restartableInitRestarts += int(cs["restartCount"])
                lastRestartableInitRestart = laterRestart(lastRestartableInitRestart, cs)
            }
            let terminated = cs[path: ["state", "terminated"]]
            let waitingReason = str(cs[path: ["state", "waiting", "reason"]])
            if let t = terminated, t.objectValue != nil, int(t["exitCode"]) == 0 {
                continue
            } else if restartable && cs["started"]?.boolValue == true {
                if cs["ready"]?.boolValue == true { readyContainers += 1 }
                continue
            } else if let t = terminated, t.objectValue != nil {
                let r = str(t["reason"])
                reason = r.isEmpty ? "Init:" + exitText(t) : "Init:" + r
            } else if !waitingReason.isEmpty && waitingReason != "PodInitializing" {
                reason = "Init:" + waitingReason
            } else {
                reason = "Init:\(i)/\(initSpecs.count)"
            }
            initializing = true
            break
        }

        if !initializing || conditionStatus(conditions, "Initialized") == "True" {
            restarts = restartableInitRestarts
            lastRestart = lastRestartableInitRestart
            var hasRunning = false
            for cs in (status["containerStatuses"]?.arrayValue ?? []).reversed() {
                restarts += int(cs["restartCount"])
                lastRestart = laterRestart(lastRestart, cs)
                let waitingReason = str(cs[path: ["state", "waiting", "reason"]])
                let terminated = cs[path: ["state", "terminated"]].flatMap { $0.objectValue != nil ? $0 : nil }
                if !waitingReason.isEmpty {
                    reason = waitingReason
                } else if let t = terminated, !str(t["reason"]).isEmpty {
                    reason = str(t["reason"])
                } else if let t = terminated {
                    reason = exitText(t)
                } else if cs["ready"]?.boolValue == true, cs[path: ["state", "running"]]?.objectValue != nil {
                    hasRunning = true
                    readyContainers += 1
                }
            }
            if reason == "Completed" && hasRunning {
                reason = conditionStatus(conditions, "Ready") == "True" ? "Running" : "NotReady"
            }
        }

        if isDeleting(pod) && str(status["reason"]) == "NodeLost" {
            reason = "Unknown"
        } else if isDeleting(pod) && phase != "Succeeded" && phase != "Failed" {
            reason = "Terminating"
        }

        var restartsText = "\(restarts)"
        if restarts != 0, let last = lastRestart {
            restartsText = "\(restarts) (\(humanDuration(now.timeIntervalSince(last))) ago)"
        }

        var podIP = FieldSelectorSupport.podIP(pod)
        if podIP.isEmpty { podIP = "<none>" }
        var node = str(spec["nodeName"])
        if node.isEmpty { node = "<none>" }
        var nominated = str(status["nominatedNodeName"])
        if nominated.isEmpty { nominated = "<none>" }
        var gates = "<none>"
        if let rg = spec["readinessGates"]?.arrayValue, !rg.isEmpty {
            let trueCount = rg.filter { conditionStatus(conditions, str($0["conditionType"])) == "True" }.count
            gates = "\(trueCount)/\(rg.count)"
        }

        return [.string(name(pod)), .string("\(readyContainers)/\(totalContainers)"), .string(reason),
                .string(restartsText), .string(age(pod, now)),
                .string(podIP), .string(node), .string(nominated), .string(gates)]
    }
}
