import CorralModel

/// What the node agent read for a VMI's config disks. A name absent from a map means
/// the object does not exist.
public struct ConfigDiskInputs: Sendable {
    /// The VMI's namespace (the service-account disk's `namespace` file).
    public var namespace: String
    /// ConfigMap name → key → bytes (`data` and `binaryData`).
    public var configMaps: [String: [String: [UInt8]]]
    /// Secret name → key → decoded bytes.
    public var secrets: [String: [String: [UInt8]]]
    /// ServiceAccount name → a token issued for it.
    public var serviceAccountTokens: [String: String]
    /// The cluster CA the guest should trust (`ca.crt`).
    public var caCertificate: [UInt8]

    /// Inputs for one VMI.
    public init(namespace: String, configMaps: [String: [String: [UInt8]]] = [:], secrets: [String: [String: [UInt8]]] = [:],
                serviceAccountTokens: [String: String] = [:], caCertificate: [UInt8] = []) {
        self.namespace = namespace
        self.configMaps = configMaps
        self.secrets = secrets
        self.serviceAccountTokens = serviceAccountTokens
        self.caCertificate = caCertificate
    }
}

/// One ISO image to write into the VM directory.
public struct ConfigDiskImage: Sendable, Equatable {
    /// The volume (and disk) name.
    public var volume: String
    public var kind: VolumeKind
    /// File name inside the VM directory.
    public var fileName: String
    public var iso: ISOPlan
    /// Secret and service-account images hold credentials: only QEMU's user may read them.
    public var isSensitive: Bool
}

/// Pure planning of configMap, secret and serviceAccount disks (KubeVirt's `pkg/config`
/// behaviour): one file per key at the image root, label `volumeLabel` or `cfgdata`,
/// an empty image for a missing optional object.
public enum ConfigDiskPlanner {
    /// The images for `sources`, or `ConfigDiskError.missingObject` for the first missing
    /// non-optional object (the VMI waits until it exists).
    public static func plan(_ sources: [ConfigDiskSource], inputs: ConfigDiskInputs) throws -> [ConfigDiskImage] {
        try sources.map { try image($0, inputs: inputs) }
    }

    static func image(_ s: ConfigDiskSource, inputs: ConfigDiskInputs) throws -> ConfigDiskImage {
        // The volume name becomes a file name in the VM directory.
        guard CloudInitMedia.isSafeFileName(s.volume) else {
            throw ConfigDiskError.invalidSource(field: "spec.volumes[\(s.volume)].name", message: "\"\(s.volume)\" cannot be a file name")
        }
        let files: [String: [UInt8]]
        switch s.origin {
        case .configMap(let name, let optional):
            guard let data = inputs.configMaps[name] ?? (optional ? [:] : nil) else {
                throw ConfigDiskError.missingObject(volume: s.volume, kind: "configmap", name: name)
            }
            files = data
        case .secret(let name, let optional):
            guard let data = inputs.secrets[name] ?? (optional ? [:] : nil) else {
                throw ConfigDiskError.missingObject(volume: s.volume, kind: "secret", name: name)
            }
            files = data
        case .serviceAccount(let name):
            guard let token = inputs.serviceAccountTokens[name] else {
                throw ConfigDiskError.missingObject(volume: s.volume, kind: "serviceaccount", name: name)
            }
            // The files a pod sees under /var/run/secrets/kubernetes.io/serviceaccount.
            files = ["token": Array(token.utf8), "ca.crt": inputs.caCertificate, "namespace": Array(inputs.namespace.utf8)]
        }
        let iso: ISOPlan
        do {
            iso = try CloudInitMedia.keyValuePlan(files: files, volumeLabel: s.label)
        } catch CloudInitError.invalidFileName(let key) {
            throw ConfigDiskError.invalidKey(volume: s.volume, key: key)
        }
        return ConfigDiskImage(volume: s.volume, kind: s.kind, fileName: s.volume + ".iso", iso: iso,
                               isSensitive: s.kind != .configMap)
    }
}
