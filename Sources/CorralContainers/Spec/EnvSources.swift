import CorralModel
import Foundation

/// What the environment of a container may draw on, gathered by the caller:
/// ConfigMaps and Secrets of the pod's namespace (looked up by name), the
/// pod's runtime IPs, the node, service-link variables, and node allocatable
/// (used for `resourceFieldRef` to an unset limit, as the kubelet does).
public struct EnvSources {
    /// The ConfigMap object named so, or nil when it does not exist.
    public var configMap: (String) -> JSONValue?
    /// The Secret object named so (values base64 in `data`), or nil when it does not exist.
    public var secret: (String) -> JSONValue?
    /// Pod IPs, primary first (`status.podIP`, `status.podIPs`).
    public var podIPs: [String]
    /// Host IPs, primary first (`status.hostIP`, `status.hostIPs`).
    public var hostIPs: [String]
    /// `spec.nodeName` when the pod has none yet.
    public var nodeName: String
    /// Service-link variables (`FOO_SERVICE_HOST`…), lowest precedence.
    public var serviceEnv: [EnvVar]
    /// Node allocatable CPU, used when a referenced CPU limit is unset.
    public var allocatableCPU: Quantity
    /// Node allocatable memory, used when a referenced memory limit is unset.
    public var allocatableMemory: Quantity
    /// Node allocatable ephemeral storage.
    public var allocatableEphemeralStorage: Quantity

    /// Sources with the given lookups; unspecified facts default to empty/zero.
    public init(configMap: @escaping (String) -> JSONValue? = { _ in nil },
                secret: @escaping (String) -> JSONValue? = { _ in nil },
                podIPs: [String] = [], hostIPs: [String] = [], nodeName: String = "",
                serviceEnv: [EnvVar] = [],
                allocatableCPU: Quantity = Quantity(0), allocatableMemory: Quantity = Quantity(0),
                allocatableEphemeralStorage: Quantity = Quantity(0)) {
        self.configMap = configMap
        self.secret = secret
        self.podIPs = podIPs
        self.hostIPs = hostIPs
        self.nodeName = nodeName
        self.serviceEnv = serviceEnv
        self.allocatableCPU = allocatableCPU
        self.allocatableMemory = allocatableMemory
        self.allocatableEphemeralStorage = allocatableEphemeralStorage
    }

    /// Sources backed by dictionaries of objects keyed by name.
    public init(configMaps: [String: JSONValue], secrets: [String: JSONValue], podIPs: [String] = [],
                hostIPs: [String] = [], nodeName: String = "") {
        self.init(configMap: { configMaps[$0] }, secret: { secrets[$0] }, podIPs: podIPs, hostIPs: hostIPs, nodeName: nodeName)
    }

    /// String values of a ConfigMap's `data`, in order.
    static func configMapData(_ obj: JSONValue) -> [(String, String)] {
        (obj["data"]?.objectValue ?? JSONObject()).compactMap { k, v in v.stringValue.map { (k, $0) } }
    }

    /// Decoded values of a Secret's `data` (base64), plus `stringData` if the object still carries it.
    static func secretData(_ obj: JSONValue) -> [(String, String)] {
        var out: [(String, String)] = []
        for (k, v) in obj["data"]?.objectValue ?? JSONObject() {
            guard let s = v.stringValue, let d = Data(base64Encoded: s) else { continue }
            out.append((k, String(decoding: d, as: UTF8.self)))
        }
        for (k, v) in obj["stringData"]?.objectValue ?? JSONObject() {
            if let s = v.stringValue { out.removeAll { $0.0 == k }; out.append((k, s)) }
        }
        return out
    }
}
