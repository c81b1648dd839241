import Foundation

/// Builds `pod.status` as the kubelet reports it: phase, conditions,
/// podIP(s), hostIP(s), startTime and container statuses. Pure: the node
/// agent passes everything it observed.
public enum PodStatusBuilder {
    public struct Input: Sendable {
        public var pod: JSONValue
        public var observed: [String: ContainerObservation]
        public var podIP: String?
        public var hostIP: String?
        public var now: Date
        /// Set when the pod cannot run at all (e.g. a rejected image layer) to force a phase.
        public var forcedPhase: (phase: String, reason: String, message: String)?

        public init(pod: JSONValue, observed: [String: ContainerObservation], podIP: String?, hostIP: String?, now: Date,
                    forcedPhase: (phase: String, reason: String, message: String)? = nil) {
            self.pod = pod
            self.observed = observed
            self.podIP = podIP
            self.hostIP = hostIP
            self.now = now
            self.forcedPhase = forcedPhase
        }
    }

    /// The runtime-id prefix in containerStatuses[].containerID.
    public static let runtimeScheme = "corral://"

    public static func build(_ input: Input) -> JSONValue {
        let pod = input.pod
        let old = pod["status"] ?? [:]
        let policy = pod[path: ["spec", "restartPolicy"]]?.stringValue ?? "Always"
        let inits = PodPlanner.containerNames(pod, "initContainers")
        let apps = PodPlanner.containerNames(pod, "containers")
        let initPending = inits.filter { input.observed[$0]?.exitCode != 0 }
        let initFailed = policy == "Never" && inits.contains { (input.observed[$0]?.exitCode ?? 0) != 0 }
        var phase = phaseOf(apps.map { input.observed[$0] }, policy: policy, initsDone: initPending.isEmpty, initFailed: initFailed)
        var reason: String?
        var message: String?
        if let f = input.forcedPhase { phase = f.phase; reason = f.reason; message = f.message }

        var status = JSONObject()
        status["phase"] = .string(phase)
        if let reason { status["reason"] = .string(reason) }
        if let message { status["message"] = .string(message) }
        let unready = apps.filter { !(input.observed[$0]?.ready ?? false) }
        let done = phase == "Succeeded" || phase == "Failed"
        var conds: [JSONValue] = []
        conds.append(condition("PodReadyToStartContainers", input.podIP != nil, nil, nil, old, input.now))
        conds.append(condition("Initialized", initPending.isEmpty, initPending.isEmpty ? nil : "ContainersNotInitialized",
                               initPending.isEmpty ? nil : "containers with incomplete status: [\(initPending.joined(separator: " "))]", old, input.now))
        let readyReason = done ? "PodCompleted" : "ContainersNotReady"
        let readyMsg = done ? nil : "containers with unready status: [\(unready.joined(separator: " "))]"
        let ready = unready.isEmpty && !done
        conds.append(condition("ContainersReady", ready, ready ? nil : readyReason, ready ? nil : readyMsg, old, input.now))
        conds.append(condition("Ready", ready, ready ? nil : readyReason, ready ? nil : readyMsg, old, input.now))
        if let sched = old["conditions"]?.arrayValue?.first(where: { $0["type"]?.stringValue == "PodScheduled" }) { conds.append(sched) }
        status["conditions"] = .array(conds)
        if let h = input.hostIP {
            status["hostIP"] = .string(h)
            status["hostIPs"] = [["ip": .string(h)]]
        }
        if let ip = input.podIP {
            status["podIP"] = .string(ip)
            status["podIPs"] = [["ip": .string(ip)]]
        }
        status["startTime"] = old["startTime"] ?? .string(ObjectLifecycle.timestamp(input.now))
        if !inits.isEmpty {
            status["initContainerStatuses"] = .array(inits.map { containerStatus($0, pod, input.observed[$0], waitingReason: "PodInitializing") })
        }
        status["containerStatuses"] = .array(apps.map {
            containerStatus($0, pod, input.observed[$0], waitingReason: initPending.isEmpty ? "ContainerCreating" : "PodInitializing")
        })
        status["qosClass"] = old["qosClass"] ?? .string(ObjectLifecycle.qosClass(pod["spec"]))
        return .object(status)
    }

    /// Kubelet's getPhase over the app containers.
    static func phaseOf(_ apps: [ContainerObservation?], policy: String, initsDone: Bool, initFailed: Bool) -> String {
        if initFailed { return "Failed" }
        if !initsDone { return "Pending" }
        var running = 0, waiting = 0, stopped = 0, succeeded = 0
        for o in apps {
            guard let o else { waiting += 1; continue }
            switch o.state {
            case .running: running += 1
            case .waiting: if o.lastTermination != nil { stopped += 1 } else { waiting += 1 }
            case .terminated(let code, _, _, _, _):
                stopped += 1
                if code == 0 { succeeded += 1 }
            }
        }
        if waiting > 0 { return "Pending" }
        if running > 0 { return "Running" }
        if stopped > 0 {
            switch policy {
            case "Always": return "Running"
            case "OnFailure": return stopped == succeeded ? "Succeeded" : "Running"
            default: return stopped == succeeded ? "Succeeded" : "Failed"
            }
        }
        return "Pending"
    }

    static func containerStatus(_ name: String, _ pod: JSONValue, _ o: ContainerObservation?, waitingReason: String) -> JSONValue {
        let image = PodPlanner.containerSpec(pod, name)?.spec["image"]?.stringValue ?? ""
        guard let o else {
            return ["name": .string(name), "state": ["waiting": ["reason": .string(waitingReason)]], "lastState": [:],
                    "ready": false, "restartCount": 0, "image": .string(image), "imageID": "", "started": false]
        }
        var s: JSONValue = ["name": .string(name), "state": o.state.json(), "lastState": o.lastTermination?.json() ?? [:],
                            "ready": .bool(o.ready), "restartCount": .int(Int64(o.restartCount)),
                            "image": .string(o.image.isEmpty ? image : o.image), "imageID": .string(o.imageID)]
        if let id = o.containerID { s["containerID"] = .string(runtimeScheme + id) }
        s["started"] = .bool(o.started ?? o.isRunning)
        return s
    }

    /// A condition, keeping the previous lastTransitionTime when its status did not change.
    static func condition(_ type: String, _ ok: Bool, _ reason: String?, _ message: String?, _ old: JSONValue, _ now: Date) -> JSONValue {
        let status = ok ? "True" : "False"
        let prev = old["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
        let since = prev?["status"]?.stringValue == status ? prev?["lastTransitionTime"] : nil
        var c: JSONValue = ["type": .string(type), "status": .string(status), "lastProbeTime": .null,
                            "lastTransitionTime": since ?? .string(ObjectLifecycle.timestamp(now))]
        if let reason { c["reason"] = .string(reason) }
        if let message { c["message"] = .string(message) }
        return c
    }
}
