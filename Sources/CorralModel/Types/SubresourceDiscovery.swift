/// What discovery says about a subresource, as kube-apiserver 1.32 serves
/// it: the verbs it answers and the kind it returns. `kubectl auth can-i`,
/// `kubectl api-resources -o wide` and RBAC tooling read these.
public enum SubresourceDiscovery {
    /// The verbs of `resource/sub` ("pods"/"exec" → create, get).
    public static func verbs(resource: String, sub: String) -> [String] {
        switch (resource, sub) {
        case ("pods", "exec"), ("pods", "attach"), ("pods", "portforward"): return ["create", "get"]
        case ("pods", "log"): return ["get"]
        case ("pods", "binding"), ("pods", "eviction"): return ["create"]
        case ("serviceaccounts", "token"): return ["create"]
        case ("namespaces", "finalize"): return ["update"]
        default: return ["get", "patch", "update"]  // status, scale, ephemeralcontainers
        }
    }

    /// The group, version and kind a subresource answers with.
    public static func kind(group: String, version: String, kind: String, resource: String,
                            sub: String) -> (group: String, version: String, kind: String) {
        switch (resource, sub) {
        case (_, "scale"): return ("autoscaling", "v1", "Scale")
        case ("pods", "exec"): return ("", "v1", "PodExecOptions")
        case ("pods", "attach"): return ("", "v1", "PodAttachOptions")
        case ("pods", "portforward"): return ("", "v1", "PodPortForwardOptions")
        case ("pods", "binding"): return ("", "v1", "Binding")
        case ("pods", "eviction"): return ("policy", "v1", "Eviction")
        case ("serviceaccounts", "token"): return ("authentication.k8s.io", "v1", "TokenRequest")
        default: return (group, version, kind)
        }
    }
}
