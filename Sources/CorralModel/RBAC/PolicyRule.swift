/// One RBAC rule (`rbac.authorization.k8s.io/v1` PolicyRule): verbs over
/// resources in API groups (optionally limited to names), or verbs over
/// non-resource URL paths.
public struct PolicyRule: Equatable, Hashable, Sendable {
    public var verbs: [String]
    public var apiGroups: [String]
    public var resources: [String]
    public var resourceNames: [String]
    public var nonResourceURLs: [String]

    /// A rule from its lists (empty lists match nothing, except resourceNames).
    public init(verbs: [String], apiGroups: [String] = [], resources: [String] = [], resourceNames: [String] = [],
                nonResourceURLs: [String] = []) {
        self.verbs = verbs
        self.apiGroups = apiGroups
        self.resources = resources
        self.resourceNames = resourceNames
        self.nonResourceURLs = nonResourceURLs
    }

    /// Reads a PolicyRule object; absent or malformed lists count as empty (a rule that matches less).
    public init(json: JSONValue) {
        func list(_ k: String) -> [String] { json[k]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        self.init(verbs: list("verbs"), apiGroups: list("apiGroups"), resources: list("resources"),
                  resourceNames: list("resourceNames"), nonResourceURLs: list("nonResourceURLs"))
    }

    /// The rule as JSON, omitting empty lists the way the Go types do (`omitempty`); `verbs` is always present.
    public var json: JSONValue {
        var o = JSONObject()
        func put(_ k: String, _ v: [String]) { if !v.isEmpty { o[k] = .array(v.map { .string($0) }) } }
        put("apiGroups", apiGroups)
        put("resources", resources)
        put("resourceNames", resourceNames)
        put("nonResourceURLs", nonResourceURLs)
        o["verbs"] = .array(verbs.map { .string($0) })
        return .object(o)
    }

    /// Rules of a Role/ClusterRole object (`rules`, may be null).
    public static func rules(of object: JSONValue) -> [PolicyRule] {
        object["rules"]?.arrayValue?.map(PolicyRule.init(json:)) ?? []
    }

    // MARK: matching a request (kube-apiserver's RuleAllows)

    /// Whether this rule grants `attributes` (resource or non-resource request).
    public func allows(_ a: RequestAttributes) -> Bool {
        guard verbMatches(a.verb) else { return false }
        if a.isResourceRequest {
            let combined = a.subresource.isEmpty ? a.resource : "\(a.resource)/\(a.subresource)"
            return apiGroupMatches(a.apiGroup) && resourceMatches(combined, subresource: a.subresource)
                && resourceNameMatches(a.name)
        }
        return nonResourceURLMatches(a.path)
    }

    /// The verb is listed, or the rule has "*".
    public func verbMatches(_ verb: String) -> Bool { verbs.contains("*") || verbs.contains(verb) }

    /// The group is listed ("" is core), or the rule has "*".
    public func apiGroupMatches(_ group: String) -> Bool { apiGroups.contains("*") || apiGroups.contains(group) }

    /// "pods", "pods/log", "*" and "*/log" style matching; `combined` is "resource[/subresource]".
    public func resourceMatches(_ combined: String, subresource: String) -> Bool {
        for r in resources {
            if r == "*" || r == combined { return true }
            if !subresource.isEmpty && r == "*/" + subresource { return true }
        }
        return false
    }

    /// An empty resourceNames list matches any name (and no name); otherwise the name must be listed.
    public func resourceNameMatches(_ name: String) -> Bool {
        resourceNames.isEmpty || resourceNames.contains(name)
    }

    /// Exact path, "*", or a "prefix*" pattern.
    public func nonResourceURLMatches(_ path: String) -> Bool {
        for u in nonResourceURLs {
            if u == "*" || u == path { return true }
            if u.hasSuffix("*") && path.hasPrefix(String(u.dropLast())) { return true }
        }
        return false
    }

    // MARK: printing

    /// Go's `%q` of a string slice: `["a" "b"]`.
    static func goQuotedList(_ l: [String]) -> String {
        "[" + l.map { goQuoted($0) }.joined(separator: " ") + "]"
    }

    /// The short form kube-apiserver prints in escalation errors:
    /// `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`.
    public var compactString: String {
        var parts: [String] = []
        if !apiGroups.isEmpty { parts.append("APIGroups:\(Self.goQuotedList(apiGroups))") }
        if !resources.isEmpty { parts.append("Resources:\(Self.goQuotedList(resources))") }
        if !nonResourceURLs.isEmpty { parts.append("NonResourceURLs:\(Self.goQuotedList(nonResourceURLs))") }
        if !resourceNames.isEmpty { parts.append("ResourceNames:\(Self.goQuotedList(resourceNames))") }
        if !verbs.isEmpty { parts.append("Verbs:\(Self.goQuotedList(verbs))") }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
