import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// kube's ReplicaSet controller: keeps `spec.replicas` active pods matching
/// the selector, adopting orphans and releasing pods that stopped matching,
/// and reports status (replicas, fullyLabeled, ready, available, conditions).
public final class ReplicaSetController: @unchecked Sendable {
    let objects: ObjectService
    let events: EventRecorder
    let logger: Logger
    let rsType: ResourceType
    let podType: ResourceType
    /// Seconds between full resyncs.
    public var resyncInterval: TimeInterval = 30

    /// `events` should report as "replicaset-controller".
    public init(objects: ObjectService, events: EventRecorder, logger: Logger) {
        self.objects = objects
        self.events = events
        self.logger = logger
        rsType = objects.registry.lookup(group: "apps", version: "v1", resource: "replicasets")!
        podType = objects.registry.lookup(group: "", version: "v1", resource: "pods")!
    }

    /// Runs until cancelled.
    public func run() async {
        let loop = ControllerLoop(name: "replicaset", objects: objects, storageKeys: [rsType.storageKey, podType.storageKey],
                                  resync: resyncInterval, logger: logger)
        await loop.run(map: { [self] in await keys(for: $0) }, all: { [self] in await allKeys() }, sync: { [self] in try await sync($0) })
    }

    var owners: SelectorOwners { SelectorOwners(objects: objects, ownerType: rsType, ownerKind: "ReplicaSet") }

    func allKeys() async -> [String] { await owners.allKeys() }

    /// The owners a change concerns: the owner itself, a pod's controller, or
    /// (for orphans) every owner in the namespace that selects it.
    func keys(for c: Change) async -> [String] {
        await owners.keys(for: c, adoptable: PodState.isActive)
    }

    func replicaSets(in ns: String) async -> [JSONValue] { await owners.owners(in: ns) }

    func pods(in ns: String) async throws -> [JSONValue] {
        try await objects.store.list(storageKey: podType.storageKey, namespace: ns).items.compactMap { try? $0.decoded() }
    }

    /// One sync of one ReplicaSet; returns when to look again (minReadySeconds, retries).
    func sync(_ key: String) async throws -> TimeInterval? {
        let (ns, name) = ControllerLoop.split(key)
        let rs: JSONValue
        do {
            rs = try await objects.get(rsType, namespace: ns, name: name)
        } catch let e as APIError where e.code == 404 {
            return nil
        }
        guard let selector = try? LabelSelector(json: rs[path: ["spec", "selector"]] ?? .null) else {
            logger.warning("replicaset has an invalid selector", metadata: ["replicaset": .string(key)])
            return nil
        }
        let all = try await pods(in: ns)
        let claim = ReplicaSetPlanning.claim(owner: rs, selector: selector, pods: all.filter(PodState.isActive))
        var owned = claim.owned
        for p in claim.adopt {
            if let adopted = await adopt(p, by: rs, selector: selector) { owned.append(adopted) }
        }
        for p in claim.release { await release(p, from: rs) }

        var manageError: String?
        if rs[path: ["metadata", "deletionTimestamp"]] == nil {
            let desired = Int(rs[path: ["spec", "replicas"]]?.intValue ?? 1)
            let diff = owned.count - desired
            if diff < 0 {
                manageError = await createPods(for: rs, count: min(-diff, ReplicaSetPlanning.burstReplicas))
            } else if diff > 0 {
                let related = await relatedPods(rs, all: all, owned: owned)
                let victims = PodDeletionRanking.podsToDelete(owned, related: related, count: min(diff, ReplicaSetPlanning.burstReplicas), now: Date())
                manageError = await deletePods(victims, of: rs)
            }
        }
        let now = Date()
        let status = ReplicaSetPlanning.status(rs: rs, pods: owned, manageError: manageError, now: now)
        if status != rs["status"] {
            _ = try await objects.modify(rsType, namespace: ns, name: name, subresource: "status") { cur in
                guard PodState.uid(cur) == PodState.uid(rs) else { throw CancellationError() }
                var c = cur
                c["status"] = status
                return c
            }
        }
        if manageError != nil { return 1 }
        return ReplicaSetPlanning.nextAvailabilityCheck(rs: rs, pods: owned, now: now).map { $0 + 0.05 }
    }

    /// Pods of every ReplicaSet controlled by the same owner (they decide who is doubled up on a node).
    func relatedPods(_ rs: JSONValue, all: [JSONValue], owned: [JSONValue]) async -> [JSONValue] {
        guard let owner = PodState.controllerUID(rs) else { return owned }
        let siblings = Set(await replicaSets(in: PodState.namespace(rs)).filter { PodState.controllerUID($0) == owner }.map(PodState.uid))
        return all.filter { PodState.controllerUID($0).map(siblings.contains) ?? false }
    }

    /// Creates `count` pods one after another; stops at the first failure and returns its message.
    func createPods(for rs: JSONValue, count: Int) async -> String? {
        let pod = ReplicaSetPlanning.newPod(for: rs)
        for _ in 0..<count {
            do {
                let created = try await objects.create(podType, namespace: PodState.namespace(rs), object: pod)
                await events.record(object: rs, type: "Normal", reason: "SuccessfulCreate",
                                    message: ReplicaSetPlanning.createdMessage(PodState.name(created)))
            } catch let e as APIError where e.reason == "AlreadyExists" {
                continue
            } catch {
                let msg = "\(error)"
                // Creates in a terminating namespace fail for good; kube records no event for them.
                if !msg.contains("because it is being terminated") {
                    await events.record(object: rs, type: "Warning", reason: "FailedCreate", message: ReplicaSetPlanning.createErrorMessage(msg))
                }
                return msg
            }
        }
        return nil
    }

    func deletePods(_ pods: [JSONValue], of rs: JSONValue) async -> String? {
        var firstError: String?
        for p in pods {
            do {
                _ = try await objects.delete(podType, namespace: PodState.namespace(p), name: PodState.name(p),
                                             options: DeleteOptions(preconditionUID: PodState.uid(p)))
                await events.record(object: rs, type: "Normal", reason: "SuccessfulDelete", message: ReplicaSetPlanning.deletedMessage(PodState.name(p)))
            } catch let e as APIError where e.code == 404 {
                continue
            } catch {
                firstError = firstError ?? "\(error)"
                await events.record(object: rs, type: "Warning", reason: "FailedDelete", message: ReplicaSetPlanning.deleteErrorMessage("\(error)"))
            }
        }
        return firstError
    }

    /// Adds our controller reference to an orphan that still matches; the adopted pod, or nil.
    func adopt(_ pod: JSONValue, by rs: JSONValue, selector: LabelSelector) async -> JSONValue? {
        try? await objects.modify(podType, namespace: PodState.namespace(pod), name: PodState.name(pod)) { cur in
            guard PodState.uid(cur) == PodState.uid(pod), PodState.controllerRef(cur) == nil, selector.matches(object: cur),
                  PodState.isActive(cur) else { throw CancellationError() }
            var c = cur
            let refs = (cur[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []) + [PodState.ownerReference(to: rs)]
            c.set(path: ["metadata", "ownerReferences"], to: .array(refs))
            return c
        }
    }

    /// Drops our reference from a pod that no longer matches.
    func release(_ pod: JSONValue, from rs: JSONValue) async {
        let uid = PodState.uid(rs)
        _ = try? await objects.modify(podType, namespace: PodState.namespace(pod), name: PodState.name(pod)) { cur in
            guard PodState.uid(cur) == PodState.uid(pod) else { throw CancellationError() }
            var c = cur
            let refs = (cur[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != uid }
            c.set(path: ["metadata", "ownerReferences"], to: refs.isEmpty ? nil : .array(refs))
            return c
        }
    }
}
