import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// Serves CustomResourceDefinitions, as kube-apiserver's apiextensions
/// controllers do: accepts their names (NamesAccepted, Established and
/// `status.acceptedNames`), registers the served versions in the resource
/// registry and their schemas in the schema catalog, and on deletion removes
/// every instance, stops serving the resource and releases the
/// `customresourcecleanup.apiextensions.k8s.io` finalizer.
public final class CustomResourceDefinitionController: @unchecked Sendable {
    let objects: ObjectService
    let logger: Logger
    let crdType: ResourceType
    let catalog: SchemaCatalog

    /// A controller writing through `objects` and publishing schemas in `catalog`.
    public init(objects: ObjectService, logger: Logger, catalog: SchemaCatalog = .shared) {
        self.objects = objects
        self.logger = logger
        self.catalog = catalog
        crdType = objects.registry.lookup(group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions")!
    }

    /// Serves every established CRD found in the store, without writing
    /// anything: call once at start, before the API reports ready, so custom
    /// resources are served again right after a restart.
    public func restore() async {
        for crd in await listCRDs() where crd.condition("Established") == "True" {
            serve(crd)
        }
    }

    /// Reconciles on every CRD change; while a CRD is being deleted, every
    /// second (its instances may be held by their own finalizers); otherwise
    /// a full resync every 30 seconds.
    public func run() async {
        let sub = objects.store.hub.subscribe(storageKey: crdType.storageKey)
        defer { sub.cancel() }
        var cleaning = await reconcileAll()
        let ticks = AsyncStream<Bool> { cont in
            let t1 = Task { for await _ in sub.stream { cont.yield(true) }; cont.finish() }
            let t2 = Task { while !Task.isCancelled { try? await Task.sleep(nanoseconds: 1_000_000_000); cont.yield(false) } }
            cont.onTermination = { _ in t1.cancel(); t2.cancel() }
        }
        var idle = 0
        for await changed in ticks {
            if Task.isCancelled { break }
            idle += 1
            guard changed || cleaning || idle >= 30 else { continue }
            idle = 0
            cleaning = await reconcileAll()
        }
    }

    /// Every CRD in the store, oldest first (the first to claim a name keeps it).
    func listCRDs() async -> [CRDView] {
        guard let (items, _) = try? await objects.store.list(storageKey: crdType.storageKey, namespace: nil) else { return [] }
        let crds = items.compactMap { try? $0.decoded() }.map(CRDView.init)
        return crds.sorted { ($0.creationTimestamp, $0.name) < ($1.creationTimestamp, $1.name) }
    }

    /// One pass: names and status for live CRDs, cleanup for deleted ones,
    /// and no serving for CRDs that are gone. True while some CRD is being deleted.
    @discardableResult
    public func reconcileAll() async -> Bool {
        var crds = await listCRDs()
        var cleaning = false
        for i in crds.indices {
            let crd = crds[i]
            if crd.deleting {
                cleaning = true
                await cleanup(crd)
                continue
            }
            var taken = CRDNaming.builtinClaims(objects.registry.types, group: crd.group)
            let others = crds.enumerated().filter { $0.offset != i && $0.element.group == crd.group && !$0.element.deleting }.map(\.element)
            let claims = CRDNaming.claims(of: others)
            taken.resources.formUnion(claims.resources)
            taken.kinds.formUnion(claims.kinds)
            let now = ObjectLifecycle.timestamp(Date())
            var current = crd
            let wanted = CRDNaming.withStatus(crd, taken: taken, now: now)
            if wanted["status"] != crd.object["status"] {
                if let written = await writeStatus(crd.name, status: wanted["status"] ?? .null) {
                    current = CRDView(written)
                    logger.info("crd-status", metadata: ["crd": .string(crd.name),
                                                         "established": .string(current.condition("Established") ?? "")])
                } else {
                    continue  // changed under us; the next pass sees the new state
                }
            }
            crds[i] = current
            serve(current)
        }
        // Stop serving CRDs that no longer exist.
        let live = Set(crds.map(\.name))
        let served = Set(objects.registry.types.compactMap { $0.custom?.crdName })
        for gone in served.subtracting(live) {
            CustomResourceRegistration.apply(crdName: gone, types: [], registry: objects.registry, catalog: catalog)
            logger.info("crd-unserved", metadata: ["crd": .string(gone)])
        }
        return cleaning
    }

    /// Registers `crd`'s served versions under its accepted names when it is established.
    func serve(_ crd: CRDView) {
        let accepted = crd.acceptedNames
        var types: [ResourceType] = []
        if crd.condition("Established") == "True", accepted.plural == crd.names.plural {
            types = CRDServing.resourceTypes(crd, names: accepted)
        }
        CustomResourceRegistration.apply(crdName: crd.name, types: types, registry: objects.registry, catalog: catalog)
    }

    /// Replaces the CRD's status through the status subresource; nil when that failed.
    func writeStatus(_ name: String, status: JSONValue) async -> JSONValue? {
        do {
            return try await objects.update(crdType, namespace: nil, name: name, object: statusBody(name, status), subresource: "status")
        } catch {
            logger.debug("crd-status-write-failed", metadata: ["crd": .string(name), "error": .string("\(error)")])
            return nil
        }
    }

    private func statusBody(_ name: String, _ status: JSONValue) -> JSONValue {
        ["apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": .string(name)], "status": status]
    }
}
