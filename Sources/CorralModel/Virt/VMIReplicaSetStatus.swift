import Foundation

/// The status KubeVirt's VMIRS controller writes, and the events it records
/// when pausing flips.
public enum VMIReplicaSetStatus {
    /// Condition type set while a create or delete fails.
    public static let replicaFailure = "ReplicaFailure"
    /// Condition type set while `spec.paused` is true.
    public static let replicaPaused = "ReplicaPaused"

    /// The status for the active VMIs after a sync: `replicas`,
    /// `readyReplicas` and `labelSelector` (left out when zero/empty, as
    /// KubeVirt's omitempty does), plus the conditions: `ReplicaPaused` while
    /// paused, `ReplicaFailure` while `scaleError` is set (reason FailedCreate
    /// when replicas were missing, else FailedDelete). Conditions already
    /// present keep their transition time. Other status fields are kept.
    public static func status(rs: JSONValue, selector: LabelSelector, active: [JSONValue], diff: Int,
                              scaleError: String?, now: Date) -> JSONValue {
        var s = rs["status"]?.objectValue ?? JSONObject()
        let ready = active.filter(VMIReplicaSetPlanner.isReady).count
        s["replicas"] = active.isEmpty ? nil : .int(Int64(active.count))
        s["readyReplicas"] = ready == 0 ? nil : .int(Int64(ready))
        let sel = selector.description
        s["labelSelector"] = sel.isEmpty ? nil : .string(sel)

        var conds = s["conditions"]?.arrayValue ?? []
        let paused = rs[path: ["spec", "paused"]]?.boolValue == true
        if paused && !has(conds, replicaPaused) {
            conds.append(condition(replicaPaused, reason: "Paused", message: "Controller got paused", now: now))
        } else if !paused {
            conds.removeAll { $0["type"]?.stringValue == replicaPaused }
        }
        if let err = scaleError, !has(conds, replicaFailure) {
            conds.append(condition(replicaFailure, reason: diff < 0 ? "FailedCreate" : "FailedDelete", message: err, now: now))
        } else if scaleError == nil {
            conds.removeAll { $0["type"]?.stringValue == replicaFailure }
        }
        s["conditions"] = conds.isEmpty ? nil : .array(conds)
        return .object(s)
    }

    /// The event a status change calls for: ("SuccessfulPaused", "Paused") when
    /// the VMIRS just got paused, ("SuccessfulResumed", "Resumed") when it got
    /// resumed, nil otherwise. `old` is the status before the sync.
    public static func pauseEvent(rs: JSONValue, old: JSONValue?) -> (reason: String, message: String)? {
        let paused = rs[path: ["spec", "paused"]]?.boolValue == true
        let had = has(old?["conditions"]?.arrayValue ?? [], replicaPaused)
        if paused == had { return nil }
        return paused ? ("SuccessfulPaused", "Paused") : ("SuccessfulResumed", "Resumed")
    }

    static func has(_ conds: [JSONValue], _ type: String) -> Bool {
        conds.contains { $0["type"]?.stringValue == type }
    }

    static func condition(_ type: String, reason: String, message: String, now: Date) -> JSONValue {
        ["type": .string(type), "status": "True", "lastProbeTime": .null,
         "lastTransitionTime": .string(ObjectLifecycle.timestamp(now)), "reason": .string(reason), "message": .string(message)]
    }

    /// The `SuccessfulCreate` event message.
    public static func createdMessage(_ vmi: String) -> String {
        "Started the virtual machine by creating the new virtual machine instance \(vmi)"
    }
    /// The `SuccessfulDelete` event message for a scale-down (KubeVirt names the VMI by uid).
    public static func deletedMessage(uid: String) -> String {
        "Stopped the virtual machine by deleting the virtual machine instance \(uid)"
    }
    /// The `SuccessfulDelete` event message for a finished VMI.
    public static func cleanedMessage(uid: String) -> String { "Deleted finished virtual machine: \(uid)" }
    /// The `FailedCreate` event message.
    public static func createErrorMessage(_ err: String) -> String { "Error creating virtual machine instance: \(err)" }
    /// The `FailedDelete` event message.
    public static func deleteErrorMessage(_ vmi: String, _ err: String) -> String {
        "Error deleting virtual machine instance \(vmi): \(err)"
    }
}
