import CorralModel
import CorralStore
import Foundation

/// Decides requests with RBAC over the live Roles, ClusterRoles and bindings.
/// Keeps a parsed `RBACPolicy` snapshot, invalidated by store watch events;
/// a denial re-reads the store first when anything was written since the
/// snapshot, so a grant is effective as soon as its write returns.
public final class RBACAuthorizer: @unchecked Sendable {
    let objects: ObjectService
    private let lock = NSLock()
    private var cached: (policy: RBACPolicy, generation: Int, revision: Int64)?
    /// Bumped for every RBAC change seen on the watch.
    private var generation = 0
    private var watchers: [Task<Void, Never>] = []

    static let storageKeys = ["roles.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io",
                              "rolebindings.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io"]

    /// Starts watching the four RBAC types in `objects`' store; the first decision loads them.
    public init(objects: ObjectService) {
        self.objects = objects
        for key in Self.storageKeys {
            let sub = objects.store.hub.subscribe(storageKey: key)
            watchers.append(Task { [weak self] in
                for await signal in sub.stream {
                    if case .change = signal { self?.bump() }
                }
            })
        }
    }

    deinit { for w in watchers { w.cancel() } }

    private func bump() { lock.withLock { generation += 1 } }

    /// The current snapshot, re-read from the store when an RBAC object changed since it was taken.
    public func policy() async throws -> RBACPolicy {
        let (hit, gen): (RBACPolicy?, Int) = lock.withLock {
            if let c = cached, c.generation == generation { return (c.policy, generation) }
            return (nil, generation)
        }
        if let hit { return hit }
        return try await reload(generation: gen)
    }

    private func reload(generation gen: Int) async throws -> RBACPolicy {
        var lists: [[JSONValue]] = []
        var revision: Int64 = 0
        for key in Self.storageKeys {
            let (items, rev) = try await objects.store.list(storageKey: key, namespace: nil)
            lists.append(items.compactMap { try? $0.decoded() })
            revision = max(revision, rev)
        }
        let p = RBACPolicy(roleObjects: lists[0], clusterRoleObjects: lists[1], roleBindingObjects: lists[2],
                           clusterRoleBindingObjects: lists[3])
        lock.withLock {
            // Keep the newest read; a concurrent reload may have finished first.
            if cached == nil || cached!.revision <= revision { cached = (p, gen, revision) }
        }
        return p
    }

    /// Decides one request. Members of system:masters never touch the store.
    public func authorize(_ a: RequestAttributes) async throws -> RBACDecision {
        if a.user.groups.contains(RBACPolicy.privilegedGroup) { return RBACDecision(allowed: true, reason: "") }
        let p = try await policy()
        let d = p.authorize(a)
        if d.allowed { return d }
        let seen = lock.withLock { cached?.revision ?? 0 }
        if objects.store.hub.publishedRevision > seen {
            // The watch may lag a just-committed grant: decide again on a fresh read.
            let gen = lock.withLock { generation }
            return try await reload(generation: gen).authorize(a)
        }
        return d
    }

    /// The rules `user` holds in `namespace` (for SelfSubjectRulesReview and escalation checks).
    public func rules(for user: RBACUser, namespace: String) async throws -> (rules: [PolicyRule], errors: [RBACResolutionError]) {
        try await policy().rules(for: user, namespace: namespace)
    }
}
