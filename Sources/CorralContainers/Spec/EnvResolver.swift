import CorralModel

/// The outcome of resolving a container's environment.
public struct EnvResolution: Equatable, Sendable {
    /// Variables in definition order (envFrom first, then env; later definitions replace earlier values).
    public var env: [EnvVar]
    /// envFrom keys skipped because they are not valid variable names (the kubelet records an event).
    public var skippedKeys: [String]
}

/// Resolves `env` and `envFrom` of a container the way the kubelet does
/// (kubelet_pods.go makeEnvironmentVariables): envFrom sources first, then
/// each env entry (value with `$(VAR)` expansion, or valueFrom), then the
/// service-link variables for names not yet defined. Pure: every lookup
/// arrives through `EnvSources`.
public enum EnvResolver {
    /// Resolves the environment of `container` (a pod.spec.containers element) of `pod`.
    public static func resolve(pod: JSONValue, container: JSONValue, sources: EnvSources) throws -> EnvResolution {
        let ns = pod[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        var env = OrderedEnv()
        var skipped: [String] = []
        for from in container["envFrom"]?.arrayValue ?? [] {
            let prefix = from["prefix"]?.stringValue ?? ""
            let (ref, kind) = from["configMapRef"].map { ($0, "configmap") } ?? (from["secretRef"] ?? .null, "secret")
            guard let name = ref["name"]?.stringValue else { continue }
            let obj = kind == "configmap" ? sources.configMap(name) : sources.secret(name)
            guard let obj else {
                if ref["optional"]?.boolValue == true { continue }
                throw ContainersError.sourceNotFound(kind: kind, namespace: ns, name: name)
            }
            let data = kind == "configmap" ? EnvSources.configMapData(obj) : EnvSources.secretData(obj)
            for (k, v) in data {
                let key = prefix + k
                guard isEnvVarName(key) else { skipped.append(key); continue }
                env.set(key, v)
            }
        }
        var serviceMap: [String: String] = [:]
        for e in sources.serviceEnv { serviceMap[e.name] = e.value }
        for item in container["env"]?.arrayValue ?? [] {
            guard let name = item["name"]?.stringValue else { continue }
            if let value = item["value"]?.stringValue, !value.isEmpty {
                env.set(name, EnvExpansion.expand(value) { env.value($0) ?? serviceMap[$0] })
            } else if let from = item["valueFrom"] {
                guard let v = try valueFrom(from, pod: pod, container: container, namespace: ns, sources: sources) else { continue }
                env.set(name, v)
            } else {
                env.set(name, "")
            }
        }
        for e in sources.serviceEnv where env.value(e.name) == nil { env.set(e.name, e.value) }
        return EnvResolution(env: env.items, skippedKeys: skipped)
    }

    /// One `valueFrom`; nil when an optional source or key is missing (the variable is then left out).
    static func valueFrom(_ from: JSONValue, pod: JSONValue, container: JSONValue, namespace ns: String, sources: EnvSources) throws -> String? {
        if let ref = from["fieldRef"] {
            return try fieldValue(ref["fieldPath"]?.stringValue ?? "", pod: pod, sources: sources)
        }
        if let ref = from["resourceFieldRef"] {
            return try ResourceFieldRef.value(ref, pod: pod, container: container, sources: sources)
        }
        for (field, kind, label) in [("configMapKeyRef", "configmap", "ConfigMap"), ("secretKeyRef", "secret", "Secret")] {
            guard let ref = from[field] else { continue }
            let name = ref["name"]?.stringValue ?? ""
            let key = ref["key"]?.stringValue ?? ""
            let optional = ref["optional"]?.boolValue == true
            let obj = kind == "configmap" ? sources.configMap(name) : sources.secret(name)
            guard let obj else {
                if optional { return nil }
                throw ContainersError.sourceNotFound(kind: kind, namespace: ns, name: name)
            }
            let data = kind == "configmap" ? EnvSources.configMapData(obj) : EnvSources.secretData(obj)
            if let v = data.last(where: { $0.0 == key })?.1 { return v }
            if optional { return nil }
            throw ContainersError.keyNotFound(kind: label, key: key, namespace: ns, name: name)
        }
        return nil
    }

    /// The downward-API value of `path` for env (kubelet podFieldSelectorRuntimeValue).
    public static func fieldValue(_ path: String, pod: JSONValue, sources: EnvSources) throws -> String {
        let meta = pod["metadata"] ?? .null
        switch path {
        case "metadata.name": return meta["name"]?.stringValue ?? ""
        case "metadata.namespace": return meta["namespace"]?.stringValue ?? "default"
        case "metadata.uid": return meta["uid"]?.stringValue ?? ""
        case "spec.nodeName": return pod[path: ["spec", "nodeName"]]?.stringValue ?? sources.nodeName
        case "spec.serviceAccountName": return pod[path: ["spec", "serviceAccountName"]]?.stringValue ?? ""
        case "status.podIP": return sources.podIPs.first ?? ""
        case "status.podIPs": return sources.podIPs.joined(separator: ",")
        case "status.hostIP": return sources.hostIPs.first ?? ""
        case "status.hostIPs": return sources.hostIPs.joined(separator: ",")
        default: break
        }
        for field in ["labels", "annotations"] {
            let prefix = "metadata.\(field)['", suffix = "']"
            if path.hasPrefix(prefix), path.hasSuffix(suffix), path.count > prefix.count + suffix.count - 1 {
                let key = String(path.dropFirst(prefix.count).dropLast(suffix.count))
                return meta[field]?[key]?.stringValue ?? ""
            }
        }
        throw ContainersError.unsupportedFieldPath(path)
    }

    /// kube's IsEnvVarName: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
    public static func isEnvVarName(_ s: String) -> Bool {
        guard let first = s.utf8.first else { return false }
        func ok(_ c: UInt8, digitsAllowed: Bool) -> Bool {
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || c == 0x2D || c == 0x2E || c == 0x5F
                || (digitsAllowed && c >= 0x30 && c <= 0x39)
        }
        return ok(first, digitsAllowed: false) && s.utf8.dropFirst().allSatisfy { ok($0, digitsAllowed: true) }
    }
}

/// An insertion-ordered name → value list where a redefinition replaces the value in place.
struct OrderedEnv {
    private(set) var items: [EnvVar] = []
    private var index: [String: Int] = [:]
    mutating func set(_ name: String, _ value: String) {
        if let i = index[name] { items[i].value = value } else { index[name] = items.count; items.append(EnvVar(name, value)) }
    }
    func value(_ name: String) -> String? { index[name].map { items[$0].value } }
}
