import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// The default scheduler: binds pods without `spec.nodeName` (and with
/// schedulerName "default-scheduler" or none) to a node that passes
/// NodeFit's checks, setting condition PodScheduled and recording
/// `Scheduled`; pods that fit nowhere get PodScheduled=False/Unschedulable
/// and a `FailedScheduling` warning worded as kube-scheduler's, and are
/// retried when pods go away, nodes change, or every `retryInterval`.
public final class Scheduler: @unchecked Sendable {
    let objects: ObjectService
    let events: EventRecorder
    let logger: Logger
    let podType: ResourceType
    let nodeType: ResourceType
    let queue: SchedulingQueue
    /// Seconds between retries of pods that did not fit.
    public var retryInterval: TimeInterval = 30

    /// `events` should report as "default-scheduler".
    public init(objects: ObjectService, events: EventRecorder, logger: Logger, schedulerName: String = "default-scheduler") {
        self.objects = objects
        self.events = events
        self.logger = logger
        podType = objects.registry.lookup(group: "", version: "v1", resource: "pods")!
        nodeType = objects.registry.lookup(group: "", version: "v1", resource: "nodes")!
        queue = SchedulingQueue(schedulerName: schedulerName)
    }

    /// Runs until cancelled.
    public func run() async {
        let podSub = objects.store.hub.subscribe(storageKey: podType.storageKey)
        let nodeSub = objects.store.hub.subscribe(storageKey: nodeType.storageKey)
        let (wake, poke) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        // Both read in full before scheduling anything: a node's bound pods missing
        // from the picture would make it look emptier than it is.
        guard let nodes = await objects.listUntilRead(nodeType), let pods = await objects.listUntilRead(podType) else {
            podSub.cancel(); nodeSub.cancel(); return
        }
        queue.reset(nodes: nodes, pods: pods)
        poke.yield()
        let queue = self.queue
        let podFeed = Task {
            for await signal in podSub.stream {
                guard case .change(let c) = signal else { continue }
                if queue.apply(pod: c) { queue.retryUnschedulable() }
                poke.yield()
            }
        }
        let nodeFeed = Task {
            for await signal in nodeSub.stream {
                guard case .change(let c) = signal else { continue }
                if queue.apply(node: c) { queue.retryUnschedulable() }
                poke.yield()
            }
        }
        let interval = retryInterval
        let retry = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                queue.retryUnschedulable()
                poke.yield()
            }
        }
        await withTaskCancellationHandler {
            for await _ in wake {
                while !Task.isCancelled, let key = queue.pop() { await schedule(key) }
            }
        } onCancel: {
            poke.finish()
        }
        for t in [podFeed, nodeFeed, retry] { t.cancel() }
        podSub.cancel()
        nodeSub.cancel()
    }

    /// One scheduling attempt for the pod `namespace/name`.
    func schedule(_ key: String) async {
        let (ns, name) = ControllerLoop.split(key)
        guard let pod = try? await objects.get(podType, namespace: ns, name: name), queue.wants(pod) else { return }
        if !(pod[path: ["spec", "schedulingGates"]]?.arrayValue ?? []).isEmpty {
            queue.markUnschedulable(pod)
            await setCondition(pod, status: "False", reason: "SchedulingGated", message: "Scheduling is blocked due to non-empty scheduling gates")
            return
        }
        let nodes = queue.snapshots()
        var failures: [FitFailure] = []
        for node in nodes {
            guard let failure = NodeFit.check(pod: pod, node: node) else {
                await bind(pod, to: node.name)
                return
            }
            failures.append(failure)
        }
        let message = nodes.isEmpty ? SchedulingMessages.noNodes
            : SchedulingMessages.unschedulable(nodeCount: nodes.count, failures: failures,
                                               preemptionPolicy: pod[path: ["spec", "preemptionPolicy"]]?.stringValue)
        queue.markUnschedulable(pod)
        await setCondition(pod, status: "False", reason: "Unschedulable", message: message)
        await events.record(object: pod, type: "Warning", reason: "FailedScheduling", message: message)
        logger.debug("unschedulable", metadata: ["pod": .string(key), "message": .string(message)])
    }

    /// Sets spec.nodeName (only if still unbound), then PodScheduled=True, then the `Scheduled` event.
    func bind(_ pod: JSONValue, to node: String) async {
        let ns = PodState.namespace(pod), name = PodState.name(pod), uid = PodState.uid(pod)
        do {
            let bound = try await objects.modify(podType, namespace: ns, name: name) { cur in
                guard PodState.uid(cur) == uid, (cur[path: ["spec", "nodeName"]]?.stringValue ?? "").isEmpty,
                      cur[path: ["metadata", "deletionTimestamp"]] == nil else { throw CancellationError() }
                var c = cur
                c.set(path: ["spec", "nodeName"], to: .string(node))
                return c
            }
            queue.assume(bound, on: node)
            await setCondition(bound, status: "True", reason: nil, message: nil)
            await events.record(object: bound, type: "Normal", reason: "Scheduled",
                                message: SchedulingMessages.assigned(namespace: ns, name: name, node: node))
            logger.debug("bound", metadata: ["pod": .string("\(ns)/\(name)"), "node": .string(node)])
        } catch is CancellationError {
            return
        } catch {
            logger.warning("binding failed", metadata: ["pod": .string("\(ns)/\(name)"), "error": .string("\(error)")])
            queue.requeue(pod)
        }
    }

    /// Writes condition PodScheduled unless it already says the same.
    func setCondition(_ pod: JSONValue, status: String, reason: String?, message: String?) async {
        let now = JSONValue.string(ObjectLifecycle.timestamp(Date()))
        _ = try? await objects.modify(podType, namespace: PodState.namespace(pod), name: PodState.name(pod), subresource: "status") { cur in
            guard PodState.uid(cur) == PodState.uid(pod) else { throw CancellationError() }
            var conds = cur[path: ["status", "conditions"]]?.arrayValue ?? []
            let old = conds.first { $0["type"]?.stringValue == "PodScheduled" }
            if old?["status"]?.stringValue == status && old?["reason"]?.stringValue == reason && old?["message"]?.stringValue == message {
                return cur
            }
            var c: JSONValue = ["type": "PodScheduled", "status": .string(status), "lastProbeTime": .null,
                                "lastTransitionTime": old?["status"]?.stringValue == status ? (old?["lastTransitionTime"] ?? now) : now]
            if let reason { c["reason"] = .string(reason) }
            if let message { c["message"] = .string(message) }
            if let i = conds.firstIndex(where: { $0["type"]?.stringValue == "PodScheduled" }) { conds[i] = c } else { conds.append(c) }
            var out = cur
            out.set(path: ["status", "conditions"], to: .array(conds))
            return out
        }
    }
}
