import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// The node agent: runs the pods bound to this node. It watches pods like
/// the kubelet does and gives each one a `PodWorker`; at start it re-adopts
/// what is still running from before and removes what belongs to pods that
/// were deleted meanwhile.
public final class NodeAgent: @unchecked Sendable {
    let objects: ObjectService
    let config: NodeAgentConfig
    let backend: PodBackend
    let api: NodeAPI
    let logger: Logger
    private let lock = NSLock()
    private var workers: [String: PodWorker] = [:]
    private var vmWorkers: [String: VMWorker] = [:]
    /// The VM side; nil when libvirt is not reachable (launcher pods then wait with an event).
    let vms: VMBackend?

    init(objects: ObjectService, config: NodeAgentConfig, backend: PodBackend, vms: VMBackend?, logger: Logger) {
        self.objects = objects
        self.vms = vms
        self.config = config
        self.backend = backend
        self.logger = logger
        api = NodeAPI(objects: objects, nodeName: config.nodeName, logger: logger)
    }

    /// Watches pods until cancelled.
    public func run(knownPodUIDsOnDisk: [String]) async {
        let podType = api.pods
        let sub = objects.store.hub.subscribe(storageKey: podType.storageKey)
        defer { sub.cancel() }
        // Until the pods are read there is no telling which are gone: an unread
        // list must never count as "every pod deleted" (shutdown cancels reads).
        guard let pods = await objects.listUntilRead(podType, onError: { error in
            logger.warning("listing pods failed; retrying", metadata: ["error": .string("\(error)")])
        }) else { return }
        var live = Set<String>()
        for pod in pods where mine(pod) { live.insert(uid(pod)); dispatch(pod) }
        // Pods deleted while the agent was down: remove what they left.
        for orphan in knownPodUIDsOnDisk where !live.contains(orphan) {
            if Task.isCancelled { return }
            logger.info("cleaning up pod deleted while the agent was down", metadata: ["uid": .string(orphan)])
            if let vms, let vmi = try? String(contentsOfFile: "\(config.podsDir)/\(orphan)/vmi", encoding: .utf8) {
                await vms.teardown(vmiUID: vmi.trimmingCharacters(in: .whitespacesAndNewlines), grace: 0)
            }
            await backend.teardown(podUID: orphan)
        }
        // Subscribed before listing, so nothing falls in between; a change
        // seen twice is harmless (workers take the newest pod).
        for await signal in sub.stream {
            if Task.isCancelled { break }
            guard case .change(let c) = signal, mine(c.object) else { continue }
            if c.type == .deleted {
                // Removed without a graceful phase (grace 0, --force): the worker must
                // still stop and clean up what the pod left on this node.
                var gone = c.object
                if gone[path: ["metadata", "deletionTimestamp"]] == nil {
                    gone.set(path: ["metadata", "deletionTimestamp"], to: .string(ObjectLifecycle.timestamp(Date())))
                    gone.set(path: ["metadata", "deletionGracePeriodSeconds"], to: 0)
                }
                dispatch(gone)
                continue
            }
            dispatch(c.object)
        }
    }

    private func uid(_ pod: JSONValue) -> String { pod[path: ["metadata", "uid"]]?.stringValue ?? "" }

    private func mine(_ pod: JSONValue) -> Bool { pod[path: ["spec", "nodeName"]]?.stringValue == config.nodeName }

    /// Hands the pod to its worker, starting one if needed.
    private func dispatch(_ pod: JSONValue) {
        let id = uid(pod)
        if LauncherPod.isLauncher(pod) {
            dispatchVM(pod, id: id)
            return
        }
        let (worker, isNew): (PodWorker, Bool) = lock.withLock {
            if let w = workers[id] { return (w, false) }
            let w = PodWorker(pod: pod, backend: backend, api: api, config: config, logger: logger)
            workers[id] = w
            return (w, true)
        }
        if isNew {
            Task {
                await worker.run()
                self.lock.withLock { _ = self.workers.removeValue(forKey: id) }
            }
        } else {
            Task { await worker.update(pod) }
        }
    }

    /// A VM launcher pod: its VM runs under libvirt, not as containers.
    private func dispatchVM(_ pod: JSONValue, id: String) {
        guard let vms else {
            if pod[path: ["status", "containerStatuses"]] == nil {
                api.event(about: pod, type: "Warning", reason: "FailedCreate", message: "libvirt is not available on this node: cannot run virtual machines")
            }
            return
        }
        let (worker, isNew): (VMWorker, Bool) = lock.withLock {
            if let w = vmWorkers[id] { return (w, false) }
            let w = VMWorker(pod: pod, vms: vms, api: api, logger: logger)
            vmWorkers[id] = w
            return (w, true)
        }
        if isNew {
            // KubeVirt's virt-handler writes the VMI status on the node.
            _ = ObjectService.spawn(as: "virt-handler") {
                await worker.run()
                self.lock.withLock { _ = self.vmWorkers.removeValue(forKey: id) }
            }
        } else {
            Task { await worker.update(pod) }
        }
    }

    /// The number of pods with a worker (for metrics and tests).
    public var activePods: Int { lock.withLock { workers.count } }
}
