import CorralAPI
import CorralControllers
import CorralModel
import Foundation
import Logging

/// The node agent's view of the API: the few reads and writes it makes,
/// all through ObjectService so they follow the same rules as clients.
public final class NodeAPI: @unchecked Sendable {
    let objects: ObjectService
    let nodeName: String
    let logger: Logger
    let pods: ResourceType
    let events: ResourceType
    let configMaps: ResourceType
    let secrets: ResourceType
    let recorder: EventRecorder
    let vmis: ResourceType

    public init(objects: ObjectService, nodeName: String, logger: Logger) {
        self.objects = objects
        self.nodeName = nodeName
        self.logger = logger
        let r = objects.registry
        pods = r.lookup(group: "", version: "v1", resource: "pods")!
        events = r.lookup(group: "", version: "v1", resource: "events")!
        configMaps = r.lookup(group: "", version: "v1", resource: "configmaps")!
        secrets = r.lookup(group: "", version: "v1", resource: "secrets")!
        vmis = r.lookup(group: "kubevirt.io", version: "v1", resource: "virtualmachineinstances")!
        recorder = EventRecorder(objects: objects, component: "kubelet", host: nodeName, logger: logger)
    }

    /// Replaces the pod's status; returns the stored pod (nil if it is gone).
    func writeStatus(_ pod: JSONValue, _ status: JSONValue) async -> JSONValue? {
        guard let ns = pod[path: ["metadata", "namespace"]]?.stringValue, let name = pod[path: ["metadata", "name"]]?.stringValue else { return nil }
        let uid = pod[path: ["metadata", "uid"]]
        do {
            return try await objects.modify(pods, namespace: ns, name: name, subresource: "status") { cur in
                guard cur[path: ["metadata", "uid"]] == uid else { throw APIError.conflict(self.pods, name, "pod was replaced") }
                var c = cur
                c["status"] = status
                return c
            }
        } catch {
            logger.debug("status write skipped", metadata: ["pod": .string("\(ns)/\(name)"), "error": .string("\(error)")])
            return nil
        }
    }

    /// The kubelet's final delete (grace 0, UID precondition) once the pod's containers are gone.
    func deletePodNow(_ pod: JSONValue) async {
        guard let ns = pod[path: ["metadata", "namespace"]]?.stringValue, let name = pod[path: ["metadata", "name"]]?.stringValue else { return }
        let opts = DeleteOptions(preconditionUID: pod[path: ["metadata", "uid"]]?.stringValue, gracePeriodSeconds: 0)
        _ = try? await objects.delete(pods, namespace: ns, name: name, options: opts)
    }

    /// Records an Event about `object` as the kubelet does (identical events are counted, not repeated).
    func event(about object: JSONValue, type: String, reason: String, message: String) {
        var obj = object
        if obj["kind"] == nil { obj["kind"] = "Pod"; obj["apiVersion"] = "v1" }
        let recorder = self.recorder
        Task { await recorder.record(object: obj, type: type, reason: reason, message: message) }
    }

    /// The UID of a ServiceAccount, or nil when it does not exist.
    func serviceAccountUID(_ ns: String, _ name: String) async -> String? {
        guard let t = objects.registry.lookup(group: "", version: "v1", resource: "serviceaccounts"),
              let sa = try? await objects.get(t, namespace: ns, name: name) else { return nil }
        return sa[path: ["metadata", "uid"]]?.stringValue
    }

    /// A ConfigMap's data (and binaryData) as bytes, or nil when missing.
    func configMapData(_ ns: String, _ name: String) async -> [String: [UInt8]]? {
        guard let cm = try? await objects.get(configMaps, namespace: ns, name: name) else { return nil }
        var out: [String: [UInt8]] = [:]
        for (k, v) in cm["data"]?.objectValue ?? JSONObject() { out[k] = Array((v.stringValue ?? "").utf8) }
        for (k, v) in cm["binaryData"]?.objectValue ?? JSONObject() { out[k] = Data(base64Encoded: v.stringValue ?? "").map { Array($0) } ?? [] }
        return out
    }

    /// A Secret's data decoded, or nil when missing.
    func secretData(_ ns: String, _ name: String) async -> [String: [UInt8]]? {
        guard let s = try? await objects.get(secrets, namespace: ns, name: name) else { return nil }
        var out: [String: [UInt8]] = [:]
        for (k, v) in s["data"]?.objectValue ?? JSONObject() { out[k] = Data(base64Encoded: v.stringValue ?? "").map { Array($0) } ?? [] }
        for (k, v) in s["stringData"]?.objectValue ?? JSONObject() { out[k] = Array((v.stringValue ?? "").utf8) }
        return out
    }
}
