import CorralAPI
import CorralModel
import Foundation
import Logging

/// Writes core/v1 Events about objects, the way client-go's event recorder
/// does: an identical event (same source, object, type, reason, message)
/// bumps `count` and `lastTimestamp` of the existing Event; after 10
/// different messages for the same object and reason within 10 minutes they
/// are combined into one "(combined from similar events): …" Event.
/// One recorder per component ("default-scheduler", "kubelet", …).
public final class EventRecorder: @unchecked Sendable {
    let objects: ObjectService
    let eventType: ResourceType
    /// `source.component` and `reportingComponent`.
    public let component: String
    /// `source.host` and `reportingInstance` (kubelet sets the node name).
    public let host: String
    let logger: Logger
    private let lock = NSLock()
    private var seen: [String: (namespace: String, name: String)] = [:]
    private var similar: [String: (messages: Set<String>, last: Date)] = [:]

    static let cacheLimit = 4096
    static let similarLimit = 10
    static let similarWindow: TimeInterval = 600

    /// A recorder writing through `objects` as `component` (on `host`, if given).
    public init(objects: ObjectService, component: String, host: String = "", logger: Logger) {
        self.objects = objects
        self.eventType = objects.registry.lookup(group: "", version: "v1", resource: "events")!
        self.component = component
        self.host = host
        self.logger = logger
    }

    /// Records an event about `object` (any stored object). `type` is
    /// "Normal" or "Warning"; `fieldPath` names a part of it, such as
    /// `spec.containers{web}`. Failures are logged, never thrown.
    public func record(object: JSONValue, type: String, reason: String, message: String, fieldPath: String? = nil) async {
        let now = Date()
        let md = object["metadata"] ?? [:]
        let objNS = md["namespace"]?.stringValue ?? ""
        let ns = objNS.isEmpty ? "default" : objNS
        var ref = JSONObject()
        ref["kind"] = object["kind"] ?? ""
        if !objNS.isEmpty { ref["namespace"] = .string(objNS) }
        ref["name"] = md["name"] ?? ""
        ref["uid"] = md["uid"] ?? ""
        ref["apiVersion"] = object["apiVersion"] ?? ""
        if let rv = md["resourceVersion"] { ref["resourceVersion"] = rv }
        if let fieldPath { ref["fieldPath"] = .string(fieldPath) }
        let parts = [component, host, ref["kind"]?.stringValue ?? "", objNS, ref["name"]?.stringValue ?? "",
                     ref["uid"]?.stringValue ?? "", ref["apiVersion"]?.stringValue ?? "", type, reason]
        let aggregateKey = parts.joined(separator: "\u{1}")
        let (text, key) = aggregate(aggregateKey, fieldPath: fieldPath ?? "", message: message, now: now)
        let ts = JSONValue.string(ObjectLifecycle.timestamp(now))
        if let prev = lock.withLock({ seen[key] }) {
            do {
                _ = try await objects.modify(eventType, namespace: prev.namespace, name: prev.name) { cur in
                    var e = cur
                    e["count"] = .int((cur["count"]?.intValue ?? 1) + 1)
                    e["lastTimestamp"] = ts
                    e["message"] = .string(text)
                    return e
                }
                return
            } catch {
                // Gone (TTL or deleted): start a new Event below.
                lock.withLock { _ = seen.removeValue(forKey: key) }
            }
        }
        var source = JSONObject([("component", .string(component))])
        if !host.isEmpty { source["host"] = .string(host) }
        let baseName = (md["name"]?.stringValue ?? "event")
        for attempt in 0..<3 {
            let nanos = UInt64(max(0, now.timeIntervalSince1970 * 1e9)) + UInt64(attempt)
            let name = "\(baseName).\(String(nanos, radix: 16))"
            let event: JSONValue = [
                "apiVersion": "v1", "kind": "Event",
                "metadata": ["name": .string(name), "namespace": .string(ns)],
                "involvedObject": .object(ref), "reason": .string(reason), "message": .string(text),
                "source": .object(source), "firstTimestamp": ts, "lastTimestamp": ts, "count": 1, "type": .string(type),
                "eventTime": .null, "reportingComponent": .string(component), "reportingInstance": .string(host),
            ]
            do {
                _ = try await objects.create(eventType, namespace: ns, object: event)
                lock.withLock {
                    if seen.count >= Self.cacheLimit { seen.removeAll() }
                    seen[key] = (ns, name)
                }
                return
            } catch let e as APIError where e.reason == "AlreadyExists" {
                continue
            } catch {
                logger.debug("event not recorded", metadata: ["reason": .string(reason), "error": .string("\(error)")])
                return
            }
        }
    }

    /// Fire-and-forget `record` for callers that must not wait.
    public func post(object: JSONValue, type: String, reason: String, message: String, fieldPath: String? = nil) {
        Task { await record(object: object, type: type, reason: reason, message: message, fieldPath: fieldPath) }
    }

    /// client-go's EventAggregator: the message to write and the dedup key.
    func aggregate(_ aggregateKey: String, fieldPath: String, message: String, now: Date) -> (String, String) {
        lock.withLock {
            var entry = similar[aggregateKey] ?? ([], now)
            if now.timeIntervalSince(entry.last) > Self.similarWindow { entry = ([], now) }
            entry.messages.insert(message)
            entry.last = now
            if similar.count >= Self.cacheLimit { similar.removeAll() }
            similar[aggregateKey] = entry
            if entry.messages.count < Self.similarLimit {
                return (message, aggregateKey + "\u{1}" + fieldPath + "\u{1}" + message)
            }
            return ("(combined from similar events): " + message, aggregateKey)
        }
    }
}
