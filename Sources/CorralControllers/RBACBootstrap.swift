import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// Puts kube's default RBAC policy in place at startup: cluster-admin,
/// admin/edit/view (aggregated), system:discovery, system:basic-user,
/// system:public-info-viewer and their bindings (system:masters → cluster-admin,
/// system:authenticated → discovery/basic-user). Defaults marked
/// `rbac.authorization.kubernetes.io/autoupdate: "true"` get missing rules and
/// labels back; anything else a user changed is left alone.
public enum RBACBootstrap {
    /// Creates or repairs the defaults, then aggregates admin/edit/view once. Idempotent; run before serving.
    public static func run(objects: ObjectService, logger: Logger) async throws {
        let reg = objects.registry
        let roleType = reg.lookup(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles")!
        let bindingType = reg.lookup(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings")!
        for role in BootstrapPolicy.clusterRoles() { try await ensure(objects, roleType, role) }
        for binding in BootstrapPolicy.clusterRoleBindings() { try await ensure(objects, bindingType, binding) }
        // Fill aggregated roles now so admin/edit/view work from the first request.
        await ClusterRoleAggregationController(objects: objects, logger: logger).reconcileAll()
    }

    static func ensure(_ objects: ObjectService, _ type: ResourceType, _ desired: JSONValue) async throws {
        let name = desired[path: ["metadata", "name"]]?.stringValue ?? ""
        do {
            _ = try await objects.create(type, namespace: nil, object: desired)
            return
        } catch let e as APIError where e.reason == "AlreadyExists" {}
        _ = try await objects.modify(type, namespace: nil, name: name) { cur in
            guard cur[path: ["metadata", "annotations", "rbac.authorization.kubernetes.io/autoupdate"]]?.stringValue == "true" else {
                return cur
            }
            return reconciled(current: cur, desired: desired)
        }
    }

    /// The current default object with the desired labels, annotations, rules (missing ones
    /// appended, kept when aggregated), aggregation rule, roleRef and subjects restored.
    static func reconciled(current: JSONValue, desired: JSONValue) -> JSONValue {
        var next = current
        for field in ["labels", "annotations"] {
            var merged = current[path: ["metadata", field]]?.objectValue ?? JSONObject()
            for (k, v) in desired[path: ["metadata", field]]?.objectValue ?? JSONObject() { merged[k] = v }
            next.set(path: ["metadata", field], to: .object(merged))
        }
        if let agg = desired["aggregationRule"] {
            next["aggregationRule"] = agg  // rules are the aggregation controller's
        } else if desired["rules"] != nil {
            var rules = PolicyRule.rules(of: current)
            for r in PolicyRule.rules(of: desired) where !rules.contains(r) { rules.append(r) }
            next["rules"] = .array(rules.map(\.json))
        }
        if let ref = desired["roleRef"] { next["roleRef"] = ref }
        if let desiredSubjects = desired["subjects"]?.arrayValue {
            var subjects = current["subjects"]?.arrayValue ?? []
            for s in desiredSubjects where !subjects.contains(s) { subjects.append(s) }
            next["subjects"] = .array(subjects)
        }
        return next
    }
}

/// Keeps aggregated ClusterRoles (those with an aggregationRule, such as
/// admin/edit/view) holding the union of the rules of the ClusterRoles their
/// selectors match, as kube-controller-manager's clusterrole-aggregation does.
public final class ClusterRoleAggregationController: @unchecked Sendable {
    let objects: ObjectService
    let logger: Logger
    let type: ResourceType

    /// A controller over the ClusterRoles in `objects`.
    public init(objects: ObjectService, logger: Logger) {
        self.objects = objects
        self.logger = logger
        type = objects.registry.lookup(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles")!
    }

    /// Runs until cancelled: one pass at start, then one per burst of ClusterRole changes.
    public func run() async {
        let sub = objects.store.hub.subscribe(storageKey: type.storageKey)
        defer { sub.cancel() }
        await reconcileAll()
        for await signal in sub.stream {
            if Task.isCancelled { break }
            guard case .change = signal else { continue }
            await reconcileAll()
        }
    }

    /// Recomputes every aggregated role and writes those whose rules differ.
    public func reconcileAll() async {
        guard let (items, _) = try? await objects.store.list(storageKey: type.storageKey, namespace: nil) else { return }
        let roles = items.compactMap { try? $0.decoded() }.map(RBACRole.init(json:))
        for (name, rules) in RBACAggregation.reconcile(roles).sorted(by: { $0.key < $1.key }) {
            do {
                _ = try await objects.modify(type, namespace: nil, name: name) { cur in
                    var c = cur
                    c["rules"] = .array(rules.map(\.json))
                    return c
                }
                logger.info("clusterrole-aggregated", metadata: ["name": .string(name), "rules": .stringConvertible(rules.count)])
            } catch {
                logger.error("clusterrole aggregation failed", metadata: ["name": .string(name), "error": .string("\(error)")])
            }
        }
    }
}
