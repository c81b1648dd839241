import Foundation

/// What one pod volume becomes on the node, decided without touching disk.
public enum VolumeSource: Sendable, Equatable {
    /// A fresh directory per pod; "Memory" medium means a tmpfs.
    case emptyDir(memory: Bool, sizeLimitBytes: Int64?)
    /// A host directory or file bound in as is.
    case hostPath(path: String, type: String)
    /// Files the node writes (configMap, secret, downwardAPI, projected): path → content and mode.
    case files([VolumeFile])
    /// A claim, bound to a local volume by the node agent.
    case persistentVolumeClaim(claimName: String, readOnly: Bool)
}

/// One file of a projected-style volume.
public struct VolumeFile: Sendable, Equatable {
    public var path: String
    public var content: [UInt8]
    public var mode: Int
    public init(path: String, content: [UInt8], mode: Int) {
        self.path = path
        self.content = content
        self.mode = mode
    }
}

/// Where configMap/secret data and service-account tokens come from; the
/// node agent answers from the API store.
public struct VolumeLookups {
    public var configMap: (_ name: String) -> [String: [UInt8]]?
    public var secret: (_ name: String) -> [String: [UInt8]]?
    public var serviceAccountToken: (_ audience: String?, _ expirationSeconds: Int64) throws -> String
    public var caCertificate: [UInt8]

    public init(configMap: @escaping (String) -> [String: [UInt8]]?, secret: @escaping (String) -> [String: [UInt8]]?,
                serviceAccountToken: @escaping (String?, Int64) throws -> String, caCertificate: [UInt8]) {
        self.configMap = configMap
        self.secret = secret
        self.serviceAccountToken = serviceAccountToken
        self.caCertificate = caCertificate
    }
}

/// A volume that cannot be set up yet (missing ConfigMap/Secret key), in the
/// kubelet's words, e.g. `configmap "cfg" not found`.
public struct VolumeError: Error, CustomStringConvertible, Equatable {
    public var volume: String
    public var message: String
    public var description: String { "MountVolume.SetUp failed for volume \"\(volume)\" : \(message)" }
    public init(volume: String, message: String) {
        self.volume = volume
        self.message = message
    }
}

/// Turns `spec.volumes` into `VolumeSource`s with the kubelet's file layout
/// for configMap, secret, downwardAPI and projected volumes (items, modes, optional).
public enum VolumePlanner {
    public static func plan(pod: JSONValue, lookups: VolumeLookups) throws -> [(name: String, source: VolumeSource)] {
        var out: [(String, VolumeSource)] = []
        for v in pod[path: ["spec", "volumes"]]?.arrayValue ?? [] {
            guard let name = v["name"]?.stringValue else { continue }
            out.append((name, try source(v, name: name, pod: pod, lookups: lookups)))
        }
        return out
    }

    static func source(_ v: JSONValue, name: String, pod: JSONValue, lookups: VolumeLookups) throws -> VolumeSource {
        if let e = v["emptyDir"] {
            let limit = ResourceQuantity.parse(e["sizeLimit"]).map { Int64($0.rounded(.up)) }
            return .emptyDir(memory: e["medium"]?.stringValue == "Memory", sizeLimitBytes: limit)
        }
        if let h = v["hostPath"] {
            return .hostPath(path: h["path"]?.stringValue ?? "", type: h["type"]?.stringValue ?? "")
        }
        if let c = v["persistentVolumeClaim"] {
            return .persistentVolumeClaim(claimName: c["claimName"]?.stringValue ?? "", readOnly: c["readOnly"]?.boolValue ?? false)
        }
        if let cm = v["configMap"] {
            return .files(try keyedFiles(cm, kind: "configmap", volume: name, defaultMode: cm["defaultMode"]?.intValue, lookup: lookups.configMap))
        }
        if let s = v["secret"] {
            var ref = s
            ref["name"] = s["secretName"]
            return .files(try keyedFiles(ref, kind: "secret", volume: name, defaultMode: s["defaultMode"]?.intValue, lookup: lookups.secret))
        }
        if let d = v["downwardAPI"] {
            return .files(try downwardFiles(d["items"]?.arrayValue ?? [], pod: pod, volume: name, mode: d["defaultMode"]?.intValue))
        }
        if let p = v["projected"] {
            let mode = p["defaultMode"]?.intValue
            var files: [VolumeFile] = []
            for src in p["sources"]?.arrayValue ?? [] {
                if let cm = src["configMap"] {
                    files += try keyedFiles(cm, kind: "configmap", volume: name, defaultMode: mode, lookup: lookups.configMap)
                } else if let s = src["secret"] {
                    files += try keyedFiles(s, kind: "secret", volume: name, defaultMode: mode, lookup: lookups.secret)
                } else if let d = src["downwardAPI"] {
                    files += try downwardFiles(d["items"]?.arrayValue ?? [], pod: pod, volume: name, mode: mode)
                } else if let t = src["serviceAccountToken"] {
                    let token = try lookups.serviceAccountToken(t["audience"]?.stringValue, t["expirationSeconds"]?.intValue ?? 3600)
                    files.append(VolumeFile(path: t["path"]?.stringValue ?? "token", content: Array(token.utf8), mode: Int(mode ?? 0o644)))
                } else if let ca = src["clusterTrustBundle"] {
                    files.append(VolumeFile(path: ca["path"]?.stringValue ?? "ca.crt", content: lookups.caCertificate, mode: Int(mode ?? 0o644)))
                }
            }
            return .files(files)
        }
        // Sources a single node has nothing to back with (e.g. cloud disks) become an empty directory.
        return .emptyDir(memory: false, sizeLimitBytes: nil)
    }

    /// configMap/secret: every key, or the listed items; a missing object or
    /// key is an error unless `optional`.
    static func keyedFiles(_ ref: JSONValue, kind: String, volume: String, defaultMode: Int64?,
                           lookup: (String) -> [String: [UInt8]]?) throws -> [VolumeFile] {
        let objName = ref["name"]?.stringValue ?? ""
        let optional = ref["optional"]?.boolValue ?? false
        let mode = Int(defaultMode ?? 0o644)
        guard let data = lookup(objName) else {
            if optional { return [] }
            throw VolumeError(volume: volume, message: "\(kind) \"\(objName)\" not found")
        }
        guard let items = ref["items"]?.arrayValue else {
            return data.keys.sorted().map { VolumeFile(path: $0, content: data[$0]!, mode: mode) }
        }
        var files: [VolumeFile] = []
        for item in items {
            let key = item["key"]?.stringValue ?? ""
            guard let content = data[key] else {
                if optional { continue }
                throw VolumeError(volume: volume, message: "configmap references non-existent config key: \(key)")
            }
            files.append(VolumeFile(path: item["path"]?.stringValue ?? key, content: content, mode: Int(item["mode"]?.intValue ?? Int64(mode))))
        }
        return files
    }

    static func downwardFiles(_ items: [JSONValue], pod: JSONValue, volume: String, mode: Int64?) throws -> [VolumeFile] {
        try items.map { item in
            let path = item["path"]?.stringValue ?? ""
            var text = ""
            if let field = item[path: ["fieldRef", "fieldPath"]]?.stringValue {
                guard let v = DownwardAPI.fieldValue(pod: pod, fieldPath: field) else {
                    throw VolumeError(volume: volume, message: "unsupported fieldPath \(field)")
                }
                text = v
            } else if let res = item["resourceFieldRef"] {
                text = try DownwardAPI.resourceValue(pod: pod, ref: res)
            }
            return VolumeFile(path: path, content: Array(text.utf8), mode: Int(item["mode"]?.intValue ?? mode ?? 0o644))
        }
    }
}
