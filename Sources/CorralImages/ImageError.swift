/// Every failure of the image store, archive import, layer unpacking, rootfs mounts and registry pulls.
/// Messages name the offending reference, digest, file or archive entry so they can be shown to users
/// as is (e.g. in ErrImagePull events).
public enum ImageError: Error, CustomStringConvertible, Equatable {
    /// An image reference that does not follow the distribution reference grammar.
    case invalidReference(String, reason: String)
    /// A digest string that is not `sha256:<64 lowercase hex>`.
    case invalidDigest(String)
    /// Content whose sha256 differs from the digest that named it.
    case digestMismatch(what: String, expected: String, actual: String)
    /// No image in the store matches the reference.
    case notFound(String)
    /// A blob the store should hold is missing.
    case blobMissing(String)
    /// A manifest, index or config document that cannot be understood.
    case invalidManifest(String)
    /// An archive whose layout is neither oci-layout nor docker-save, or that is inconsistent.
    case invalidArchive(path: String, reason: String)
    /// libarchive reported an error.
    case archive(String)
    /// A layer entry that would escape the layer root or is otherwise unsafe; the layer is refused.
    case unsafeLayerEntry(layer: String, entry: String, reason: String)
    /// A filesystem operation failed.
    case io(op: String, path: String, errno: Int32)
    /// mount/umount failed.
    case mount(String)
    /// The registry answered something unexpected.
    case registry(String)
    /// The registry does not have this manifest (tag or digest) or blob.
    case registryNotFound(what: String, detail: String)
    /// The registry refused our credentials or we have none.
    case unauthorized(String)
    /// The index has no manifest for the wanted platform.
    case noMatchingPlatform(reference: String, platform: String)
    /// Image absent and the pull policy forbids pulling (kubelet's ErrImageNeverPull text).
    case neverPull(String)

    public var description: String {
        switch self {
        case .invalidReference(let r, let why): return "invalid image reference \"\(r)\": \(why)"
        case .invalidDigest(let d): return "invalid digest \"\(d)\": want sha256:<64 hex digits>"
        case .digestMismatch(let what, let e, let a): return "digest mismatch for \(what): expected \(e), got \(a)"
        case .notFound(let r): return "image \"\(r)\" not found"
        case .blobMissing(let d): return "blob \(d) is missing from the image store"
        case .invalidManifest(let why): return "invalid image manifest: \(why)"
        case .invalidArchive(let p, let why): return "cannot import \(p): \(why)"
        case .archive(let msg): return "archive error: \(msg)"
        case .unsafeLayerEntry(let l, let e, let why): return "refusing layer \(l): entry \"\(e)\" \(why)"
        case .io(let op, let p, let e): return "\(op) \(p): \(String(cString: strerror(e)))"
        case .mount(let msg): return msg
        case .registry(let msg): return "registry: \(msg)"
        case .registryNotFound(let what, let detail): return "\(what): not found" + (detail.isEmpty ? "" : " (\(detail))")
        case .unauthorized(let msg): return "unauthorized: \(msg)"
        case .noMatchingPlatform(let r, let p): return "no image for platform \(p) in \(r)"
        case .neverPull(let r): return "Container image \"\(r)\" is not present with pull policy of Never"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
