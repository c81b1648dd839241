import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// Deletion of a CustomResourceDefinition (kube's CRDFinalizer): while its
/// cleanup finalizer is set, the resource keeps being served (creates are
/// refused) and every instance is deleted; once none is left the resource
/// is unregistered and the finalizer released, which removes the CRD.
extension CustomResourceDefinitionController {
    func cleanup(_ crd: CRDView) async {
        let finalizers = (crd.object[path: ["metadata", "finalizers"]]?.arrayValue ?? []).compactMap(\.stringValue)
        guard finalizers.contains(CRDServing.cleanupFinalizer) else {
            // Held by someone else's finalizer: keep serving, terminating.
            serveTerminating(crd)
            return
        }
        let storageKey = crd.group.isEmpty ? crd.names.plural : "\(crd.names.plural).\(crd.group)"
        // Unreadable is not empty: releasing the finalizer then would strand the instances.
        guard let remaining = try? await objects.store.list(storageKey: storageKey, namespace: nil).items else { return }
        let now = ObjectLifecycle.timestamp(Date())
        if !remaining.isEmpty {
            await setTerminating(crd, reason: "InstanceDeletionInProgress", message: "CustomResource deletion is in progress", now: now)
            // A CRD serving no version still owns stored objects: delete them as its storage version.
            let type = serveTerminating(crd) ?? ResourceType(group: crd.group, version: crd.storageVersion ?? "v1", kind: crd.names.kind,
                                                             resource: crd.names.plural, namespaced: crd.namespaced)
            for s in remaining {
                _ = try? await objects.delete(type, namespace: s.key.namespace.isEmpty ? nil : s.key.namespace, name: s.key.name,
                                              options: DeleteOptions(propagationPolicy: "Background"))
            }
            logger.info("crd-instances-deleting", metadata: ["crd": .string(crd.name), "count": .stringConvertible(remaining.count)])
            return
        }
        CustomResourceRegistration.apply(crdName: crd.name, types: [], registry: objects.registry, catalog: catalog)
        do {
            _ = try await objects.modify(crdType, namespace: nil, name: crd.name) { cur in
                var c = cur
                let fins = ObjectLifecycle.finalizers(cur).filter { $0 != CRDServing.cleanupFinalizer }
                c.set(path: ["metadata", "finalizers"], to: .array(fins.map { .string($0) }))
                return c
            }
            logger.info("crd-deleted", metadata: ["crd": .string(crd.name)])
        } catch {
            logger.debug("crd-finalize-failed", metadata: ["crd": .string(crd.name), "error": .string("\(error)")])
        }
    }

    /// Serves the CRD's versions marked terminating (so instances can still be read and deleted).
    @discardableResult
    func serveTerminating(_ crd: CRDView) -> ResourceType? {
        var names = crd.acceptedNames
        if names.plural.isEmpty { names = crd.names }
        let types = CRDServing.resourceTypes(crd, names: names)
        CustomResourceRegistration.apply(crdName: crd.name, types: types, registry: objects.registry, catalog: catalog)
        return types.first { $0.version == crd.storageVersion } ?? types.first
    }

    private func setTerminating(_ crd: CRDView, reason: String, message: String, now: String) async {
        let cond = CRDNaming.Condition(type: "Terminating", status: "True", reason: reason, message: message)
        let conds = CRDNaming.setCondition(crd.conditions, cond, now: now)
        guard JSONValue.array(conds) != crd.object[path: ["status", "conditions"]] else { return }
        var status = crd.object["status"] ?? .object(JSONObject())
        status["conditions"] = .array(conds)
        _ = await writeStatus(crd.name, status: status)
    }
}
