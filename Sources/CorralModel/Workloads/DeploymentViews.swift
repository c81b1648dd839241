import Foundation

/// Annotation keys the Deployment controller maintains (kube's deployment util).
public enum DeploymentAnnotations {
    /// The rollout sequence number, on the Deployment and each ReplicaSet.
    public static let revision = "deployment.kubernetes.io/revision"
    /// Earlier revisions a reused (rolled-back-to) ReplicaSet served, comma-separated.
    public static let revisionHistory = "deployment.kubernetes.io/revision-history"
    /// spec.replicas of the Deployment when the ReplicaSet was last sized.
    public static let desiredReplicas = "deployment.kubernetes.io/desired-replicas"
    /// replicas + maxSurge at that time (for proportional scaling).
    public static let maxReplicas = "deployment.kubernetes.io/max-replicas"
    /// Deployment annotations never copied onto ReplicaSets.
    public static let notCopied: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revision, revisionHistory, desiredReplicas, maxReplicas,
        "deprecated.deployment.rollback.to",
    ]
    /// Longest revision-history value kept (kube's maxRevHistoryLengthInChars).
    public static let maxHistoryChars = 2000
}

/// The fields of a Deployment the controller reads, plus the parts it
/// changes while planning (annotations and status).
public struct DeploymentView: Sendable {
    public var object: JSONValue
    public var name: String
    public var namespace: String
    public var uid: String
    public var generation: Int64
    public var replicas: Int
    public var selector: JSONValue
    public var template: JSONValue
    public var isRolling: Bool
    public var maxSurgeValue: JSONValue?
    public var maxUnavailableValue: JSONValue?
    public var minReadySeconds: Int64
    /// Nil keeps every old ReplicaSet.
    public var revisionHistoryLimit: Int?
    /// Nil disables progress tracking (also for 2147483647, as kube does).
    public var progressDeadlineSeconds: Int64?
    public var paused: Bool
    public var deleting: Bool
    public var annotations: [String: String]
    public var status: JSONObject

    /// Reads a stored Deployment (defaults already applied by the API).
    public init(_ d: JSONValue) {
        object = d
        name = PodState.name(d)
        namespace = PodState.namespace(d)
        uid = PodState.uid(d)
        generation = d[path: ["metadata", "generation"]]?.intValue ?? 1
        replicas = Int(d[path: ["spec", "replicas"]]?.intValue ?? 1)
        selector = d[path: ["spec", "selector"]] ?? .null
        template = d[path: ["spec", "template"]] ?? [:]
        isRolling = (d[path: ["spec", "strategy", "type"]]?.stringValue ?? "RollingUpdate") == "RollingUpdate"
        maxSurgeValue = d[path: ["spec", "strategy", "rollingUpdate", "maxSurge"]]
        maxUnavailableValue = d[path: ["spec", "strategy", "rollingUpdate", "maxUnavailable"]]
        minReadySeconds = d[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        let limit = d[path: ["spec", "revisionHistoryLimit"]]?.intValue
        revisionHistoryLimit = limit.flatMap { $0 == Int64(Int32.max) ? nil : Int($0) }
        let deadline = d[path: ["spec", "progressDeadlineSeconds"]]?.intValue
        progressDeadlineSeconds = deadline == Int64(Int32.max) ? nil : deadline
        paused = d[path: ["spec", "paused"]]?.boolValue ?? false
        deleting = d[path: ["metadata", "deletionTimestamp"]] != nil
        annotations = PodState.annotations(d)
        status = d["status"]?.objectValue ?? JSONObject()
    }

    /// maxSurge resolved for the current replica count (rounded up); 0 unless RollingUpdate.
    public var maxSurge: Int {
        guard isRolling else { return 0 }
        return (try? IntOrPercent.fenceposts(maxSurge: maxSurgeValue, maxUnavailable: maxUnavailableValue, desired: replicas).surge) ?? 0
    }

    /// maxUnavailable resolved (rounded down), at most replicas; 0 unless RollingUpdate.
    public var maxUnavailable: Int {
        guard isRolling, replicas > 0 else { return 0 }
        let u = (try? IntOrPercent.fenceposts(maxSurge: maxSurgeValue, maxUnavailable: maxUnavailableValue, desired: replicas).unavailable) ?? 1
        return min(u, replicas)
    }

    /// A status integer field (absent = 0).
    public func statusInt(_ key: String) -> Int { Int(status[key]?.intValue ?? 0) }

    /// The status conditions.
    public var conditions: [JSONValue] { status["conditions"]?.arrayValue ?? [] }
}

/// The fields of a ReplicaSet the Deployment controller reads and changes.
public struct ReplicaSetView: Equatable, Sendable {
    public var name: String
    public var uid: String
    public var created: Date
    public var replicas: Int
    public var annotations: [String: String]
    public var template: JSONValue
    public var minReadySeconds: Int64
    public var statusReplicas: Int
    public var readyReplicas: Int
    public var availableReplicas: Int
    public var generation: Int64
    public var observedGeneration: Int64
    public var deleting: Bool
    public var conditions: [JSONValue]

    /// Reads a stored ReplicaSet.
    public init(_ rs: JSONValue) {
        name = PodState.name(rs)
        uid = PodState.uid(rs)
        created = PodState.created(rs)
        replicas = Int(rs[path: ["spec", "replicas"]]?.intValue ?? 1)
        annotations = PodState.annotations(rs)
        template = rs[path: ["spec", "template"]] ?? [:]
        minReadySeconds = rs[path: ["spec", "minReadySeconds"]]?.intValue ?? 0
        statusReplicas = Int(rs[path: ["status", "replicas"]]?.intValue ?? 0)
        readyReplicas = Int(rs[path: ["status", "readyReplicas"]]?.intValue ?? 0)
        availableReplicas = Int(rs[path: ["status", "availableReplicas"]]?.intValue ?? 0)
        generation = rs[path: ["metadata", "generation"]]?.intValue ?? 1
        observedGeneration = rs[path: ["status", "observedGeneration"]]?.intValue ?? 0
        deleting = rs[path: ["metadata", "deletionTimestamp"]] != nil
        conditions = rs[path: ["status", "conditions"]]?.arrayValue ?? []
    }

    /// The revision annotation as a number: 0 when absent, nil when not a number.
    public var revision: Int64? {
        guard let s = annotations[DeploymentAnnotations.revision] else { return 0 }
        return Int64(s)
    }

    /// Creation order, with the name breaking ties (kube's ReplicaSetsByCreationTimestamp).
    public static func olderFirst(_ a: ReplicaSetView, _ b: ReplicaSetView) -> Bool {
        a.created == b.created ? a.name < b.name : a.created < b.created
    }
}

/// One write the Deployment controller asks for, in order.
public enum DeploymentAction: Equatable, Sendable {
    /// Create this ReplicaSet (the full object).
    case createReplicaSet(JSONValue)
    /// Set a ReplicaSet's replicas, annotations and minReadySeconds; `fromReplicas`
    /// is the value planned from (the write is skipped if it changed meanwhile).
    case updateReplicaSet(name: String, uid: String, fromReplicas: Int, replicas: Int, annotations: [String: String], minReadySeconds: Int64)
    /// Delete an old ReplicaSet (history cleanup).
    case deleteReplicaSet(name: String, uid: String)
    /// Write the Deployment's annotations (revision) and status.
    case updateDeployment(annotations: [String: String], status: JSONValue)
    /// Record an event on the Deployment.
    case event(type: String, reason: String, message: String)
}

/// The outcome of one Deployment sync: writes, and when to look again.
public struct DeploymentPlan: Equatable, Sendable {
    /// The writes, in order.
    public var actions: [DeploymentAction]
    /// Seconds after which to sync again (progress-deadline checks), if needed.
    public var requeueAfter: TimeInterval?
}

/// Deployment condition helpers (kube's Get/Set/RemoveDeploymentCondition).
public enum DeploymentConditions {
    /// A condition with both timestamps `now`.
    public static func make(_ type: String, _ status: String, _ reason: String, _ message: String, now: Date) -> JSONValue {
        let ts = JSONValue.string(ObjectLifecycle.timestamp(now))
        return ["type": .string(type), "status": .string(status), "lastUpdateTime": ts, "lastTransitionTime": ts,
                "reason": .string(reason), "message": .string(message)]
    }

    /// The condition of `type`, if present.
    public static func get(_ conds: [JSONValue], _ type: String) -> JSONValue? {
        conds.first { $0["type"]?.stringValue == type }
    }

    /// Replaces the condition of the same type unless status and reason are
    /// unchanged; keeps lastTransitionTime when only the reason changes.
    public static func set(_ conds: inout [JSONValue], _ c: JSONValue) {
        var c = c
        let type = c["type"]?.stringValue ?? ""
        if let cur = get(conds, type) {
            if cur["status"] == c["status"] && cur["reason"] == c["reason"] { return }
            if cur["status"] == c["status"] { c["lastTransitionTime"] = cur["lastTransitionTime"] }
        }
        remove(&conds, type)
        conds.append(c)
    }

    /// Drops the condition of `type`.
    public static func remove(_ conds: inout [JSONValue], _ type: String) {
        conds.removeAll { $0["type"]?.stringValue == type }
    }
}
