import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// kube's Deployment controller: claims ReplicaSets, then applies the writes
/// `DeploymentPlanner` plans for each sync (rolling update, recreate,
/// scaling, revisions, history cleanup, status and conditions).
public final class DeploymentController: @unchecked Sendable {
    let objects: ObjectService
    let events: EventRecorder
    let logger: Logger
    let deployType: ResourceType
    let rsType: ResourceType
    let podType: ResourceType
    /// Seconds between full resyncs.
    public var resyncInterval: TimeInterval = 30

    /// `events` should report as "deployment-controller".
    public init(objects: ObjectService, events: EventRecorder, logger: Logger) {
        self.objects = objects
        self.events = events
        self.logger = logger
        deployType = objects.registry.lookup(group: "apps", version: "v1", resource: "deployments")!
        rsType = objects.registry.lookup(group: "apps", version: "v1", resource: "replicasets")!
        podType = objects.registry.lookup(group: "", version: "v1", resource: "pods")!
    }

    /// Runs until cancelled.
    public func run() async {
        let loop = ControllerLoop(name: "deployment", objects: objects,
                                  storageKeys: [deployType.storageKey, rsType.storageKey, podType.storageKey],
                                  resync: resyncInterval, logger: logger)
        await loop.run(map: { [self] in await keys(for: $0) }, all: { [self] in await allKeys() }, sync: { [self] in try await sync($0) })
    }

    func allKeys() async -> [String] {
        guard let (items, _) = try? await objects.store.list(storageKey: deployType.storageKey, namespace: nil) else { return [] }
        return items.map { ControllerLoop.key($0.key.namespace, $0.key.name) }
    }

    func list(_ type: ResourceType, _ ns: String) async throws -> [JSONValue] {
        try await objects.store.list(storageKey: type.storageKey, namespace: ns).items.compactMap { try? $0.decoded() }
    }

    /// Deployments a change concerns. Pods matter only when they finish or go
    /// away (Recreate waits for old pods), via their ReplicaSet's owner.
    func keys(for c: Change) async -> [String] {
        let ns = c.key.namespace
        switch c.key.storageKey {
        case deployType.storageKey:
            return [ControllerLoop.key(ns, c.key.name)]
        case rsType.storageKey:
            var out = Set<String>()
            for obj in [c.object, c.previous].compactMap({ $0 }) {
                if let ref = PodState.controllerRef(obj) {
                    if ref["kind"]?.stringValue == "Deployment", let n = ref["name"]?.stringValue { out.insert(ControllerLoop.key(ns, n)) }
                } else if c.type != .deleted, let ds = try? await list(deployType, ns) {
                    for d in ds where (try? LabelSelector(json: d[path: ["spec", "selector"]] ?? .null))?.matches(object: obj) == true {
                        out.insert(ControllerLoop.key(ns, PodState.name(d)))
                    }
                }
            }
            return Array(out)
        default:
            let phase = c.object[path: ["status", "phase"]]
            guard c.type == .deleted || phase != c.previous?[path: ["status", "phase"]],
                  let ref = PodState.controllerRef(c.object), ref["kind"]?.stringValue == "ReplicaSet", let rsName = ref["name"]?.stringValue,
                  let rs = try? await objects.get(rsType, namespace: ns, name: rsName),
                  let owner = PodState.controllerRef(rs), owner["kind"]?.stringValue == "Deployment", let d = owner["name"]?.stringValue
            else { return [] }
            return [ControllerLoop.key(ns, d)]
        }
    }

    /// One sync of one Deployment; returns when to look again.
    func sync(_ key: String) async throws -> TimeInterval? {
        let (ns, name) = ControllerLoop.split(key)
        let d: JSONValue
        do {
            d = try await objects.get(deployType, namespace: ns, name: name)
        } catch let e as APIError where e.code == 404 {
            return nil
        }
        guard let selector = try? LabelSelector(json: d[path: ["spec", "selector"]] ?? .null) else {
            logger.warning("deployment has an invalid selector", metadata: ["deployment": .string(key)])
            return nil
        }
        let claim = ReplicaSetPlanning.claim(owner: d, selector: selector, pods: try await list(rsType, ns))
        var owned = claim.owned
        for rs in claim.adopt {
            if let adopted = try? await setOwner(rs, to: d, selector: selector) { owned.append(adopted) }
        }
        for rs in claim.release { _ = try? await setOwner(rs, to: nil, selector: selector) }
        var podsByRS: [String: [JSONValue]] = [:]
        if d[path: ["spec", "strategy", "type"]]?.stringValue == "Recreate" {
            let uids = Set(owned.map(PodState.uid))
            for p in try await list(podType, ns) {
                if let u = PodState.controllerUID(p), uids.contains(u) { podsByRS[u, default: []].append(p) }
            }
        }
        let plan = DeploymentPlanner.plan(deployment: d, replicaSets: owned, podsByReplicaSet: podsByRS, now: Date())
        let executor = DeploymentExecutor(objects: objects, events: events, deployType: deployType, rsType: rsType)
        try await executor.apply(plan.actions, to: d)
        return plan.requeueAfter
    }

    /// Adopts (`owner` set) or releases (`owner` nil) a ReplicaSet, re-checking it first.
    func setOwner(_ rs: JSONValue, to owner: JSONValue?, selector: LabelSelector) async throws -> JSONValue {
        try await objects.modify(rsType, namespace: PodState.namespace(rs), name: PodState.name(rs)) { cur in
            guard PodState.uid(cur) == PodState.uid(rs) else { throw CancellationError() }
            var c = cur
            var refs = cur[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []
            if let owner {
                guard PodState.controllerRef(cur) == nil, selector.matches(object: cur) else { throw CancellationError() }
                refs.append(PodState.ownerReference(to: owner))
            } else {
                refs.removeAll { $0["uid"] == PodState.controllerRef(rs)?["uid"] }
            }
            c.set(path: ["metadata", "ownerReferences"], to: refs.isEmpty ? nil : .array(refs))
            return c
        }
    }
}
