import Foundation

/// What the VirtualMachine controller should do for one VM (KubeVirt's
/// run strategies), decided purely from the VM, its VMI and the time.
public enum VirtualMachineAction: Equatable, Sendable {
    case none
    /// Create the VMI from spec.template.
    case createVMI
    /// Delete the current VMI (stop, or make room for a restart).
    case deleteVMI(uid: String)
    /// A failed VMI will be replaced at this time (crash-loop back-off).
    case waitUntil(Date)
    /// The first stateChangeRequest is done (a Stop whose VMI is gone): remove it, so the
    /// Start of a restart comes next.
    case dropStopRequest
}

/// KubeVirt's VirtualMachine logic as pure functions: run strategies, crash-loop back-off
/// (`status.startFailure`), `printableStatus`, and the VMI made from the template.
public enum VirtualMachinePlanner {
    /// The effective run strategy: spec.runStrategy, or legacy spec.running (true → Always, false → Halted).
    public static func runStrategy(_ vm: JSONValue) -> String {
        if let s = vm[path: ["spec", "runStrategy"]]?.stringValue { return s }
        return vm[path: ["spec", "running"]]?.boolValue == true ? "Always" : "Halted"
    }

    /// VMI phases after which the guest is gone.
    public static func isFinal(_ vmi: JSONValue?) -> Bool {
        let p = vmi?[path: ["status", "phase"]]?.stringValue
        return p == "Succeeded" || p == "Failed"
    }

    /// Back-off before restarting a VM whose guest keeps failing, as KubeVirt's startFailure
    /// computes it without the random part: 10 s × failures², capped at 5 min (10, 40, 90, 160, 250, 300).
    public static func backoff(failures: Int) -> TimeInterval { failures <= 0 ? 0 : min(10 * Double(failures * failures), 300) }

    /// A guest that stayed up this long before failing starts a new count (it was healthy).
    public static let healthyRun: TimeInterval = 60

    /// Whether the run strategy brings a VM back after its VMI ended.
    static func restarts(_ vm: JSONValue) -> Bool { ["Always", "RerunOnFailure"].contains(runStrategy(vm)) }

    /// The new `status.startFailure` once `vmi` has ended, or nil when it does not count (or
    /// was already counted: `lastFailedVMIUID`). KubeVirt counts VMIs that ended before
    /// reaching Running; Corral also counts guests that fail within `healthyRun` of booting
    /// (a kernel panic loop), so both end in CrashLoopBackOff with growing back-off.
    /// A clean power-off after running is not a failure.
    public static func startFailure(vm: JSONValue, vmi: JSONValue, now: Date) -> JSONValue? {
        guard restarts(vm), isFinal(vmi) else { return nil }
        let uid = uid(vmi)
        let previous = vm[path: ["status", "startFailure"]]
        if previous?["lastFailedVMIUID"]?.stringValue == uid { return nil }
        let stamps = vmi[path: ["status", "phaseTransitionTimestamps"]]?.arrayValue ?? []
        func at(_ phase: String) -> Date? {
            stamps.last { $0["phase"]?.stringValue == phase }?["phaseTransitionTimestamp"]?.stringValue.flatMap(ObjectLifecycle.parseTimestamp)
        }
        let phase = vmi[path: ["status", "phase"]]?.stringValue ?? ""
        let ran = at("Running").map { (at(phase) ?? now).timeIntervalSince($0) }
        if phase == "Succeeded" && (ran != nil || runStrategy(vm) == "RerunOnFailure") { return nil }
        var count = (previous?["consecutiveFailCount"]?.intValue ?? 0) + 1
        if let ran, ran >= healthyRun { count = 1 }
        return ["consecutiveFailCount": .int(count), "lastFailedVMIUID": .string(uid),
                "retryAfterTimestamp": .string(ObjectLifecycle.timestamp(now.addingTimeInterval(backoff(failures: Int(count)))))]
    }

    /// Whether `status.startFailure` should go: the strategy no longer restarts the VM, or
    /// its current guest has been Running and Ready for `healthyRun`.
    public static func clearsStartFailure(vm: JSONValue, vmi: JSONValue?, now: Date) -> Bool {
        if !restarts(vm) { return true }
        guard let vmi, vmi[path: ["status", "phase"]]?.stringValue == "Running",
              (vmi[path: ["status", "conditions"]]?.arrayValue ?? []).contains(where: { $0["type"] == "Ready" && $0["status"] == "True" }),
              let since = vmi[path: ["status", "phaseTransitionTimestamps"]]?.arrayValue?.last?["phaseTransitionTimestamp"]?.stringValue
                .flatMap(ObjectLifecycle.parseTimestamp) else { return false }
        return now.timeIntervalSince(since) >= healthyRun
    }

    /// The next step for `vm`: RerunOnFailure replaces a Failed VMI but keeps a Succeeded one;
    /// Always replaces both; a replacement waits for `startFailure.retryAfterTimestamp`.
    public static func plan(vm: JSONValue, vmi: JSONValue?, now: Date) -> VirtualMachineAction {
        if vm[path: ["metadata", "deletionTimestamp"]] != nil {
            if let vmi, vmi[path: ["metadata", "deletionTimestamp"]] == nil { return .deleteVMI(uid: uid(vmi)) }
            return .none
        }
        let strategy = runStrategy(vm)
        // Manual start/stop/restart requests from the subresources come first.
        if let req = vm[path: ["status", "stateChangeRequests"]]?.arrayValue?.first, let action = req["action"]?.stringValue {
            if action == "Stop" {
                if let vmi {
                    if vmi[path: ["metadata", "deletionTimestamp"]] != nil { return .none }  // still going
                    let target = req["uid"]?.stringValue
                    if target == nil || target == uid(vmi) { return .deleteVMI(uid: uid(vmi)) }
                }
                return .dropStopRequest  // the VMI it stops is gone (or already replaced)
            }
            if action == "Start" { return vmi == nil ? .createVMI : .none }
        }
        guard let vmi else {
            switch strategy {
            case "Always", "RerunOnFailure":
                if let retry = retryAfter(vm), retry > now { return .waitUntil(retry) }
                return .createVMI
            case "Once":
                return vm[path: ["status", "created"]] == nil && vm[path: ["status", "printableStatus"]]?.stringValue != "Stopped" ? .createVMI : .none
            default:
                return .none
            }
        }
        let deleting = vmi[path: ["metadata", "deletionTimestamp"]] != nil
        if deleting { return .none }
        switch strategy {
        case "Halted":
            return .deleteVMI(uid: uid(vmi))
        case "Always":
            return isFinal(vmi) ? .deleteVMI(uid: uid(vmi)) : .none
        case "RerunOnFailure":
            return vmi[path: ["status", "phase"]]?.stringValue == "Failed" ? .deleteVMI(uid: uid(vmi)) : .none
        default:
            return .none
        }
    }

    static func uid(_ o: JSONValue) -> String { o[path: ["metadata", "uid"]]?.stringValue ?? "" }

    static func retryAfter(_ vm: JSONValue) -> Date? {
        vm[path: ["status", "startFailure", "retryAfterTimestamp"]]?.stringValue.flatMap(ObjectLifecycle.parseTimestamp)
    }

    /// `status.printableStatus` as KubeVirt computes it from the VM and its VMI (and launcher pod state).
    public static func printableStatus(vm: JSONValue, vmi: JSONValue?, launcherWaitingReason: String? = nil, now: Date) -> String {
        if vm[path: ["metadata", "deletionTimestamp"]] != nil { return "Terminating" }
        if let retry = retryAfter(vm), retry > now, vmi == nil || isFinal(vmi) { return "CrashLoopBackOff" }
        guard let vmi else { return "Stopped" }
        if vmi[path: ["metadata", "deletionTimestamp"]] != nil { return "Stopping" }
        if let r = launcherWaitingReason, ["ErrImagePull", "ImagePullBackOff"].contains(r) { return r }
        let conds = vmi[path: ["status", "conditions"]]?.arrayValue ?? []
        if conds.contains(where: { $0["type"]?.stringValue == "PodScheduled" && $0["status"]?.stringValue == "False" && $0["reason"]?.stringValue == "Unschedulable" }) {
            return "ErrorUnschedulable"
        }
        switch vmi[path: ["status", "phase"]]?.stringValue ?? "Pending" {
        case "Pending": return "Provisioning"
        case "Scheduling", "Scheduled": return "Starting"
        case "Running":
            return conds.contains { $0["type"]?.stringValue == "Paused" && $0["status"]?.stringValue == "True" } ? "Paused" : "Running"
        case "Succeeded", "Failed": return "Stopped"
        default: return "Unknown"
        }
    }

    /// A new VMI for the VM: the template's metadata and spec, owned by the VM.
    public static func vmiFor(_ vm: JSONValue) -> JSONValue {
        let name = vm[path: ["metadata", "name"]]?.stringValue ?? ""
        var md = vm[path: ["spec", "template", "metadata"]]?.objectValue ?? JSONObject()
        md["name"] = .string(name)
        md["namespace"] = vm[path: ["metadata", "namespace"]]
        var labels = md["labels"]?.objectValue ?? JSONObject()
        labels["kubevirt.io/vm"] = .string(name)
        md["labels"] = .object(labels)
        md["ownerReferences"] = [["apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "name": .string(name),
                                  "uid": vm[path: ["metadata", "uid"]] ?? "", "controller": true, "blockOwnerDeletion": true]]
        md["creationTimestamp"] = nil
        return ["apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": .object(md),
                "spec": vm[path: ["spec", "template", "spec"]] ?? [:]]
    }
}
