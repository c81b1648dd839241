import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// Deletes dependents whose owners are gone, and carries out Foreground and
/// Orphan deletions (the `foregroundDeletion` and `orphan` finalizers), as
/// Kubernetes' garbage collector does. It reconciles everything at start
/// (so work interrupted by a crash is finished) and then reacts to changes.
public final class GarbageCollector: @unchecked Sendable {
    let objects: ObjectService
    let logger: Logger

    public init(objects: ObjectService, logger: Logger) {
        self.objects = objects
        self.logger = logger
    }

    /// Runs until cancelled.
    public func run() async {
        let sub = objects.store.hub.subscribe(storageKey: WatchHub.everything)
        defer { sub.cancel() }
        await reconcileAll()
        // Coalesce bursts: one pass per quiet moment, plus a periodic sweep.
        var pending = false
        var lastSweep = Date()
        let ticks = AsyncStream<Bool> { cont in
            let t1 = Task {
                for await signal in sub.stream {
                    if case .change(let c) = signal, GarbageCollector.mayNeedWork(c) { cont.yield(true) }
                }
                cont.finish()
            }
            let t2 = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(nanoseconds: 200_000_000)
                    cont.yield(false)
                }
            }
            cont.onTermination = { _ in t1.cancel(); t2.cancel() }
        }
        for await changed in ticks {
            if Task.isCancelled { break }
            if changed { pending = true; continue }
            if pending || Date().timeIntervalSince(lastSweep) > 30 {
                pending = false
                lastSweep = Date()
                await reconcileAll()
            }
        }
    }

    /// Only deletions and objects with owners or deletion marks can create GC work.
    static func mayNeedWork(_ c: Change) -> Bool {
        if c.key.storageKey == "events" { return false }
        if c.type == .deleted { return true }
        return c.object[path: ["metadata", "ownerReferences"]] != nil || c.object[path: ["metadata", "deletionTimestamp"]] != nil
    }

    struct Entry {
        var type: ResourceType
        var object: JSONValue
        var uid: String { object[path: ["metadata", "uid"]]?.stringValue ?? "" }
        var namespace: String? { object[path: ["metadata", "namespace"]]?.stringValue }
        var name: String { object[path: ["metadata", "name"]]?.stringValue ?? "" }
        var owners: [JSONValue] { object[path: ["metadata", "ownerReferences"]]?.arrayValue ?? [] }
        var deleting: Bool { object[path: ["metadata", "deletionTimestamp"]] != nil }
    }

    /// One full pass over every object. A pass that cannot read every type
    /// acts on nothing: a type missing from the picture (a list cancelled at
    /// shutdown, say) would make all of its objects' dependents look orphaned.
    func reconcileAll() async {
        var entries: [Entry] = []
        var byUID: [String: Entry] = [:]
        var seenKeys = Set<String>()
        for type in objects.registry.types where seenKeys.insert(type.storageKey).inserted && type.storageKey != "events" {
            let items: [StoredObject]
            do {
                items = try await objects.store.list(storageKey: type.storageKey, namespace: nil).items
            } catch {
                if !Task.isCancelled { logger.warning("garbage-collect pass skipped", metadata: ["type": .string(type.storageKey), "error": .string("\(error)")]) }
                return
            }
            for s in items {
                guard let o = try? s.decoded() else { continue }
                let e = Entry(type: type, object: o)
                entries.append(e)
                byUID[e.uid] = e
            }
        }
        var dependents: [String: [Entry]] = [:]
        for e in entries {
            for ref in e.owners {
                if let uid = ref["uid"]?.stringValue { dependents[uid, default: []].append(e) }
            }
        }
        for e in entries {
            let fins = ObjectLifecycle.finalizers(e.object)
            if e.deleting && fins.contains("orphan") { await orphan(e, dependents[e.uid] ?? []) }
            if e.deleting && fins.contains("foregroundDeletion") { await foreground(e, dependents[e.uid] ?? []) }
            // Dependents whose every owner is gone are deleted in the background.
            let owners = e.owners.compactMap { $0["uid"]?.stringValue }
            if !owners.isEmpty && !e.deleting && owners.allSatisfy({ byUID[$0] == nil }) {
                // The per-type lists are not one snapshot: an owner created after
                // its type was listed can own a dependent listed later. Ask again.
                guard await everyOwnerIsGone(e) else { continue }
                await delete(e, policy: "Background", reason: "all owners are gone")
            } else if !owners.isEmpty && !e.deleting {
                // Owners being deleted in the foreground take their dependents with them.
                let fgOwner = owners.contains { uid in
                    guard let o = byUID[uid] else { return false }
                    return o.deleting && ObjectLifecycle.finalizers(o.object).contains("foregroundDeletion")
                }
                if fgOwner { await delete(e, policy: "Foreground", reason: "owner is being deleted in the foreground") }
            }
        }
    }

    /// Reads each owner afresh: gone means no object of that kind and name with
    /// that uid. An owner whose kind is not served, or that cannot be read,
    /// counts as present, so a doubt never deletes anything.
    func everyOwnerIsGone(_ e: Entry) async -> Bool {
        if Task.isCancelled { return false }
        for ref in e.owners {
            guard let apiVersion = ref["apiVersion"]?.stringValue, let kind = ref["kind"]?.stringValue,
                  let name = ref["name"]?.stringValue, let uid = ref["uid"]?.stringValue,
                  let type = objects.registry.lookup(apiVersion: apiVersion, kind: kind) else { return false }
            let ns = type.namespaced ? e.namespace : nil
            do {
                guard let stored = try await objects.store.get(objects.key(type, ns, name)) else { continue }
                if (try? stored.decoded())?[path: ["metadata", "uid"]]?.stringValue == uid { return false }
            } catch {
                return false
            }
        }
        return true
    }

    func orphan(_ owner: Entry, _ deps: [Entry]) async {
        for d in deps {
            _ = try? await objects.modify(d.type, namespace: d.namespace, name: d.name) { cur in
                var c = cur
                let refs = (cur[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != owner.uid }
                c.set(path: ["metadata", "ownerReferences"], to: refs.isEmpty ? nil : .array(refs))
                return c
            }
        }
        await removeFinalizer("orphan", from: owner)
    }

    func foreground(_ owner: Entry, _ deps: [Entry]) async {
        if deps.isEmpty {
            await removeFinalizer("foregroundDeletion", from: owner)
            return
        }
        for d in deps where !d.deleting { await delete(d, policy: "Foreground", reason: "owner is being deleted in the foreground") }
    }

    func delete(_ e: Entry, policy: String, reason: String) async {
        logger.info("garbage-collect", metadata: ["object": .string("\(e.type.storageKey)/\(e.namespace ?? "")/\(e.name)"), "reason": .string(reason)])
        _ = try? await objects.delete(e.type, namespace: e.namespace, name: e.name,
                                      options: DeleteOptions(propagationPolicy: policy, preconditionUID: e.uid))
    }

    func removeFinalizer(_ f: String, from e: Entry) async {
        _ = try? await objects.modify(e.type, namespace: e.namespace, name: e.name) { cur in
            var c = cur
            let fins = ObjectLifecycle.finalizers(cur).filter { $0 != f }
            c.set(path: ["metadata", "finalizers"], to: fins.isEmpty ? nil : .array(fins.map { .string($0) }))
            return c
        }
    }
}
