import Foundation

/// Why a VirtualMachineInstanceReplicaSet cannot be acted on (KubeVirt's
/// controller logs these and does not requeue).
public enum VMIReplicaSetError: Error, Equatable, CustomStringConvertible {
    /// `spec.template` is missing.
    case missingTemplate
    /// `spec.template.metadata.labels` is empty.
    case noTemplateLabels
    /// `spec.selector` does not parse.
    case invalidSelector(String)
    /// The selector does not select the template's labels.
    case selectorMismatch

    /// The message, worded like KubeVirt's log lines and admission errors.
    public var description: String {
        switch self {
        case .missingTemplate: return "missing virtual machine template."
        case .noTemplateLabels: return "the template has no labels"
        case .invalidSelector(let m): return "invalid selector: \(m)"
        case .selectorMismatch: return "selector does not match labels."
        }
    }
}

/// One sync's decisions for a VMIRS over the VMIs it has claimed.
public struct VMIReplicaSetPlan: Equatable, Sendable {
    /// Claimed VMIs that count as replicas: not finished, not being deleted, launcher pod not terminating.
    public var active: [JSONValue] = []
    /// How many VMIs to create from `spec.template`.
    public var create = 0
    /// Active VMIs to delete to scale down, in the order to delete them.
    public var delete: [JSONValue] = []
    /// Finished (Succeeded/Failed) or unknown VMIs to delete; replacements are counted in `create`.
    public var cleanUp: [JSONValue] = []
    /// `spec.replicas` minus the active count (negative: missing replicas), for the failure condition.
    public var diff = 0
}

/// Pure rules of KubeVirt's VirtualMachineInstanceReplicaSet controller
/// (`pkg/virt-controller/watch/replicaset`): validation, claiming, scaling,
/// which VMIs go first, and the VMIs it creates.
public enum VMIReplicaSetPlanner {
    /// Most VMIs created or deleted in one sync (KubeVirt's `controller.BurstReplicas`).
    public static let burstReplicas = 250
    /// The owner kind written into VMIs' controller references.
    public static let kind = "VirtualMachineInstanceReplicaSet"

    /// The selector of a VMIRS the controller may act on, or why not (no
    /// template, no template labels, a bad selector, or one that does not
    /// select the template's labels). A missing selector selects nothing.
    public static func selector(of rs: JSONValue) throws -> LabelSelector {
        guard let template = rs[path: ["spec", "template"]], template.objectValue != nil else { throw VMIReplicaSetError.missingTemplate }
        let labels = LabelSelector.labels(of: template)
        if labels.isEmpty { throw VMIReplicaSetError.noTemplateLabels }
        let sel: LabelSelector
        do { sel = try LabelSelector(json: rs[path: ["spec", "selector"]] ?? .null) } catch { throw VMIReplicaSetError.invalidSelector("\(error)") }
        guard sel.matches(labels) else { throw VMIReplicaSetError.selectorMismatch }
        return sel
    }

    /// Claims the namespace's VMIs as KubeVirt's `ClaimVirtualMachineInstances`
    /// does: owned and matching are kept, matching orphans (not being deleted)
    /// are adopted, owned ones that stopped matching are released. A VMIRS
    /// being deleted neither adopts nor releases. Finished VMIs are claimed too.
    public static func claim(rs: JSONValue, selector: LabelSelector, vmis: [JSONValue]) -> PodClaim {
        ReplicaSetPlanning.claim(owner: rs, selector: selector, pods: vmis)
    }

    /// `spec.replicas`, 1 when unset.
    public static func desiredReplicas(_ rs: JSONValue) -> Int {
        Int(rs[path: ["spec", "replicas"]]?.intValue ?? 1)
    }

    /// What to do with the claimed VMIs. Nothing is created or deleted while
    /// the VMIRS is paused or being deleted, or while earlier writes have not
    /// been observed yet (`expectationsSatisfied` false).
    public static func plan(rs: JSONValue, claimed: [JSONValue], expectationsSatisfied: Bool) -> VMIReplicaSetPlan {
        var p = VMIReplicaSetPlan()
        p.active = claimed.filter(isActive)
        p.diff = p.active.count - desiredReplicas(rs)
        let paused = rs[path: ["spec", "paused"]]?.boolValue == true
        let deleting = rs[path: ["metadata", "deletionTimestamp"]] != nil
        guard expectationsSatisfied, !paused, !deleting else { return p }
        let n = min(abs(p.diff), burstReplicas)
        if p.diff < 0 {
            p.create = n
        } else if p.diff > 0 {
            p.delete = Array(rankedForDeletion(p.active).prefix(n))
        }
        let finished = claimed.filter { $0[path: ["metadata", "deletionTimestamp"]] == nil && (isFinal($0) || isUnknown($0)) }
        p.cleanUp = Array(finished.prefix(burstReplicas))
        return p
    }

    /// Phase Succeeded or Failed: the guest is gone for good.
    public static func isFinal(_ vmi: JSONValue) -> Bool {
        let phase = vmi[path: ["status", "phase"]]?.stringValue
        return phase == "Succeeded" || phase == "Failed"
    }

    /// Not final, but its launcher pod is terminating (Ready False, reason PodTerminating): KubeVirt gives it up.
    public static func isUnknown(_ vmi: JSONValue) -> Bool {
        !isFinal(vmi) && condition(vmi, "Ready").map { $0["status"]?.stringValue == "False" && $0["reason"]?.stringValue == "PodTerminating" } == true
    }

    /// Counts as a replica: not final, not being deleted, not unknown (KubeVirt's `filterActiveVMIs`).
    public static func isActive(_ vmi: JSONValue) -> Bool {
        !isFinal(vmi) && vmi[path: ["metadata", "deletionTimestamp"]] == nil && !isUnknown(vmi)
    }

    /// Condition Ready is True.
    public static func isReady(_ vmi: JSONValue) -> Bool {
        condition(vmi, "Ready")?["status"]?.stringValue == "True"
    }

    static func condition(_ vmi: JSONValue, _ type: String) -> JSONValue? {
        vmi[path: ["status", "conditions"]]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    /// How far a VMI got towards running: lower ranks are deleted first.
    static func phaseRank(_ vmi: JSONValue) -> Int {
        switch vmi[path: ["status", "phase"]]?.stringValue ?? "" {
        case "", "Pending": return 0
        case "Scheduling": return 1
        case "Scheduled": return 2
        case "Unknown": return 3
        default: return 4
        }
    }

    /// Active VMIs in the order a scale-down removes them: not yet running
    /// first (pending before scheduling before scheduled), then not ready
    /// before ready, then the newest first. (KubeVirt itself takes its cache's
    /// order and leaves "not yet running first" as a TODO; this follows that
    /// TODO and kube's ReplicaSet ranking.)
    public static func rankedForDeletion(_ vmis: [JSONValue]) -> [JSONValue] {
        vmis.sorted { a, b in
            let (ra, rb) = (phaseRank(a), phaseRank(b))
            if ra != rb { return ra < rb }
            let (ya, yb) = (isReady(a), isReady(b))
            if ya != yb { return !ya }
            let (ca, cb) = (PodState.created(a), PodState.created(b))
            if ca != cb { return ca > cb }
            return PodState.name(a) < PodState.name(b)
        }
    }

    /// The generateName of new VMIs: the template's name, else its
    /// generateName, else the VMIRS name, used as is (KubeVirt adds no dash,
    /// so VMIs are named like `myrsx7k2p`).
    public static func baseName(_ rs: JSONValue) -> String {
        for path in [["spec", "template", "metadata", "name"], ["spec", "template", "metadata", "generateName"]] {
            if let s = rs[path: path]?.stringValue, !s.isEmpty { return s }
        }
        return PodState.name(rs)
    }

    /// The controller reference a VMIRS puts on its VMIs.
    public static func ownerReference(_ rs: JSONValue) -> JSONValue {
        ["apiVersion": "kubevirt.io/v1", "kind": .string(kind), "name": .string(PodState.name(rs)),
         "uid": .string(PodState.uid(rs)), "controller": true, "blockOwnerDeletion": true]
    }

    /// A new VMI from `spec.template`: the template's metadata (labels,
    /// annotations, finalizers...) without name, `generateName` from
    /// `baseName`, the VMIRS namespace, our controller reference, and the template spec.
    public static func newVMI(for rs: JSONValue) -> JSONValue {
        var md = rs[path: ["spec", "template", "metadata"]]?.objectValue ?? JSONObject()
        for f in ["name", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "selfLink"] { md[f] = nil }
        md["generateName"] = .string(baseName(rs))
        md["namespace"] = .string(PodState.namespace(rs))
        md["ownerReferences"] = [ownerReference(rs)]
        return ["apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": .object(md),
                "spec": rs[path: ["spec", "template", "spec"]] ?? [:]]
    }
}
