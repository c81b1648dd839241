/// The autoscaling/v1 Scale view of a custom resource, read and written
/// through the CRD's `subresources.scale` paths (`.spec.replicas`,
/// `.status.replicas`, `.status.labelSelector`).
public enum CustomResourceScale {
    /// The keys of a simple dotted JSON path (".spec.replicas" → ["spec", "replicas"]).
    public static func keys(_ path: String) -> [String] {
        path.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
    }

    /// The Scale object kube-apiserver serves for `obj`.
    public static func scale(of obj: JSONValue, spec: ScaleSpec) -> JSONValue {
        var status: JSONValue = ["replicas": obj[path: keys(spec.statusReplicasPath)].flatMap { $0.intValue.map(JSONValue.int) } ?? .int(0)]
        if let l = spec.labelSelectorPath, let sel = obj[path: keys(l)]?.stringValue { status["selector"] = .string(sel) }
        var meta = JSONObject()
        for k in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let v = obj[path: ["metadata", k]] { meta[k] = v }
        }
        return ["kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(meta),
                "spec": ["replicas": obj[path: keys(spec.specReplicasPath)].flatMap { $0.intValue.map(JSONValue.int) } ?? .int(0)],
                "status": status]
    }

    /// `obj` with its desired replica count set to `replicas`.
    public static func settingReplicas(_ obj: JSONValue, _ replicas: Int64, spec: ScaleSpec) -> JSONValue {
        var out = obj
        out.set(path: keys(spec.specReplicasPath), to: .int(replicas))
        return out
    }
}
