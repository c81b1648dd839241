import CorralModel

/// One `spec.volumes[]` entry that KubeVirt attaches as a generated ISO: a ConfigMap's or
/// Secret's keys as files, or the service-account files (`token`, `ca.crt`, `namespace`).
public struct ConfigDiskSource: Sendable, Equatable {
    /// What the disk is made from.
    public enum Origin: Sendable, Equatable {
        case configMap(name: String, optional: Bool)
        case secret(name: String, optional: Bool)
        case serviceAccount(name: String)
    }

    /// KubeVirt's label when `volumeLabel` is empty, for all three kinds.
    public static let defaultLabel = "cfgdata"

    /// The volume name (also the disk name that attaches it).
    public var volume: String
    public var origin: Origin
    /// ISO9660 volume identifier the guest can find the disk by (`findfs LABEL=…`).
    public var label: String

    /// The volume's source kind.
    public var kind: VolumeKind {
        switch origin {
        case .configMap: return .configMap
        case .secret: return .secret
        case .serviceAccount: return .serviceAccount
        }
    }

    /// Reads a volume; nil when it is not a configMap/secret/serviceAccount volume.
    /// `path` is the volume's KubeVirt field path, used in errors.
    public static func parse(_ volume: JSONValue, path: String) throws -> ConfigDiskSource? {
        let name = volume["name"]?.stringValue ?? ""
        func text(_ v: JSONValue?, _ field: String) throws -> String? {
            guard let v, !v.isNull else { return nil }
            guard let s = v.stringValue else { throw ConfigDiskError.invalidSource(field: field, message: "must be a string") }
            return s
        }
        func flag(_ v: JSONValue?, _ field: String) throws -> Bool {
            guard let v, !v.isNull else { return false }
            guard let b = v.boolValue else { throw ConfigDiskError.invalidSource(field: field, message: "must be a boolean") }
            return b
        }
        func label(_ src: JSONValue, _ base: String) throws -> String {
            let l = try text(src["volumeLabel"], base + ".volumeLabel") ?? ""
            if l.isEmpty { return defaultLabel }
            // ISO9660 volume identifiers hold at most 32 characters.
            guard l.count <= 32, l.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else {
                throw ConfigDiskError.invalidSource(field: base + ".volumeLabel",
                                                    message: "\"\(l)\" is not a usable volume label (up to 32 letters, digits, '-', '_')")
            }
            return l
        }
        if let src = volume["configMap"], !src.isNull {
            let base = path + ".configMap"
            guard let n = try text(src["name"], base + ".name"), !n.isEmpty else {
                throw ConfigDiskError.invalidSource(field: base + ".name", message: "the ConfigMap name is required")
            }
            return ConfigDiskSource(volume: name, origin: .configMap(name: n, optional: try flag(src["optional"], base + ".optional")),
                                    label: try label(src, base))
        }
        if let src = volume["secret"], !src.isNull {
            let base = path + ".secret"
            guard let n = try text(src["secretName"], base + ".secretName"), !n.isEmpty else {
                throw ConfigDiskError.invalidSource(field: base + ".secretName", message: "the Secret name is required")
            }
            return ConfigDiskSource(volume: name, origin: .secret(name: n, optional: try flag(src["optional"], base + ".optional")),
                                    label: try label(src, base))
        }
        if let src = volume["serviceAccount"], !src.isNull {
            // An empty name means the namespace's "default" account, as for a pod.
            let n = try text(src["serviceAccountName"], path + ".serviceAccount.serviceAccountName") ?? ""
            return ConfigDiskSource(volume: name, origin: .serviceAccount(name: n.isEmpty ? "default" : n), label: defaultLabel)
        }
        return nil
    }

    /// Every config-disk volume of a VMI, in spec order. KubeVirt allows one serviceAccount volume.
    public static func all(vmi: JSONValue) throws -> [ConfigDiskSource] {
        var out: [ConfigDiskSource] = []
        for (i, v) in (vmi[path: ["spec", "volumes"]]?.arrayValue ?? []).enumerated() {
            guard let s = try parse(v, path: "spec.volumes[\(i)]") else { continue }
            if s.kind == .serviceAccount, out.contains(where: { $0.kind == .serviceAccount }) {
                throw ConfigDiskError.invalidSource(field: "spec.volumes[\(i)].serviceAccount", message: "only one serviceAccount volume is allowed")
            }
            out.append(s)
        }
        return out
    }
}

/// The objects a VMI's config disks read, so the node agent fetches exactly these.
public struct ConfigDiskReferences: Sendable, Equatable {
    public var configMaps: [String]
    public var secrets: [String]
    public var serviceAccounts: [String]

    /// Sorted, de-duplicated names per kind.
    public init(_ sources: [ConfigDiskSource]) {
        var cms = Set<String>(), secrets = Set<String>(), sas = Set<String>()
        for s in sources {
            switch s.origin {
            case .configMap(let n, _): cms.insert(n)
            case .secret(let n, _): secrets.insert(n)
            case .serviceAccount(let n): sas.insert(n)
            }
        }
        configMaps = cms.sorted()
        self.secrets = secrets.sorted()
        serviceAccounts = sas.sorted()
    }
}
