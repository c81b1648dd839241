/// Why cloud-init or config media could not be produced.
public enum CloudInitError: Error, CustomStringConvertible, Equatable {
    /// The volume spec is unusable (bad base64, no data at all, …); `field` is the KubeVirt path.
    case invalidSource(field: String, message: String)
    /// A file name (ConfigMap/Secret key) that cannot become a file on the ISO.
    case invalidFileName(String)
    /// genisoimage or a file operation failed.
    case buildFailed(String)

    public var description: String {
        switch self {
        case .invalidSource(let f, let m): return "\(f): \(m)"
        case .invalidFileName(let n): return "\"\(n)\" cannot be a file name on a config disk (letters, digits, '-', '_', '.' only)"
        case .buildFailed(let m): return "building config disk failed: \(m)"
        }
    }
}
