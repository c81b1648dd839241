/// The kinds of `spec.volumes[]` sources Corral can attach, as the node agent must prepare them.
public enum VolumeKind: String, Sendable, CaseIterable {
    case containerDisk, cloudInitNoCloud, cloudInitConfigDrive, emptyDisk, persistentVolumeClaim, dataVolume,
         hostDisk, ephemeral, configMap, secret, serviceAccount, downwardAPI, sysprep

    /// Volumes that the node agent renders as small read-only ISO images.
    public var isGeneratedISO: Bool {
        switch self {
        case .configMap, .secret, .serviceAccount, .downwardAPI, .sysprep: return true
        default: return false
        }
    }
}

/// `spec.volumes` indexed by name, with each volume's kind.
struct VolumeCatalog {
    struct Entry {
        var index: Int
        var node: SpecNode
        var kind: VolumeKind
    }

    var entries: [String: Entry] = [:]
    var order: [String] = []

    init(spec: SpecNode) throws {
        for (i, v) in try spec["volumes"].items().enumerated() {
            guard let name = try v["name"].string(), !name.isEmpty else { throw v["name"].invalid("a volume needs a name") }
            if entries[name] != nil { throw v["name"].invalid("duplicate volume name \"\(name)\"") }
            let kinds = VolumeKind.allCases.filter { v[$0.rawValue].exists }
            guard let kind = kinds.first else {
                let given = (try? v.members().map(\.0).filter { $0 != "name" }) ?? []
                if let other = given.first {
                    throw DomainConversionError.unsupported(field: v.path + "." + other, message: "volume source \"\(other)\"")
                }
                throw v.invalid("volume \"\(name)\" has no source")
            }
            guard kinds.count == 1 else { throw v.invalid("volume \"\(name)\" sets more than one source") }
            if [.configMap, .secret, .serviceAccount].contains(kind) { try Self.checkConfigDisk(v, kind: kind, entries: entries) }
            entries[name] = Entry(index: i, node: v, kind: kind)
            order.append(name)
        }
    }

    /// configMap/secret/serviceAccount volumes: names, labels, and KubeVirt's one-serviceAccount rule.
    private static func checkConfigDisk(_ v: SpecNode, kind: VolumeKind, entries: [String: Entry]) throws {
        do {
            _ = try ConfigDiskSource.parse(v.value ?? .null, path: v.path)
        } catch ConfigDiskError.invalidSource(let field, let message) {
            throw DomainConversionError.invalidField(field: field, message: message)
        }
        if kind == .serviceAccount, entries.values.contains(where: { $0.kind == .serviceAccount }) {
            throw v["serviceAccount"].invalid("only one serviceAccount volume is allowed")
        }
    }

    /// Kind of every volume, for callers that prepare host files (`DomainConverter.volumeKinds`).
    var kinds: [String: VolumeKind] { entries.mapValues(\.kind) }
}
