import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging
import XCTest

@testable import CorralControllers

/// A real SQLite store in a temp directory with ObjectService, a Node from
/// Bootstrap, the controllers under test, and a fake kubelet that marks
/// bound pods Running and Ready (unless their image is in `neverReady`) and
/// completes graceful deletions at once.
final class ControllerHarness: @unchecked Sendable {
    let dir: String
    let store: SQLiteStore
    let objects: ObjectService
    let logger = Logger(label: "test")
    var tasks: [Task<Void, Never>] = []
    let lock = NSLock()
    var neverReady: Set<String> = []
    let pods: ResourceType
    let deployments: ResourceType
    let replicaSets: ResourceType
    let nodes: ResourceType
    let events: ResourceType

    init(memoryKiB: Int64 = 4 * 1024 * 1024, cpus: Int = 2) async throws {
        dir = NSTemporaryDirectory() + "corral-ctl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try SQLiteStore(path: dir + "/store.db", sync: .normal)
        objects = ObjectService(store: store, registry: ResourceRegistry.builtins())
        let reg = objects.registry
        pods = reg.lookup(group: "", version: "v1", resource: "pods")!
        deployments = reg.lookup(group: "apps", version: "v1", resource: "deployments")!
        replicaSets = reg.lookup(group: "apps", version: "v1", resource: "replicasets")!
        nodes = reg.lookup(group: "", version: "v1", resource: "nodes")!
        events = reg.lookup(group: "", version: "v1", resource: "events")!
        let facts = NodeFacts(name: "node1", cpus: cpus, memoryKiB: memoryKiB, kernelVersion: "6.1", osImage: "Test Linux",
                              addresses: ["10.0.0.2"], ephemeralStorageKiB: 100 * 1024 * 1024)
        try await Bootstrap.run(objects: objects, node: facts, apiPort: 6443, logger: logger)
    }

    /// Starts the scheduler and/or workload controllers and the fake kubelet.
    func start(scheduler: Bool = true, workloads: Bool = true, kubelet: Bool = true, retryInterval: TimeInterval = 300) {
        if scheduler {
            let s = Scheduler(objects: objects, events: EventRecorder(objects: objects, component: "default-scheduler", logger: logger), logger: logger)
            s.retryInterval = retryInterval
            tasks.append(Task { await s.run() })
        }
        if workloads {
            let rs = ReplicaSetController(objects: objects, events: EventRecorder(objects: objects, component: "replicaset-controller", logger: logger), logger: logger)
            let dc = DeploymentController(objects: objects, events: EventRecorder(objects: objects, component: "deployment-controller", logger: logger), logger: logger)
            tasks.append(Task { await rs.run() })
            tasks.append(Task { await dc.run() })
        }
        if kubelet { tasks.append(Task { await self.runKubelet() }) }
    }

    func stop() async {
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
        tasks = []
        store.close()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Marks pods bound to a node Running and Ready, as the node agent would.
    func runKubelet() async {
        let sub = store.hub.subscribe(storageKey: pods.storageKey)
        defer { sub.cancel() }
        for await signal in sub.stream {
            guard case .change(let c) = signal, c.type != .deleted else { continue }
            let pod = c.object
            if pod[path: ["metadata", "deletionTimestamp"]] != nil {
                // Containers stopped: finish the graceful deletion, as the kubelet does.
                _ = try? await objects.delete(pods, namespace: c.key.namespace, name: c.key.name,
                                              options: DeleteOptions(preconditionUID: PodState.uid(pod), gracePeriodSeconds: 0))
                continue
            }
            let image = pod[path: ["spec", "containers"]]?.arrayValue?.first?["image"]?.stringValue ?? ""
            guard !(pod[path: ["spec", "nodeName"]]?.stringValue ?? "").isEmpty, !PodState.isReady(pod), PodState.isActive(pod),
                  !lock.withLock({ neverReady.contains(image) }) else { continue }
            let ts = JSONValue.string(ObjectLifecycle.timestamp(Date()))
            _ = try? await objects.modify(pods, namespace: c.key.namespace, name: c.key.name, subresource: "status") { cur in
                var s = cur["status"] ?? [:]
                let sched = s["conditions"]?.arrayValue?.filter { $0["type"]?.stringValue == "PodScheduled" } ?? []
                s["phase"] = "Running"
                s["podIP"] = "10.42.0.9"
                s["conditions"] = .array(sched + [["type": "Ready", "status": "True", "lastProbeTime": .null, "lastTransitionTime": ts],
                                                  ["type": "ContainersReady", "status": "True", "lastProbeTime": .null, "lastTransitionTime": ts]])
                s["containerStatuses"] = [["name": "c", "ready": true, "restartCount": 0, "image": .string(image), "imageID": "",
                                           "state": ["running": ["startedAt": ts]]]]
                var out = cur
                out["status"] = s
                return out
            }
        }
    }

    // MARK: helpers

    func list(_ type: ResourceType, _ ns: String? = "default") async throws -> [JSONValue] {
        try await store.list(storageKey: type.storageKey, namespace: ns).items.map { try $0.decoded() }
    }

    func get(_ type: ResourceType, _ name: String, _ ns: String? = "default") async throws -> JSONValue {
        try await objects.get(type, namespace: ns, name: name)
    }

    @discardableResult
    func create(_ type: ResourceType, _ obj: JSONValue, _ ns: String? = "default") async throws -> JSONValue {
        try await objects.create(type, namespace: ns, object: obj)
    }

    @discardableResult
    func edit(_ type: ResourceType, _ name: String, _ ns: String? = "default", _ f: @escaping (inout JSONValue) -> Void) async throws -> JSONValue {
        try await objects.modify(type, namespace: ns, name: name) { cur in
            var c = cur
            f(&c)
            return c
        }
    }

    /// Events about `name` (any kind), as "Reason: message".
    func eventLines(about name: String) async throws -> [String] {
        try await list(events, nil).filter { $0[path: ["involvedObject", "name"]]?.stringValue == name }
            .map { "\($0["reason"]?.stringValue ?? ""): \($0["message"]?.stringValue ?? "")" }
    }

    /// Polls `check` until it returns true or `timeout` passes.
    func waitFor(_ what: String, timeout: TimeInterval = 20, file: StaticString = #filePath, line: UInt = #line,
                 _ check: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await check() { return }
            try await Task.sleep(nanoseconds: 30_000_000)
        }
        XCTFail("timed out waiting for \(what)", file: file, line: line)
        throw CancellationError()
    }

    static func deployment(_ name: String, replicas: Int, image: String, strategy: JSONValue = ["type": "RollingUpdate"]) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": ["name": .string(name), "namespace": "default"],
         "spec": ["replicas": .int(Int64(replicas)), "selector": ["matchLabels": ["app": .string(name)]], "strategy": strategy,
                  "template": ["metadata": ["labels": ["app": .string(name)]],
                               "spec": ["containers": [["name": "c", "image": .string(image),
                                                        "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]]]]]]]]
    }

    static func pod(_ name: String, memory: String = "16Mi", spec extra: [String: JSONValue] = [:]) -> JSONValue {
        var spec = JSONObject([("containers", [["name": "c", "image": "busybox", "resources": ["requests": ["memory": .string(memory)]]]])])
        for (k, v) in extra { spec[k] = v }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"], "spec": .object(spec)]
    }
}
