/// Escalation prevention: a user may only grant (in a Role, or by binding a
/// role) permissions they already hold. Mirrors kube's Covers/BreakdownRule
/// and ConfirmNoEscalation.
public enum RBACCovers {
    /// Splits a rule into single-verb, single-group, single-resource (single-name) rules.
    public static func breakdown(_ rule: PolicyRule) -> [PolicyRule] {
        var out: [PolicyRule] = []
        for g in rule.apiGroups {
            for r in rule.resources {
                for v in rule.verbs {
                    if rule.resourceNames.isEmpty {
                        out.append(PolicyRule(verbs: [v], apiGroups: [g], resources: [r]))
                    } else {
                        for n in rule.resourceNames {
                            out.append(PolicyRule(verbs: [v], apiGroups: [g], resources: [r], resourceNames: [n]))
                        }
                    }
                }
            }
        }
        for u in rule.nonResourceURLs {
            for v in rule.verbs { out.append(PolicyRule(verbs: [v], nonResourceURLs: [u])) }
        }
        return out
    }

    /// Whether `owner` rules cover every `servant` rule; the uncovered atomic rules otherwise.
    public static func covers(owner: [PolicyRule], servant: [PolicyRule]) -> (covered: Bool, missing: [PolicyRule]) {
        var missing: [PolicyRule] = []
        for sub in servant.flatMap(breakdown) where !owner.contains(where: { ruleCovers($0, sub) }) {
            missing.append(sub)
        }
        return (missing.isEmpty, missing)
    }

    static func hasAll(_ set: [String], _ items: [String]) -> Bool { items.allSatisfy { set.contains($0) } }

    static func resourcesCover(_ owner: [String], _ wanted: [String]) -> Bool {
        if owner.contains("*") || hasAll(owner, wanted) { return true }
        for path in wanted where !owner.contains(path) {
            guard let slash = path.firstIndex(of: "/") else { return false }
            if !owner.contains("*" + path[slash...]) { return false }
        }
        return true
    }

    /// Exact path, or an owner "prefix*" (all trailing stars trimmed) covering it.
    static func urlCovers(_ owner: String, _ path: String) -> Bool {
        if owner == path { return true }
        guard owner.hasSuffix("*") else { return false }
        var prefix = Substring(owner)
        while prefix.hasSuffix("*") { prefix = prefix.dropLast() }
        return path.hasPrefix(prefix)
    }

    /// One owner rule covering one (atomic) rule.
    static func ruleCovers(_ owner: PolicyRule, _ sub: PolicyRule) -> Bool {
        let verbs = owner.verbs.contains("*") || hasAll(owner.verbs, sub.verbs)
        let groups = owner.apiGroups.contains("*") || hasAll(owner.apiGroups, sub.apiGroups)
        let resources = resourcesCover(owner.resources, sub.resources)
        let urls = sub.nonResourceURLs.allSatisfy { p in owner.nonResourceURLs.contains { urlCovers($0, p) } }
        let names = sub.resourceNames.isEmpty ? owner.resourceNames.isEmpty
            : (owner.resourceNames.isEmpty || hasAll(owner.resourceNames, sub.resourceNames))
        return verbs && groups && resources && names && urls
    }

    /// Merges atomic rules that differ only in verb (kube's CompactRules), for readable messages.
    public static func compact(_ rules: [PolicyRule]) -> [PolicyRule] {
        var out: [PolicyRule] = []
        var index: [String: Int] = [:]
        for r in rules {
            // Only simple resource rules (one group, one resource) are merged, as in kube.
            guard r.apiGroups.count == 1, r.resources.count == 1, r.nonResourceURLs.isEmpty else { out.append(r); continue }
            let key = "\(r.apiGroups[0])\u{0}\(r.resources[0])\u{0}\(r.resourceNames.joined(separator: "\u{1}"))"
            if let i = index[key] {
                for v in r.verbs where !out[i].verbs.contains(v) { out[i].verbs.append(v) }
            } else {
                index[key] = out.count
                out.append(r)
            }
        }
        return out
    }

    /// The error text kube returns when `user` tries to grant `missing` rules it does not hold.
    public static func escalationMessage(user: RBACUser, missing: [PolicyRule], resolutionErrors: [RBACResolutionError]) -> String {
        let lines = Set(compact(missing).map(\.compactString)).sorted()
        var msg = "user \(goQuoted(user.name)) (groups=\(PolicyRule.goQuotedList(user.groups))) is attempting to grant RBAC permissions not currently held:\n"
            + lines.joined(separator: "\n")
        if !resolutionErrors.isEmpty {
            // kube prints a one-element slice holding the aggregate error.
            msg += "; resolution errors: [" + RBACResolutionError.aggregate(resolutionErrors) + "]"
        }
        return msg
    }
}
