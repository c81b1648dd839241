/// ClusterRole aggregation: a ClusterRole with an aggregationRule gets the
/// union of the rules of every ClusterRole its selectors match (kube's
/// clusterrole-aggregation controller), e.g. `view` ← `aggregate-to-view`.
public enum RBACAggregation {
    /// The rules `role` should hold given all cluster roles, or nil when it is not aggregated.
    /// Selectors are taken in order, matching roles by name, duplicates dropped, itself skipped.
    public static func aggregatedRules(for role: RBACRole, among all: [RBACRole]) -> [PolicyRule]? {
        guard let selectors = role.aggregationSelectors else { return nil }
        var rules: [PolicyRule] = []
        let sorted = all.sorted { $0.name < $1.name }
        for raw in selectors {
            // An unparsable selector matches nothing (kube's controller errors out on it).
            guard let sel = try? LabelSelector(json: raw) else { continue }
            for other in sorted where other.name != role.name && sel.matches(other.labels) {
                for r in other.rules where !rules.contains(r) { rules.append(r) }
            }
        }
        return rules
    }

    /// Aggregates every aggregated role to a fixpoint (so `admin` sees `edit`'s aggregated rules) and
    /// returns the new rules of each role whose rules change, by name.
    public static func reconcile(_ roles: [RBACRole]) -> [String: [PolicyRule]] {
        var current = roles
        var changed: [String: [PolicyRule]] = [:]
        // Each pass can only propagate one more level; depth is bounded by the number of roles.
        for _ in 0..<max(1, roles.count) {
            var progressed = false
            for i in current.indices {
                guard let rules = aggregatedRules(for: current[i], among: current), rules != current[i].rules else { continue }
                current[i].rules = rules
                changed[current[i].name] = rules
                progressed = true
            }
            if !progressed { break }
        }
        return changed
    }
}
