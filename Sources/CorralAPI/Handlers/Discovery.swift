import CorralModel

/// Discovery documents, legacy (/api, /apis, /apis/G/V) and aggregated (v2).
enum Discovery {
    static func version(_ info: ServerInfo) -> JSONValue {
        ["major": "1", "minor": "32", "gitVersion": .string(info.gitVersion),
         "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
         "buildDate": "2026-11-21T00:00:00Z", "goVersion": "swift6.3", "compiler": "swift", "platform": "linux/amd64"]
    }

    static func apiVersions(_ info: ServerInfo) -> JSONValue {
        ["kind": "APIVersions", "versions": ["v1"],
         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(info.advertiseAddress)]]]
    }

    static func groupJSON(_ registry: ResourceRegistry, _ g: String) -> JSONValue {
        let versions = registry.versions(of: g)
        let vs: [JSONValue] = versions.map { ["groupVersion": .string("\(g)/\($0)"), "version": .string($0)] }
        return ["name": .string(g), "versions": .array(vs), "preferredVersion": vs.first ?? .null]
    }

    static func groupList(_ registry: ResourceRegistry) -> JSONValue {
        ["kind": "APIGroupList", "apiVersion": "v1",
         "groups": .array(registry.groups.filter { !$0.isEmpty }.map { groupJSON(registry, $0) } + [KubeVirtSubresourceDiscovery.groupEntry()])]
    }

    static func group(_ registry: ResourceRegistry, _ g: String) -> JSONValue? {
        guard !g.isEmpty, registry.groups.contains(g) else { return nil }
        var doc = groupJSON(registry, g)
        doc["kind"] = "APIGroup"
        doc["apiVersion"] = "v1"
        return doc
    }

    static func subresourceVerbs(_ t: ResourceType, _ sub: String) -> JSONValue {
        .array(SubresourceDiscovery.verbs(resource: t.resource, sub: sub).map { .string($0) })
    }

    /// The Kind a subresource answers with.
    static func subresourceKind(_ t: ResourceType, _ sub: String) -> (group: String, version: String, kind: String) {
        SubresourceDiscovery.kind(group: t.group, version: t.version, kind: t.kind, resource: t.resource, sub: sub)
    }

    static func resourceList(_ registry: ResourceRegistry, group: String, version: String) -> JSONValue? {
        let types = registry.types(group: group, version: version)
        guard !types.isEmpty else { return nil }
        var resources: [JSONValue] = []
        for t in types {
            var r: JSONValue = ["name": .string(t.resource), "singularName": .string(t.singular), "namespaced": .bool(t.namespaced),
                                "kind": .string(t.kind), "verbs": .array(t.verbs.map { .string($0) })]
            if !t.shortNames.isEmpty { r["shortNames"] = .array(t.shortNames.map { .string($0) }) }
            if !t.categories.isEmpty { r["categories"] = .array(t.categories.map { .string($0) }) }
            resources.append(r)
            for sub in t.subresources {
                let k = subresourceKind(t, sub)
                var s: JSONValue = ["name": .string("\(t.resource)/\(sub)"), "singularName": "", "namespaced": .bool(t.namespaced),
                                    "kind": .string(k.kind), "verbs": subresourceVerbs(t, sub)]
                // Legacy discovery names the group/version only when it differs from the parent's.
                if k.group != t.group || k.version != t.version { s["group"] = .string(k.group); s["version"] = .string(k.version) }
                resources.append(s)
            }
        }
        return ["kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"), "resources": .array(resources)]
    }

    /// The aggregated document for /api (core only) or /apis (all named groups).
    static func aggregated(_ registry: ResourceRegistry, core: Bool, version: String) -> JSONValue {
        let groups = registry.groups.filter { core ? $0.isEmpty : !$0.isEmpty }
        let items: [JSONValue] = groups.map { g in
            let versions: [JSONValue] = registry.versions(of: g).map { v in
                let resources: [JSONValue] = registry.types(group: g, version: v).map { t in
                    var r: JSONValue = [
                        "resource": .string(t.resource),
                        "responseKind": ["group": .string(t.group), "version": .string(t.version), "kind": .string(t.kind)],
                        "scope": t.namespaced ? "Namespaced" : "Cluster",
                        "singularResource": .string(t.singular),
                        "verbs": .array(t.verbs.map { .string($0) }),
                    ]
                    if !t.shortNames.isEmpty { r["shortNames"] = .array(t.shortNames.map { .string($0) }) }
                    if !t.categories.isEmpty { r["categories"] = .array(t.categories.map { .string($0) }) }
                    if !t.subresources.isEmpty {
                        r["subresources"] = .array(t.subresources.map { sub in
                            let k = subresourceKind(t, sub)
                            return ["subresource": .string(sub),
                                    "responseKind": ["group": .string(k.group), "version": .string(k.version), "kind": .string(k.kind)],
                                    "verbs": subresourceVerbs(t, sub)]
                        })
                    }
                    return r
                }
                return ["version": .string(v), "resources": .array(resources), "freshness": "Current"]
            }
            return ["metadata": ["name": .string(g), "creationTimestamp": nil], "versions": .array(versions)]
        }
        return ["kind": "APIGroupDiscoveryList", "apiVersion": .string("apidiscovery.k8s.io/\(version)"),
                "metadata": .object(JSONObject()), "items": .array(core ? items : items + [KubeVirtSubresourceDiscovery.aggregatedItem()])]
    }
}
