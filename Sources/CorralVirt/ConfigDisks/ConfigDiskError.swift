/// Why a configMap, secret or serviceAccount disk could not be planned.
public enum ConfigDiskError: Error, CustomStringConvertible, Equatable {
    /// The volume spec is unusable; `field` is the KubeVirt path (`spec.volumes[1].configMap.name`).
    case invalidSource(field: String, message: String)
    /// The object the volume names does not exist (yet) and the volume is not optional.
    /// `kind` is the kubelet's lower-case word: `configmap`, `secret`, `serviceaccount`.
    case missingObject(volume: String, kind: String, name: String)
    /// A key of the object cannot become a file name on the image.
    case invalidKey(volume: String, key: String)

    /// The volume the error is about (nil for a spec error).
    public var volume: String? {
        switch self {
        case .invalidSource: return nil
        case .missingObject(let v, _, _), .invalidKey(let v, _): return v
        }
    }

    /// True when the error goes away once someone creates the object (retry later, stay Scheduled).
    public var isWaitingForObject: Bool {
        if case .missingObject = self { return true }
        return false
    }

    /// Worded as the kubelet words a failed volume mount, so VM and pod events read alike.
    public var description: String {
        switch self {
        case .invalidSource(let f, let m): return "\(f): \(m)"
        case .missingObject(let v, let k, let n): return "MountVolume.SetUp failed for volume \"\(v)\" : \(k) \"\(n)\" not found"
        case .invalidKey(let v, let k):
            return "MountVolume.SetUp failed for volume \"\(v)\" : key \"\(k)\" cannot be a file name on a config disk (letters, digits, '-', '_', '.' only)"
        }
    }
}
