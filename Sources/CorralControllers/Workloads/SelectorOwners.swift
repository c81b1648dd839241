import CorralAPI
import CorralModel
import CorralStore

/// The owners a change to a dependent concerns, for controllers that own
/// dependents by label selector (ReplicaSet → pods, VMIRS → VMIs): the owner
/// itself when it changed; a dependent's controlling owner of `ownerKind`; or,
/// for an orphan that could be adopted, every owner in its namespace whose
/// selector matches it.
struct SelectorOwners {
    let objects: ObjectService
    let ownerType: ResourceType
    let ownerKind: String

    func keys(for c: Change, adoptable: (JSONValue) -> Bool) async -> [String] {
        if c.key.storageKey == ownerType.storageKey { return [ControllerLoop.key(c.key.namespace, c.key.name)] }
        var out = Set<String>()
        for obj in [c.object, c.previous].compactMap({ $0 }) {
            if let ref = PodState.controllerRef(obj) {
                if ref["kind"]?.stringValue == ownerKind, let n = ref["name"]?.stringValue { out.insert(ControllerLoop.key(c.key.namespace, n)) }
            } else if c.type != .deleted && adoptable(obj) {
                for owner in await owners(in: c.key.namespace) {
                    if let sel = try? LabelSelector(json: owner[path: ["spec", "selector"]] ?? .null), sel.matches(object: obj) {
                        out.insert(ControllerLoop.key(c.key.namespace, PodState.name(owner)))
                    }
                }
            }
        }
        return Array(out)
    }

    /// Every owner, as work-queue keys (for resyncs).
    func allKeys() async -> [String] {
        guard let (items, _) = try? await objects.store.list(storageKey: ownerType.storageKey, namespace: nil) else { return [] }
        return items.map { ControllerLoop.key($0.key.namespace, $0.key.name) }
    }

    func owners(in ns: String) async -> [JSONValue] {
        guard let (items, _) = try? await objects.store.list(storageKey: ownerType.storageKey, namespace: ns) else { return [] }
        return items.compactMap { try? $0.decoded() }
    }
}
