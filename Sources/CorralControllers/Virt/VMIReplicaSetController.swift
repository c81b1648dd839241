import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// KubeVirt's VirtualMachineInstanceReplicaSet controller: keeps
/// `spec.replicas` active VMIs matching the selector (adopting orphans,
/// releasing VMIs that stopped matching, replacing finished ones), honours
/// `spec.paused`, and writes status (replicas, readyReplicas, labelSelector,
/// ReplicaFailure/ReplicaPaused conditions). The rules are in
/// `VMIReplicaSetPlanner`; this class only reads, writes and records events.
public final class VMIReplicaSetController: @unchecked Sendable {
    let objects: ObjectService
    let events: EventRecorder
    let logger: Logger
    let rsType: ResourceType
    let vmiType: ResourceType
    let lock = NSLock()
    var expectations = WriteExpectations()
    /// Seconds between full resyncs.
    public var resyncInterval: TimeInterval = 30

    /// `events` should report as "virtualmachinereplicaset-controller".
    public init(objects: ObjectService, events: EventRecorder, logger: Logger) {
        self.objects = objects
        self.events = events
        self.logger = logger
        rsType = objects.registry.lookup(group: "kubevirt.io", version: "v1", resource: "virtualmachineinstancereplicasets")!
        vmiType = objects.registry.lookup(group: "kubevirt.io", version: "v1", resource: "virtualmachineinstances")!
    }

    /// Runs until cancelled.
    public func run() async {
        let loop = ControllerLoop(name: "vmireplicaset", objects: objects, storageKeys: [rsType.storageKey, vmiType.storageKey],
                                  resync: resyncInterval, logger: logger)
        await loop.run(map: { [self] in await keys(for: $0) }, all: { [self] in await allKeys() }, sync: { [self] in try await sync($0) })
    }

    var owners: SelectorOwners { SelectorOwners(objects: objects, ownerType: rsType, ownerKind: VMIReplicaSetPlanner.kind) }

    func allKeys() async -> [String] { await owners.allKeys() }

    /// The owners a change concerns: the owner itself, a VMI's controller, or
    /// (for orphans) every owner in the namespace that selects it.
    func keys(for c: Change) async -> [String] {
        await owners.keys(for: c, adoptable: { $0[path: ["metadata", "deletionTimestamp"]] == nil })
    }

    func replicaSets(in ns: String) async -> [JSONValue] { await owners.owners(in: ns) }

    func withExpectations<T>(_ body: (inout WriteExpectations) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&expectations)
    }

    /// One sync of one VMIRS; returns when to look again (after failures or unobserved writes).
    func sync(_ key: String) async throws -> TimeInterval? {
        let (ns, name) = ControllerLoop.split(key)
        let rs: JSONValue
        do {
            rs = try await objects.get(rsType, namespace: ns, name: name)
        } catch let e as APIError where e.code == 404 {
            withExpectations { $0.forget(key) }
            return nil
        }
        let selector: LabelSelector
        do {
            selector = try VMIReplicaSetPlanner.selector(of: rs)
        } catch {
            logger.warning("invalid VirtualMachineInstanceReplicaSet, not syncing it", metadata: ["vmirs": .string(key), "error": .string("\(error)")])
            return nil
        }
        let (items, revision) = try await objects.store.list(storageKey: vmiType.storageKey, namespace: ns)
        let vmis: [JSONValue] = items.compactMap { try? $0.decoded() }
        let satisfied = withExpectations { $0.satisfied(key, listedRevision: revision) }

        let claim = VMIReplicaSetPlanner.claim(rs: rs, selector: selector, vmis: vmis)
        var claimed = claim.owned
        for v in claim.adopt {
            if let adopted = await adopt(v, by: rs, selector: selector) { claimed.append(adopted) }
        }
        for v in claim.release { await release(v, from: rs) }

        let plan = VMIReplicaSetPlanner.plan(rs: rs, claimed: claimed, expectationsSatisfied: satisfied)
        var scaleError: String?
        if plan.create > 0 { scaleError = await createVMIs(for: rs, key: key, count: plan.create) }
        if !plan.delete.isEmpty { scaleError = await deleteVMIs(plan.delete, of: rs, key: key, finished: false) }
        // KubeVirt cleans finished VMIs only once scaling went through.
        if scaleError == nil, !plan.cleanUp.isEmpty { scaleError = await deleteVMIs(plan.cleanUp, of: rs, key: key, finished: true) }

        try await writeStatus(rs, selector: selector, plan: plan, scaleError: scaleError)
        if scaleError != nil { return 1 }
        return satisfied ? nil : 0.2
    }

    func writeStatus(_ rs: JSONValue, selector: LabelSelector, plan: VMIReplicaSetPlan, scaleError: String?) async throws {
        let now = Date()
        let status = VMIReplicaSetStatus.status(rs: rs, selector: selector, active: plan.active, diff: plan.diff, scaleError: scaleError, now: now)
        guard status != rs["status"] ?? .object(JSONObject()) else { return }
        _ = try await objects.modify(rsType, namespace: PodState.namespace(rs), name: PodState.name(rs), subresource: "status") { cur in
            guard PodState.uid(cur) == PodState.uid(rs) else { throw CancellationError() }
            var c = cur
            c["status"] = status
            return c
        }
        if let e = VMIReplicaSetStatus.pauseEvent(rs: rs, old: rs["status"]) {
            await events.record(object: rs, type: "Normal", reason: e.reason, message: e.message)
        }
    }

    /// Creates `count` VMIs one after another; stops at the first failure and returns its message.
    func createVMIs(for rs: JSONValue, key: String, count: Int) async -> String? {
        let vmi = VMIReplicaSetPlanner.newVMI(for: rs)
        for _ in 0..<count {
            do {
                let created = try await objects.create(vmiType, namespace: PodState.namespace(rs), object: vmi)
                withExpectations { $0.expect(key, resourceVersionOf: created) }
                await events.record(object: rs, type: "Normal", reason: "SuccessfulCreate",
                                    message: VMIReplicaSetStatus.createdMessage(PodState.name(created)))
            } catch let e as APIError where e.reason == "AlreadyExists" {
                continue
            } catch {
                await events.record(object: rs, type: "Warning", reason: "FailedCreate", message: VMIReplicaSetStatus.createErrorMessage("\(error)"))
                return "\(error)"
            }
        }
        return nil
    }

    /// Deletes VMIs (by uid precondition); the first failure's message, if any.
    func deleteVMIs(_ vmis: [JSONValue], of rs: JSONValue, key: String, finished: Bool) async -> String? {
        var firstError: String?
        for v in vmis {
            do {
                let outcome = try await objects.delete(vmiType, namespace: PodState.namespace(v), name: PodState.name(v),
                                                       options: DeleteOptions(preconditionUID: PodState.uid(v)))
                switch outcome {
                case .deleted(let o), .pending(let o): withExpectations { $0.expect(key, resourceVersionOf: o) }
                }
                let uid = PodState.uid(v)
                await events.record(object: rs, type: "Normal", reason: "SuccessfulDelete",
                                    message: finished ? VMIReplicaSetStatus.cleanedMessage(uid: uid) : VMIReplicaSetStatus.deletedMessage(uid: uid))
            } catch let e as APIError where e.code == 404 {
                continue
            } catch {
                firstError = firstError ?? "\(error)"
                await events.record(object: rs, type: "Warning", reason: "FailedDelete",
                                    message: VMIReplicaSetStatus.deleteErrorMessage(PodState.name(v), "\(error)"))
            }
        }
        return firstError
    }

    /// Adds our controller reference to an orphan that still matches; the adopted VMI, or nil.
    func adopt(_ vmi: JSONValue, by rs: JSONValue, selector: LabelSelector) async -> JSONValue? {
        // KubeVirt re-reads the VMIRS first so a VMIRS being deleted adopts nothing.
        guard let fresh = try? await objects.get(rsType, namespace: PodState.namespace(rs), name: PodState.name(rs)),
              PodState.uid(fresh) == PodState.uid(rs), fresh[path: ["metadata", "deletionTimestamp"]] == nil else { return nil }
        return try? await objects.modify(vmiType, namespace: PodState.namespace(vmi), name: PodState.name(vmi)) { cur in
            guard PodState.uid(cur) == PodState.uid(vmi), PodState.controllerRef(cur) == nil, selector.matches(object: cur),
                  cur[path: ["metadata", "deletionTimestamp"]] == nil else { throw CancellationError() }
            var c = cur
            let refs = (cur[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []) + [VMIReplicaSetPlanner.ownerReference(rs)]
            c.set(path: ["metadata", "ownerReferences"], to: .array(refs))
            return c
        }
    }

    /// Drops our reference from a VMI that no longer matches.
    func release(_ vmi: JSONValue, from rs: JSONValue) async {
        let uid = PodState.uid(rs)
        _ = try? await objects.modify(vmiType, namespace: PodState.namespace(vmi), name: PodState.name(vmi)) { cur in
            guard PodState.uid(cur) == PodState.uid(vmi) else { throw CancellationError() }
            var c = cur
            let refs = (cur[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != uid }
            c.set(path: ["metadata", "ownerReferences"], to: refs.isEmpty ? nil : .array(refs))
            return c
        }
    }
}
