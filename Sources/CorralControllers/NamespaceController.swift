import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// Empties namespaces being deleted, then releases their `kubernetes`
/// finalizer so they go away; gives every namespace a `default`
/// ServiceAccount, as kube-controller-manager does.
public final class NamespaceController: @unchecked Sendable {
    let objects: ObjectService
    let logger: Logger
    let nsType: ResourceType
    let saType: ResourceType

    public init(objects: ObjectService, logger: Logger) {
        self.objects = objects
        self.logger = logger
        nsType = objects.registry.lookup(group: "", version: "v1", resource: "namespaces")!
        saType = objects.registry.lookup(group: "", version: "v1", resource: "serviceaccounts")!
    }

    public func run() async {
        let sub = objects.store.hub.subscribe(storageKey: nsType.storageKey)
        defer { sub.cancel() }
        await reconcileAll()
        let ticks = AsyncStream<Void> { cont in
            let t1 = Task { for await _ in sub.stream { cont.yield(()) }; cont.finish() }
            let t2 = Task { while !Task.isCancelled { try? await Task.sleep(nanoseconds: 1_000_000_000); cont.yield(()) } }
            cont.onTermination = { _ in t1.cancel(); t2.cancel() }
        }
        for await _ in ticks {
            if Task.isCancelled { break }
            await reconcileAll()
        }
    }

    func reconcileAll() async {
        guard let (items, _) = try? await objects.store.list(storageKey: nsType.storageKey, namespace: nil) else { return }
        for s in items {
            guard let ns = try? s.decoded(), let name = ns[path: ["metadata", "name"]]?.stringValue else { continue }
            if ns[path: ["metadata", "deletionTimestamp"]] != nil {
                await finalize(name)
            } else if case .some(.none) = try? await objects.store.get(ObjectKey(saType.storageKey, namespace: name, name: "default")) {
                let sa: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "default", "namespace": .string(name)]]
                _ = try? await objects.create(saType, namespace: name, object: sa)
            }
        }
    }

    /// Deletes what is left in a terminating namespace; when it is empty,
    /// clears spec.finalizers so the namespace itself is removed.
    func finalize(_ name: String) async {
        guard let keys = try? await objects.store.keys(inNamespace: name) else { return }
        if keys.isEmpty {
            _ = try? await objects.modify(nsType, namespace: nil, name: name) { cur in
                var c = cur
                c.set(path: ["spec", "finalizers"], to: .array([]))
                return c
            }
            logger.info("namespace-deleted", metadata: ["namespace": .string(name)])
            return
        }
        for k in keys {
            guard let type = objects.registry.lookup(storageKey: k.storageKey) else { continue }
            _ = try? await objects.delete(type, namespace: name, name: k.name, options: DeleteOptions(propagationPolicy: "Background"))
        }
    }
}
