import CorralModel

/// Discovery for KubeVirt's subresource group, subresources.kubevirt.io: the
/// documents virt-api serves (and kube-aggregator republishes) so that
/// kubectl, virtctl and client libraries know the group exists.
enum KubeVirtSubresourceDiscovery {
    static let group = "subresources.kubevirt.io"
    /// virt-api serves both; v1 is preferred.
    static let versions = ["v1", "v1alpha3"]

    /// The subresources served here and the HTTP verb each answers (PUT → update, GET → get).
    static let resources: [(name: String, verb: String)] = [
        ("expand-vm-spec", "update"),
        ("virtualmachineinstances/vnc", "get"),
        ("virtualmachineinstances/console", "get"),
        ("virtualmachineinstances/pause", "update"),
        ("virtualmachineinstances/unpause", "update"),
        ("virtualmachineinstances/softreboot", "update"),
        ("virtualmachineinstances/guestosinfo", "get"),
        ("virtualmachines/start", "update"),
        ("virtualmachines/stop", "update"),
        ("virtualmachines/restart", "update"),
        ("virtualmachines/migrate", "update"),
        ("virtualmachines/expand-spec", "get"),
    ]

    static func groupVersions() -> [JSONValue] {
        versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }
    }

    /// The entry in /apis (APIGroupList.groups).
    static func groupEntry() -> JSONValue {
        let vs = groupVersions()
        return ["name": .string(group), "versions": .array(vs), "preferredVersion": vs[0]]
    }

    /// GET /apis/subresources.kubevirt.io (APIGroup).
    static func apiGroup() -> JSONValue {
        var g = groupEntry()
        g["kind"] = "APIGroup"
        g["apiVersion"] = "v1"
        return g
    }

    /// GET /apis/subresources.kubevirt.io/VERSION (APIResourceList). Like virt-api,
    /// entries carry no kind; verbs say how each is called.
    static func resourceList(version: String) -> JSONValue {
        let items: [JSONValue] = resources.map {
            ["name": .string($0.name), "singularName": "", "namespaced": true, "kind": "", "verbs": [.string($0.verb)]]
        }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string("\(group)/\(version)"),
                "resources": .array(items)]
    }

    /// The group in aggregated discovery (apidiscovery.k8s.io), shaped as kube-aggregator
    /// converts virt-api's list: a placeholder parent per resource, subresources under it.
    static func aggregatedItem() -> JSONValue {
        let versions: [JSONValue] = versions.map { v in
            var parents: [String] = []
            var subs: [String: [JSONValue]] = [:]
            for r in resources {
                let split = r.name.split(separator: "/", maxSplits: 1).map(String.init)
                if !parents.contains(split[0]) { parents.append(split[0]) }
                if split.count == 2 {
                    subs[split[0], default: []].append(["subresource": .string(split[1]), "responseKind": ["group": "", "version": "", "kind": ""],
                                                        "verbs": [.string(r.verb)]])
                }
            }
            let list: [JSONValue] = parents.map { p in
                var r: JSONValue = ["resource": .string(p), "responseKind": ["group": "", "version": "", "kind": ""], "scope": "Namespaced",
                                    "singularResource": "", "verbs": []]
                if let s = subs[p] { r["subresources"] = .array(s) }
                return r
            }
            return ["version": .string(v), "resources": .array(list), "freshness": "Current"]
        }
        return ["metadata": ["name": .string(group), "creationTimestamp": nil], "versions": .array(versions)]
    }

    /// GET /apis/subresources.kubevirt.io/VERSION/version: KubeVirt's version info (virtctl version).
    static func version() -> JSONValue {
        ["gitVersion": .string(kubevirtVersion), "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
         "buildDate": "2026-11-21T00:00:00Z", "goVersion": "swift6.3", "compiler": "swift", "platform": "linux/amd64"]
    }

    /// The KubeVirt API level this server follows.
    static let kubevirtVersion = "v1.6.0+corral"
}
