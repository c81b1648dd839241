import Foundation
import Logging
import XCTest
@testable import CorralAPI
@testable import CorralControllers
import CorralModel
import CorralStore

/// The default policy lands in the store, aggregation fills admin/edit/view, and the
/// authorizer decides against it (including a grant written a moment ago).
final class RBACBootstrapTests: XCTestCase {
    func testBootstrapAggregationAndAuthorizer() async throws {
        let dir = NSTemporaryDirectory() + "rbac-boot-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/store.db", sync: .normal)
        defer { store.close() }
        let objects = ObjectService(store: store, registry: ResourceRegistry.builtins())
        let logger = Logger(label: "test")
        try await RBACBootstrap.run(objects: objects, logger: logger)
        try await RBACBootstrap.run(objects: objects, logger: logger)  // idempotent

        let crType = objects.registry.lookup(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles")!
        let view = try await objects.get(crType, namespace: nil, name: "view")
        let viewRules = PolicyRule.rules(of: view)
        XCTAssertFalse(viewRules.isEmpty, "view was aggregated at bootstrap")
        let edit = PolicyRule.rules(of: try await objects.get(crType, namespace: nil, name: "edit"))
        XCTAssertTrue(Set(viewRules).isSubset(of: Set(edit)), "edit contains view")

        // An operator-edited default without autoupdate keeps its edits.
        _ = try await objects.modify(crType, namespace: nil, name: "system:discovery") { cur in
            var c = cur
            c.set(path: ["metadata", "annotations", "rbac.authorization.kubernetes.io/autoupdate"], to: "false")
            c["rules"] = [["verbs": ["get"], "nonResourceURLs": ["/version"]]]
            return c
        }
        try await RBACBootstrap.run(objects: objects, logger: logger)
        let discoveryRole = try await objects.get(crType, namespace: nil, name: "system:discovery")
        XCTAssertEqual(PolicyRule.rules(of: discoveryRole).count, 1)

        let authz = RBACAuthorizer(objects: objects)
        let carol = RBACUser(name: "carol", groups: ["system:authenticated"])
        let listPods = RequestAttributes.resource(user: carol, verb: "list", group: "", resource: "pods", namespace: "team")
        let before = try await authz.authorize(listPods)
        XCTAssertFalse(before.allowed)
        let discovery = try await authz.authorize(.nonResource(user: carol, verb: "get", path: "/version"))
        XCTAssertTrue(discovery.allowed)

        let nsType = objects.registry.lookup(group: "", version: "v1", resource: "namespaces")!
        _ = try await objects.create(nsType, namespace: nil, object: ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team"]])
        let rbType = objects.registry.lookup(group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings")!
        _ = try await objects.create(rbType, namespace: "team", object: [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "carol-view", "namespace": "team"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"],
            "subjects": [["kind": "User", "name": "carol", "apiGroup": "rbac.authorization.k8s.io"]],
        ])
        // No waiting for the watch: a denial re-reads the store.
        let after = try await authz.authorize(listPods)
        XCTAssertTrue(after.allowed)
        XCTAssertEqual(after.reason, #"RBAC: allowed by RoleBinding "carol-view/team" of ClusterRole "view" to User "carol""#)
        let create = try await authz.authorize(.resource(user: carol, verb: "create", group: "", resource: "pods", namespace: "team"))
        XCTAssertFalse(create.allowed)
    }
}
