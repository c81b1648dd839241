import CorralModel
import CorralStore
import Foundation

/// Options of a DELETE (metav1.DeleteOptions).
public struct DeleteOptions: Sendable {
    public var propagationPolicy: String?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?
    public var gracePeriodSeconds: Int64?

    public init(propagationPolicy: String? = nil, preconditionUID: String? = nil,
                preconditionResourceVersion: String? = nil, gracePeriodSeconds: Int64? = nil) {
        self.propagationPolicy = propagationPolicy
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.gracePeriodSeconds = gracePeriodSeconds
    }

    /// Reads a DeleteOptions body (may be empty) and query parameters.
    public static func parse(body: JSONValue?, query: (String) -> String?) -> DeleteOptions {
        var o = DeleteOptions()
        o.propagationPolicy = body?["propagationPolicy"]?.stringValue ?? query("propagationPolicy")
        if o.propagationPolicy == nil, let orphan = body?["orphanDependents"]?.boolValue ?? query("orphanDependents").map({ $0 == "true" }) {
            o.propagationPolicy = orphan ? "Orphan" : "Background"
        }
        o.preconditionUID = body?[path: ["preconditions", "uid"]]?.stringValue
        o.preconditionResourceVersion = body?[path: ["preconditions", "resourceVersion"]]?.stringValue
        o.gracePeriodSeconds = body?["gracePeriodSeconds"]?.intValue ?? query("gracePeriodSeconds").flatMap { Int64($0) }
        return o
    }
}

/// The outcome of a delete: gone now, or marked and waiting for finalizers.
public enum DeleteOutcome: Sendable {
    case deleted(JSONValue)
    case pending(JSONValue)
}

/// Kubernetes object semantics over the store: namespaces must exist,
/// optimistic concurrency, finalizers and deletion, generation, defaults.
/// Both the HTTP handlers and the in-process controllers write through here.
public final class ObjectService: @unchecked Sendable {
    public let store: SQLiteStore
    public let registry: ResourceRegistry
    let namespaceType: ResourceType
    let serviceCIDR = (base: UInt32(10 << 24 | 43 << 16), size: UInt32(1 << 16))

    /// Called with (stored object or nil on create, object about to be written); returns
    /// the object to write (the API handlers record managedFields here).
    public typealias WriteHook = (_ old: JSONValue?, _ new: JSONValue) throws -> JSONValue

    /// The field manager of in-process writers in this task (kube's names: kube-controller-manager,
    /// kube-scheduler, kubelet, virt-controller, …), set where their tasks start with
    /// `ObjectService.$internalManager.withValue(...)` and inherited by the tasks they create.
    /// Their writes then record managedFields as kube-apiserver records its controllers';
    /// API requests pass their own recorder, and writes with neither record nothing.
    @TaskLocal public static var internalManager: String?

    /// Starts an in-process writer whose writes record managedFields under `manager`.
    public static func spawn(as manager: String, _ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        $internalManager.withValue(manager) { Task { await body() } }
    }

    /// `finish`, else a recorder for this task's internal manager (read here, outside the
    /// store's write transaction, where the task-local is visible).
    private func writeHook(_ finish: WriteHook?, _ type: ResourceType, _ subresource: String?) -> WriteHook? {
        if let finish { return finish }
        guard let manager = Self.internalManager else { return nil }
        let record = ManagedFieldsRecorder(type: type, subresource: subresource ?? "", manager: manager).hook
        // Controllers re-write unchanged status every tick: an equal object owns nothing new,
        // and the equality check is far cheaper than computing field sets.
        return { old, new in
            if let old, new == old.withoutResourceVersion() { return new }  // commitUpdate's no-op test
            return try record(old, new)
        }
    }

    public init(store: SQLiteStore, registry: ResourceRegistry) {
        self.store = store
        self.registry = registry
        self.namespaceType = registry.lookup(group: "", version: "v1", resource: "namespaces")!
    }

    /// Store key of an object.
    public func key(_ type: ResourceType, _ namespace: String?, _ name: String) -> ObjectKey {
        ObjectKey(type.storageKey, namespace: type.namespaced ? (namespace ?? "") : "", name: name)
    }

    // MARK: reads

    public func get(_ type: ResourceType, namespace: String?, name: String) async throws -> JSONValue {
        guard let s = try await store.get(key(type, namespace, name)) else { throw APIError.notFound(type, name) }
        return try s.decoded()
    }

    /// Every object of `type` in every namespace, read in full: a failed read is retried every
    /// half second until one succeeds (each failure passed to `onError`); nil once the task is
    /// cancelled. For start-up passes, where an unread list must never pass for an empty one.
    public func listUntilRead(_ type: ResourceType, onError: (Error) -> Void = { _ in }) async -> [JSONValue]? {
        while !Task.isCancelled {
            do {
                return try await store.list(storageKey: type.storageKey, namespace: nil).items.compactMap { try? $0.decoded() }
            } catch {
                if Task.isCancelled { break }
                onError(error)
                try? await Task.sleep(nanoseconds: 500_000_000)
            }
        }
        return nil
    }

    // MARK: create

    /// Creates an object; returns it as stored. With `dryRun` nothing is written.
    public func create(_ type: ResourceType, namespace: String?, object: JSONValue, dryRun: Bool = false,
                       finish: WriteHook? = nil) async throws -> JSONValue {
        let generic = try ObjectLifecycle.prepareCreate(object, type: type, namespace: type.namespaced ? namespace : nil,
                                                        now: Date(), uid: UUID().uuidString.lowercased())
        // CRDs and custom resources: defaulting, pruning, schema validation (CRD/CustomResourceAdmission.swift).
        var prepared = try CustomResourceAdmission.admit(generic, old: nil, type: type, subresource: nil)
        if let finish = writeHook(finish, type, nil) { prepared = try finish(nil, prepared) }
        let name = prepared[path: ["metadata", "name"]]?.stringValue ?? ""
        let k = key(type, prepared[path: ["metadata", "namespace"]]?.stringValue, name)
        let nsKey = ObjectKey(namespaceType.storageKey, namespace: "", name: k.namespace)
        let nsType = namespaceType
        let body: (inout WriteTxn) throws -> JSONValue = { [self] txn in
            if type.namespaced {
                guard let ns = try txn.get(nsKey) else { throw APIError.notFound(nsType, k.namespace) }
                if ns[path: ["metadata", "deletionTimestamp"]] != nil {
                    throw APIError(code: 403, reason: "Forbidden",
                                   message: "\(type.resource) \"\(name)\" is forbidden: unable to create new content in namespace \(k.namespace) because it is being terminated",
                                   name: name, group: type.group, kind: type.resource)
                }
            }
            if try txn.exists(k) { throw APIError.alreadyExists(type, name) }
            var obj = prepared
            if type.storageKey == "services" { obj = try self.allocateClusterIP(obj, txn: txn, type: type) }
            if dryRun { return obj }
            return try txn.put(k, obj, previous: nil)
        }
        if dryRun {
            return try await store.readOnly(body)
        }
        return try await store.transact(body)
    }

    // MARK: update

    /// Replaces an object (PUT), or its status with `subresource` "status".
    /// With `createIfMissing`, a PUT of a missing object creates it.
    public func update(_ type: ResourceType, namespace: String?, name: String, object: JSONValue,
                       subresource: String? = nil, dryRun: Bool = false, finish: WriteHook? = nil) async throws -> JSONValue {
        let k = key(type, namespace, name)
        let finish = writeHook(finish, type, subresource)
        let body: (inout WriteTxn) throws -> JSONValue = { txn in
            guard let old = try txn.get(k) else { throw APIError.notFound(type, name) }
            var new = try CustomResourceAdmission.admit(ObjectLifecycle.prepareUpdate(object, old: old, type: type, subresource: subresource),
                                                        old: old, type: type, subresource: subresource)
            if let finish { new = try finish(old, new) }
            if dryRun { return new }
            return try ObjectService.commitUpdate(&txn, k, new: new, old: old)
        }
        return dryRun ? try await store.readOnly(body) : try await store.transact(body)
    }

    /// Reads, transforms and writes an object in one transaction (patches,
    /// controllers). `transform` gets the current object and returns the new one.
    public func modify(_ type: ResourceType, namespace: String?, name: String, subresource: String? = nil, dryRun: Bool = false,
                       finish: WriteHook? = nil, _ transform: @escaping (JSONValue) throws -> JSONValue) async throws -> JSONValue {
        let k = key(type, namespace, name)
        let finish = writeHook(finish, type, subresource)
        let body: (inout WriteTxn) throws -> JSONValue = { txn in
            guard let old = try txn.get(k) else { throw APIError.notFound(type, name) }
            var input = try transform(old)
            // A transform that did not set a resourceVersion precondition keeps the one it read.
            if input[path: ["metadata", "resourceVersion"]] == nil {
                input.set(path: ["metadata", "resourceVersion"], to: old[path: ["metadata", "resourceVersion"]])
            }
            var new = try CustomResourceAdmission.admit(ObjectLifecycle.prepareUpdate(input, old: old, type: type, subresource: subresource),
                                                        old: old, type: type, subresource: subresource)
            if let finish { new = try finish(old, new) }
            if dryRun { return new }
            return try ObjectService.commitUpdate(&txn, k, new: new, old: old)
        }
        return dryRun ? try await store.readOnly(body) : try await store.transact(body)
    }

    /// Writes an update, or finishes a deletion whose last finalizer was just removed.
    static func commitUpdate(_ txn: inout WriteTxn, _ k: ObjectKey, new: JSONValue, old: JSONValue) throws -> JSONValue {
        if new == old.withoutResourceVersion() { return old }
        if new[path: ["metadata", "deletionTimestamp"]] != nil, ObjectLifecycle.finalizers(new).isEmpty,
           !(k.storageKey == "namespaces" && !(new[path: ["spec", "finalizers"]]?.arrayValue ?? []).isEmpty)
        {
            return try txn.delete(k, last: new)
        }
        return try txn.put(k, new, previous: old)
    }

    // MARK: delete

    /// Deletes an object as kube-apiserver does: immediately when nothing
    /// holds it, otherwise by setting deletionTimestamp and the finalizer the
    /// propagation policy asks for (the garbage collector finishes the job).
    public func delete(_ type: ResourceType, namespace: String?, name: String, options: DeleteOptions = DeleteOptions(),
                       dryRun: Bool = false) async throws -> DeleteOutcome {
        let k = key(type, namespace, name)
        let body: (inout WriteTxn) throws -> DeleteOutcome = { txn in
            guard let cur = try txn.get(k) else { throw APIError.notFound(type, name) }
            if let uid = options.preconditionUID, uid != cur[path: ["metadata", "uid"]]?.stringValue {
                throw APIError.conflict(type, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(cur[path: ["metadata", "uid"]]?.stringValue ?? "")")
            }
            if let rv = options.preconditionResourceVersion, rv != cur[path: ["metadata", "resourceVersion"]]?.stringValue {
                throw APIError.conflict(type, name, "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(cur[path: ["metadata", "resourceVersion"]]?.stringValue ?? "")")
            }
            var obj = cur
            var fins = ObjectLifecycle.finalizers(obj)
            let alreadyDeleting = obj[path: ["metadata", "deletionTimestamp"]] != nil
            if type.storageKey == "pods", let grace = ObjectService.podGracePeriod(cur, requested: options.gracePeriodSeconds) {
                // A pod on a node is deleted gracefully: the node agent stops its
                // containers and then deletes it with grace 0, as the kubelet does.
                let current = cur[path: ["metadata", "deletionGracePeriodSeconds"]]?.intValue
                if alreadyDeleting, let current, current <= grace { return .pending(cur) }
                obj.set(path: ["metadata", "deletionTimestamp"], to: .string(ObjectLifecycle.timestamp(Date().addingTimeInterval(Double(grace)))))
                obj.set(path: ["metadata", "deletionGracePeriodSeconds"], to: .int(grace))
                if dryRun { return .pending(obj) }
                return .pending(try txn.put(k, obj, previous: cur))
            }
            switch options.propagationPolicy {
            case "Orphan": if !fins.contains("orphan") { fins.append("orphan") }
            case "Foreground": if !fins.contains("foregroundDeletion") { fins.append("foregroundDeletion") }
            default: break
            }
            // A CRD keeps its cleanup finalizer until its objects are gone (kube's CRD REST Delete).
            for f in CustomResourceAdmission.deletionFinalizers(type) where !alreadyDeleting && !fins.contains(f) { fins.append(f) }
            let nsHeld = type.storageKey == "namespaces" && !(obj[path: ["spec", "finalizers"]]?.arrayValue ?? []).isEmpty
            if fins.isEmpty && !nsHeld {
                if dryRun { return .deleted(obj) }
                return .deleted(try txn.delete(k, last: obj))
            }
            if alreadyDeleting && fins == ObjectLifecycle.finalizers(cur) { return .pending(cur) }
            if !alreadyDeleting {
                obj.set(path: ["metadata", "deletionTimestamp"], to: .string(ObjectLifecycle.timestamp(Date())))
                obj.set(path: ["metadata", "deletionGracePeriodSeconds"], to: .int(0))
            }
            obj.set(path: ["metadata", "finalizers"], to: .array(fins.map { .string($0) }))
            if type.storageKey == "namespaces" { obj.set(path: ["status", "phase"], to: "Terminating") }
            if dryRun { return .pending(obj) }
            return .pending(try txn.put(k, obj, previous: cur))
        }
        return dryRun ? try await store.readOnly(body) : try await store.transact(body)
    }

    /// The grace period a pod deletion waits for, or nil when it goes at once:
    /// pods not bound to a node, finished pods, and grace 0 are removed
    /// immediately (kube-apiserver's CheckGracefulDelete).
    static func podGracePeriod(_ pod: JSONValue, requested: Int64?) -> Int64? {
        guard let node = pod[path: ["spec", "nodeName"]]?.stringValue, !node.isEmpty else { return nil }
        let phase = pod[path: ["status", "phase"]]?.stringValue
        if phase == "Succeeded" || phase == "Failed" { return nil }
        let grace = requested ?? pod[path: ["spec", "terminationGracePeriodSeconds"]]?.intValue ?? 30
        return grace > 0 ? grace : nil
    }

    // MARK: service IPs

    /// Gives a ClusterIP/NodePort/LoadBalancer service a free address from the service CIDR.
    func allocateClusterIP(_ svc: JSONValue, txn: WriteTxn, type: ResourceType) throws -> JSONValue {
        var svc = svc
        let svcType = svc[path: ["spec", "type"]]?.stringValue ?? "ClusterIP"
        if svcType == "ExternalName" { return svc }
        let requested = svc[path: ["spec", "clusterIP"]]?.stringValue ?? ""
        if requested == "None" {
            svc.set(path: ["spec", "clusterIPs"], to: ["None"])
            return svc
        }
        var used = Set<String>()
        for k in try txn.keys(storageKey: type.storageKey, namespace: nil) {
            if let ip = try txn.get(k)?[path: ["spec", "clusterIP"]]?.stringValue { used.insert(ip) }
        }
        let name = svc[path: ["metadata", "name"]]?.stringValue ?? ""
        var ip = requested
        if !ip.isEmpty {
            guard let v = IPv4.parse(ip), v & 0xFFFF_0000 == serviceCIDR.base else {
                throw APIError.invalid(type, name, [.invalid("spec.clusterIPs[0]", .string(ip), "failed to allocate IP \(ip): the provided IP (\(ip)) is not in the valid range. The range of valid IPs is 10.43.0.0/16")])
            }
            if used.contains(ip) {
                throw APIError.invalid(type, name, [.invalid("spec.clusterIPs[0]", .string(ip), "failed to allocate IP \(ip): provided IP is already allocated")])
            }
            _ = v
        } else {
            // .1 is the API service, .10 cluster DNS; start hunting above them.
            var found: String?
            for offset in UInt32(11)..<(serviceCIDR.size - 1) {
                let cand = IPv4.format(serviceCIDR.base + offset)
                if !used.contains(cand) { found = cand; break }
            }
            guard let f = found else { throw APIError.internalError("the service CIDR 10.43.0.0/16 is exhausted") }
            ip = f
        }
        svc.set(path: ["spec", "clusterIP"], to: .string(ip))
        svc.set(path: ["spec", "clusterIPs"], to: [.string(ip)])
        svc.set(path: ["spec", "ipFamilies"], to: ["IPv4"])
        svc.set(path: ["spec", "ipFamilyPolicy"], to: "SingleStack")
        svc.set(path: ["spec", "internalTrafficPolicy"], to: svc[path: ["spec", "internalTrafficPolicy"]] ?? "Cluster")
        if svcType == "NodePort" || svcType == "LoadBalancer" {
            svc.set(path: ["spec", "externalTrafficPolicy"], to: svc[path: ["spec", "externalTrafficPolicy"]] ?? "Cluster")
            var nextPort: Int64 = 30000 + Int64(abs(name.hashValue) % 2000)
            if let ports = svc[path: ["spec", "ports"]]?.arrayValue {
                svc.set(path: ["spec", "ports"], to: .array(ports.map { p in
                    var p = p
                    if p["nodePort"] == nil { p["nodePort"] = .int(nextPort); nextPort += 1 }
                    return p
                }))
            }
        }
        return svc
    }
}

extension JSONValue {
    /// A copy without metadata.resourceVersion (to compare content).
    func withoutResourceVersion() -> JSONValue {
        var c = self
        c.set(path: ["metadata", "resourceVersion"], to: nil)
        return c
    }
}

/// Dotted-quad IPv4 helpers.
enum IPv4 {
    static func parse(_ s: String) -> UInt32? {
        let parts = s.split(separator: ".")
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard let b = UInt8(p) else { return nil }
            v = v << 8 | UInt32(b)
        }
        return v
    }

    static func format(_ v: UInt32) -> String {
        "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
    }
}
