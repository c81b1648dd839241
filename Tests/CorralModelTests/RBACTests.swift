import XCTest
@testable import CorralModel

/// Table tests for RBAC rule matching, binding resolution, aggregation and escalation checks.
final class RBACTests: XCTestCase {
    let alice = RBACUser(name: "system:serviceaccount:dev:alice", groups: RBACUser.serviceAccountGroups(namespace: "dev"))
    let bob = RBACUser(name: "bob", groups: ["team-a", "system:authenticated"])

    func res(_ user: RBACUser, _ verb: String, _ group: String, _ resource: String, sub: String = "", ns: String = "",
             name: String = "") -> RequestAttributes {
        .resource(user: user, verb: verb, group: group, version: "v1", resource: resource, subresource: sub, namespace: ns, name: name)
    }

    func testRuleMatchingTable() {
        let u = bob
        let cases: [(PolicyRule, RequestAttributes, Bool, String)] = [
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]), res(u, "get", "", "pods", ns: "d", name: "p"), true, "exact"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]), res(u, "list", "", "pods", ns: "d"), false, "verb"),
            (PolicyRule(verbs: ["*"], apiGroups: [""], resources: ["pods"]), res(u, "delete", "", "pods", ns: "d", name: "p"), true, "verb *"),
            (PolicyRule(verbs: ["get"], apiGroups: ["apps"], resources: ["pods"]), res(u, "get", "", "pods", name: "p"), false, "group"),
            (PolicyRule(verbs: ["get"], apiGroups: ["*"], resources: ["deployments"]), res(u, "get", "apps", "deployments", name: "x"), true, "group *"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]), res(u, "get", "", "pods", sub: "log", name: "p"), false, "subresource not implied"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods/log"]), res(u, "get", "", "pods", sub: "log", name: "p"), true, "pods/log"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["*/log"]), res(u, "get", "", "pods", sub: "log", name: "p"), true, "*/log"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["*/log"]), res(u, "get", "", "pods", name: "p"), false, "*/log vs no sub"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["*"]), res(u, "get", "", "pods", sub: "exec", name: "p"), true, "* covers subresources"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["a"]), res(u, "get", "", "pods", name: "a"), true, "name listed"),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["a"]), res(u, "get", "", "pods", name: "b"), false, "name not listed"),
            (PolicyRule(verbs: ["list"], apiGroups: [""], resources: ["pods"], resourceNames: ["a"]), res(u, "list", "", "pods"), false, "names need a name"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["/healthz"]), .nonResource(user: u, verb: "get", path: "/healthz"), true, "url exact"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/*"]), .nonResource(user: u, verb: "get", path: "/apis/apps/v1"), true, "url prefix"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/*"]), .nonResource(user: u, verb: "get", path: "/apis"), false, "url prefix needs slash"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["*"]), .nonResource(user: u, verb: "post", path: "/x"), false, "url verb"),
            (PolicyRule(verbs: ["get"], apiGroups: ["*"], resources: ["*"]), .nonResource(user: u, verb: "get", path: "/version"), false, "resource rule vs url"),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["*"]), res(u, "get", "", "pods", name: "p"), false, "url rule vs resource"),
        ]
        for (rule, attrs, want, label) in cases {
            XCTAssertEqual(rule.allows(attrs), want, label)
        }
    }

    func testPolicyRuleJSONRoundTrip() {
        let json: JSONValue = ["apiGroups": [""], "resources": ["pods"], "resourceNames": ["a"], "verbs": ["get"]]
        let rule = PolicyRule(json: json)
        XCTAssertEqual(rule, PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["a"]))
        XCTAssertEqual(rule.json, json)
        XCTAssertEqual(rule.compactString, #"{APIGroups:[""], Resources:["pods"], ResourceNames:["a"], Verbs:["get"]}"#)
    }

    func policy() -> RBACPolicy {
        RBACPolicy(
            roles: [RBACRole(name: "pod-reader", namespace: "dev", rules: [
                PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["pods"]),
                PolicyRule(verbs: ["create"], apiGroups: [""], resources: ["configmaps"]),
            ])],
            clusterRoles: [RBACRole(name: "viewer", rules: [PolicyRule(verbs: ["get"], apiGroups: ["apps"], resources: ["deployments"])]),
                           RBACRole(name: "ns-lister", rules: [PolicyRule(verbs: ["list"], apiGroups: [""], resources: ["namespaces"])])],
            roleBindings: [
                RBACBinding(name: "alice-pods", namespace: "dev", roleRef: RoleRef(kind: "Role", name: "pod-reader"),
                            subjects: [RBACSubject(kind: "ServiceAccount", name: "alice")]),
                RBACBinding(name: "team-view", namespace: "dev", roleRef: RoleRef(kind: "ClusterRole", name: "viewer"),
                            subjects: [RBACSubject(kind: "Group", name: "team-a")]),
                RBACBinding(name: "broken", namespace: "other", roleRef: RoleRef(kind: "Role", name: "missing"),
                            subjects: [RBACSubject(kind: "User", name: "bob")]),
            ],
            clusterRoleBindings: [RBACBinding(name: "listers", roleRef: RoleRef(kind: "ClusterRole", name: "ns-lister"),
                                              subjects: [RBACSubject(kind: "ServiceAccount", name: "alice", namespace: "dev")])])
    }

    func testAuthorizeTable() {
        let p = policy()
        let cases: [(RequestAttributes, Bool)] = [
            (res(alice, "list", "", "pods", ns: "dev"), true),
            (res(alice, "get", "", "pods", ns: "dev", name: "x"), true),
            (res(alice, "list", "", "pods", ns: "default"), false),
            (res(alice, "list", "", "pods"), false),                          // all namespaces
            (res(alice, "delete", "", "configmaps", ns: "dev", name: "c"), false),
            (res(alice, "create", "", "configmaps", ns: "dev"), true),
            (res(alice, "list", "", "namespaces"), true),                     // via ClusterRoleBinding
            (res(bob, "get", "apps", "deployments", ns: "dev", name: "d"), true),   // group subject, ClusterRole in RoleBinding
            (res(bob, "get", "apps", "deployments", name: "d"), false),       // RoleBinding grants only in its namespace
            (res(bob, "list", "", "pods", ns: "dev"), false),
        ]
        for (a, want) in cases {
            XCTAssertEqual(p.authorize(a).allowed, want, "\(a.user.name) \(a.verb) \(a.combinedResource) ns=\(a.namespace)")
        }
        let masters = RBACUser(name: "corral-admin", groups: ["system:masters", "system:authenticated"])
        XCTAssertTrue(p.authorize(res(masters, "delete", "", "nodes", name: "n")).allowed)
    }

    func testAllowReasonAndDenialWording() {
        let p = policy()
        XCTAssertEqual(p.authorize(res(alice, "list", "", "pods", ns: "dev")).reason,
                       #"RBAC: allowed by RoleBinding "alice-pods/dev" of Role "pod-reader" to ServiceAccount "alice/dev""#)
        XCTAssertEqual(p.authorize(res(alice, "list", "", "namespaces")).reason,
                       #"RBAC: allowed by ClusterRoleBinding "listers" of ClusterRole "ns-lister" to ServiceAccount "alice/dev""#)
        let denied = res(alice, "list", "", "pods", ns: "default")
        let e = RBACMessages.denied(denied, reason: p.authorize(denied).reason)
        XCTAssertEqual(e.code, 403)
        XCTAssertEqual(e.reason, "Forbidden")
        XCTAssertEqual(e.message, #"pods is forbidden: User "system:serviceaccount:dev:alice" cannot list resource "pods" in API group "" in the namespace "default""#)
        XCTAssertEqual(e.kind, "pods")
        XCTAssertNil(e.group)

        let exec = res(bob, "create", "", "pods", sub: "exec", ns: "dev", name: "web")
        XCTAssertEqual(RBACMessages.denied(exec, reason: "").message,
                       #"pods "web" is forbidden: User "bob" cannot create resource "pods/exec" in API group "" in the namespace "dev""#)
        let cluster = res(bob, "delete", "apps", "deployments", name: "d")
        XCTAssertEqual(RBACMessages.denied(cluster, reason: "").message,
                       #"deployments.apps "d" is forbidden: User "bob" cannot delete resource "deployments" in API group "apps" at the cluster scope"#)
        let path = RequestAttributes.nonResource(user: bob, verb: "post", path: "/foo")
        XCTAssertEqual(RBACMessages.denied(path, reason: "").message, #"forbidden: User "bob" cannot post path "/foo""#)
        // A binding to a missing role shows up in the reason.
        let broken = res(bob, "get", "", "pods", ns: "other", name: "p")
        XCTAssertEqual(p.authorize(broken).reason, #"RBAC: role.rbac.authorization.k8s.io "missing" not found"#)
    }

    func testRulesForUser() {
        let p = policy()
        let (rules, errors) = p.rules(for: alice, namespace: "dev")
        XCTAssertEqual(rules.count, 3)
        XCTAssertTrue(errors.isEmpty)
        XCTAssertEqual(p.rules(for: alice, namespace: "default").rules.count, 1) // only the cluster binding
        XCTAssertEqual(p.rules(for: bob, namespace: "other").errors.count, 1)
    }

    func testServiceAccountSubjects() {
        let sa = RBACSubject(kind: "ServiceAccount", name: "alice")
        XCTAssertTrue(sa.applies(to: alice, bindingNamespace: "dev"))
        XCTAssertFalse(sa.applies(to: alice, bindingNamespace: "prod"))
        XCTAssertFalse(sa.applies(to: alice, bindingNamespace: ""))
        XCTAssertTrue(RBACSubject(kind: "Group", name: "system:serviceaccounts:dev").applies(to: alice, bindingNamespace: ""))
        XCTAssertFalse(RBACSubject(kind: "User", name: "alice").applies(to: alice, bindingNamespace: "dev"))
        XCTAssertEqual(alice.serviceAccount?.namespace, "dev")
        XCTAssertEqual(alice.serviceAccount?.name, "alice")
        XCTAssertNil(bob.serviceAccount)
    }

    func testCoversAndEscalationMessage() {
        let owner = [PolicyRule(verbs: ["get", "list"], apiGroups: [""], resources: ["pods", "pods/log"]),
                     PolicyRule(verbs: ["*"], apiGroups: ["apps"], resources: ["*"]),
                     PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["*/status"]),
                     PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["a", "b"]),
                     PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/*"])]
        let cases: [(PolicyRule, Bool)] = [
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["pods"]), true),
            (PolicyRule(verbs: ["get", "delete"], apiGroups: [""], resources: ["pods"]), false),
            (PolicyRule(verbs: ["update"], apiGroups: ["apps"], resources: ["deployments/scale"]), true),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["nodes/status"]), true),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["nodes"]), false),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["a"]), true),
            (PolicyRule(verbs: ["get"], apiGroups: [""], resources: ["secrets"]), false),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["/apis/apps"]), true),
            (PolicyRule(verbs: ["get"], nonResourceURLs: ["/api"]), false),
        ]
        for (rule, want) in cases {
            XCTAssertEqual(RBACCovers.covers(owner: owner, servant: [rule]).covered, want, rule.compactString)
        }
        let (ok, missing) = RBACCovers.covers(owner: owner, servant: [PolicyRule(verbs: ["get", "delete", "patch"], apiGroups: [""], resources: ["pods"])])
        XCTAssertFalse(ok)
        XCTAssertEqual(missing.count, 2)
        XCTAssertEqual(RBACCovers.escalationMessage(user: bob, missing: missing, resolutionErrors: []),
                       "user \"bob\" (groups=[\"team-a\" \"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
                       + #"{APIGroups:[""], Resources:["pods"], Verbs:["delete" "patch"]}"#)
    }

    func testAggregationFixpoint() {
        let roles = BootstrapPolicy.clusterRoles().map(RBACRole.init(json:))
        let changed = RBACAggregation.reconcile(roles)
        let view = changed["view"] ?? []
        let edit = changed["edit"] ?? []
        let admin = changed["admin"] ?? []
        let pods = res(bob, "list", "", "pods", ns: "x")
        let createPods = res(bob, "create", "", "pods", ns: "x")
        let roleWrite = res(bob, "create", "rbac.authorization.k8s.io", "rolebindings", ns: "x")
        XCTAssertTrue(view.contains { $0.allows(pods) })
        XCTAssertFalse(view.contains { $0.allows(createPods) })
        XCTAssertTrue(edit.contains { $0.allows(pods) }, "edit includes view through its aggregate-to-edit label")
        XCTAssertTrue(edit.contains { $0.allows(createPods) })
        XCTAssertFalse(edit.contains { $0.allows(roleWrite) })
        XCTAssertTrue(admin.contains { $0.allows(pods) } && admin.contains { $0.allows(createPods) } && admin.contains { $0.allows(roleWrite) })
        XCTAssertNil(changed["cluster-admin"])
        XCTAssertEqual(Set(view).count, view.count, "no duplicate rules")
        // Already aggregated roles need no change.
        var done = roles
        for i in done.indices { if let r = changed[done[i].name] { done[i].rules = r } }
        XCTAssertTrue(RBACAggregation.reconcile(done).isEmpty)
    }

    // MARK: protobuf review bodies (kubectl sends SelfSubjectAccessReview as protobuf)

    func pbField(_ n: Int, _ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(n << 3 | 2)]
        var len = payload.count
        while len >= 0x80 { out.append(UInt8(len & 0x7F | 0x80)); len >>= 7 }
        out.append(UInt8(len))
        return out + payload
    }

    func pbString(_ n: Int, _ s: String) -> [UInt8] { pbField(n, Array(s.utf8)) }

    func envelope(_ kind: String, _ raw: [UInt8]) -> [UInt8] {
        KubeProtobuf.magic + pbField(1, pbString(1, "authorization.k8s.io/v1") + pbString(2, kind)) + pbField(2, raw)
    }

    func testReviewProtobufDecoding() throws {
        let attrs = pbString(1, "dev") + pbString(2, "create") + pbString(5, "pods") + pbString(6, "exec") + pbString(7, "web")
        let ssar = envelope("SelfSubjectAccessReview", pbField(1, []) + pbField(2, pbField(1, attrs)))
        let decoded = try ReviewProtobuf.decode(ssar)
        XCTAssertEqual(decoded["kind"]?.stringValue, "SelfSubjectAccessReview")
        XCTAssertEqual(decoded[path: ["spec", "resourceAttributes"]],
                       ["namespace": "dev", "verb": "create", "resource": "pods", "subresource": "exec", "name": "web"])

        let extra = pbField(5, pbString(1, "scopes") + pbField(2, pbString(1, "a") + pbString(1, "b")))
        let sarSpec = pbField(2, pbString(1, "/healthz") + pbString(2, "get")) + pbString(3, "bob") + pbString(4, "g1") + pbString(4, "g2") + extra
        let sar = try ReviewProtobuf.decode(envelope("SubjectAccessReview", pbField(2, sarSpec)))
        XCTAssertEqual(sar[path: ["spec", "nonResourceAttributes", "path"]]?.stringValue, "/healthz")
        XCTAssertEqual(sar[path: ["spec", "groups"]], ["g1", "g2"])
        XCTAssertEqual(sar[path: ["spec", "extra", "scopes"]], ["a", "b"])

        let ssrr = try ReviewProtobuf.decode(envelope("SelfSubjectRulesReview", pbField(2, pbString(1, "dev"))))
        XCTAssertEqual(ssrr[path: ["spec", "namespace"]]?.stringValue, "dev")
        XCTAssertThrowsError(try ReviewProtobuf.decode(envelope("Pod", [])))
        XCTAssertThrowsError(try ReviewProtobuf.decode(Array("{}".utf8)))
    }
}
