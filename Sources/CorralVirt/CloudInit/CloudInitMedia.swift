import Foundation
import CorralModel

/// Files for a small ISO9660 image: relative paths (may contain `/`) and their bytes.
public struct ISOPlan: Sendable, Equatable {
    /// Volume label the guest looks for (`cidata`, `config-2`, `cfgdata`).
    public var volumeID: String
    public var files: [ISOFile]

    /// A plan for an image labelled `volumeID`.
    public init(volumeID: String, files: [ISOFile]) {
        self.volumeID = volumeID
        self.files = files
    }
}

/// One file of an `ISOPlan`.
public struct ISOFile: Sendable, Equatable {
    public var path: String
    public var contents: [UInt8]

    /// A file at `path` (relative to the image root).
    public init(path: String, contents: [UInt8]) {
        self.path = path
        self.contents = contents
    }
}

/// Which cloud-init datasource a volume feeds.
public enum CloudInitDataSource: String, Sendable { case noCloud, configDrive }

/// User data and network config after resolving inline/base64/secret sources.
public struct CloudInitData: Sendable, Equatable {
    public var source: CloudInitDataSource
    public var userData: [UInt8]?
    public var networkData: [UInt8]?
}

/// Pure planning of cloud-init (NoCloud, ConfigDrive) and ConfigMap/Secret/ServiceAccount disks.
public enum CloudInitMedia {
    /// Resolves a `cloudInitNoCloud`/`cloudInitConfigDrive` volume. The caller fetches the Secrets the
    /// volume names (`secretRef`, `networkDataSecretRef`) and passes their data maps.
    public static func data(volume: JSONValue, volumePath: String = "spec.volumes[]",
                            userDataSecret: [String: [UInt8]]? = nil,
                            networkDataSecret: [String: [UInt8]]? = nil) throws -> CloudInitData {
        let source: CloudInitDataSource
        let key: String
        if volume["cloudInitNoCloud"] != nil { (source, key) = (.noCloud, "cloudInitNoCloud") }
        else if volume["cloudInitConfigDrive"] != nil { (source, key) = (.configDrive, "cloudInitConfigDrive") }
        else { throw CloudInitError.invalidSource(field: volumePath, message: "not a cloud-init volume") }
        let spec = volume[key]!
        let base = volumePath + "." + key

        func pick(_ raw: String, _ b64: String, _ secretRef: String, _ secret: [String: [UInt8]]?, _ keys: [String]) throws -> [UInt8]? {
            if let s = spec[raw]?.stringValue, !s.isEmpty { return Array(s.utf8) }
            if let s = spec[b64]?.stringValue, !s.isEmpty {
                guard let d = Data(base64Encoded: s, options: .ignoreUnknownCharacters) else {
                    throw CloudInitError.invalidSource(field: base + "." + b64, message: "is not valid base64")
                }
                return [UInt8](d)
            }
            if spec[secretRef] != nil {
                guard let secret else {
                    throw CloudInitError.invalidSource(field: base + "." + secretRef, message: "secret data was not provided")
                }
                guard let k = keys.first(where: { secret[$0] != nil }) else {
                    throw CloudInitError.invalidSource(field: base + "." + secretRef,
                                                       message: "secret has no \(keys.joined(separator: " or ")) key")
                }
                return secret[k]
            }
            return nil
        }
        let user = try pick("userData", "userDataBase64", "secretRef", userDataSecret, ["userdata", "userData"])
        let network = try pick("networkData", "networkDataBase64", "networkDataSecretRef", networkDataSecret, ["networkdata", "networkData"])
        if user == nil, network == nil {
            throw CloudInitError.invalidSource(field: base, message: "userData, userDataBase64, secretRef, networkData or networkDataBase64 is required")
        }
        return CloudInitData(source: source, userData: user, networkData: network)
    }

    /// KubeVirt's instance id: `NAME.NAMESPACE`, stable across restarts of the same VM.
    public static func instanceID(namespace: String, name: String) -> String { name + "." + namespace }

    /// The guest hostname: `spec.hostname`, else the VMI name, cut to a DNS label.
    public static func hostname(vmi: JSONValue) -> String {
        let raw = vmi[path: ["spec", "hostname"]]?.stringValue ?? vmi[path: ["metadata", "name"]]?.stringValue ?? "vm"
        let label = String(raw.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }.prefix(63))
        return label.isEmpty ? "vm" : label
    }

    /// The ISO for `data`: NoCloud (`cidata`: user-data, meta-data, network-config) or
    /// ConfigDrive (`config-2`: openstack/latest/{user_data, meta_data.json, network_data.json}).
    public static func plan(_ data: CloudInitData, instanceID: String, uuid: String, hostname: String,
                            publicKeys: [String: String] = [:]) -> ISOPlan {
        var files: [ISOFile] = []
        switch data.source {
        case .noCloud:
            var meta: [(String, JSONValue)] = [("instance-id", .string(instanceID)), ("local-hostname", .string(hostname))]
            if !publicKeys.isEmpty { meta.append(("public-keys", keysObject(publicKeys))) }
            files.append(ISOFile(path: "meta-data", contents: JSONValue.object(JSONObject(meta)).serialized() + [10]))
            files.append(ISOFile(path: "user-data", contents: data.userData ?? []))
            if let n = data.networkData { files.append(ISOFile(path: "network-config", contents: n)) }
            return ISOPlan(volumeID: "cidata", files: files)
        case .configDrive:
            var meta: [(String, JSONValue)] = [("instance_id", .string(instanceID)), ("uuid", .string(uuid)), ("hostname", .string(hostname))]
            if !publicKeys.isEmpty { meta.append(("public_keys", keysObject(publicKeys))) }
            let dir = "openstack/latest/"
            files.append(ISOFile(path: dir + "meta_data.json", contents: JSONValue.object(JSONObject(meta)).serialized()))
            if let u = data.userData { files.append(ISOFile(path: dir + "user_data", contents: u)) }
            if let n = data.networkData { files.append(ISOFile(path: dir + "network_data.json", contents: n)) }
            return ISOPlan(volumeID: "config-2", files: files)
        }
    }

    /// A ConfigMap, Secret or ServiceAccount disk: one file per key, label `cfgdata` unless
    /// the volume sets `volumeLabel`.
    public static func keyValuePlan(files: [String: [UInt8]], volumeLabel: String? = nil) throws -> ISOPlan {
        let label = volumeLabel ?? "cfgdata"
        guard !label.isEmpty, label.count <= 32, label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else {
            throw CloudInitError.invalidSource(field: "volumeLabel", message: "\"\(label)\" is not a usable volume label")
        }
        var out: [ISOFile] = []
        for key in files.keys.sorted() {
            guard isSafeFileName(key) else { throw CloudInitError.invalidFileName(key) }
            out.append(ISOFile(path: key, contents: files[key]!))
        }
        return ISOPlan(volumeID: label, files: out)
    }

    /// Kubernetes ConfigMap/Secret key syntax, which also keeps the name inside the image root.
    static func isSafeFileName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 253 && name != "." && name != ".."
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }

    private static func keysObject(_ keys: [String: String]) -> JSONValue {
        .object(JSONObject(keys.keys.sorted().map { ($0, JSONValue.string(keys[$0]!)) }))
    }
}
