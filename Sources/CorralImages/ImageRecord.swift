import Foundation

/// One layer of a stored image: the blob as distributed and the digest of its uncompressed tar.
public struct LayerRecord: Codable, Hashable, Sendable {
    /// Digest of the blob as stored (compressed or not).
    public var digest: Digest
    /// Digest of the uncompressed tar (from the config's rootfs.diff_ids).
    public var diffID: Digest?
    /// Bytes of the blob.
    public var size: Int64
    /// The layer media type from the manifest (gzip, zstd or plain tar).
    public var mediaType: String?
}

/// One image in the node's store: its names, manifest, config and layers (bottom first).
public struct ImageRecord: Codable, Hashable, Sendable {
    /// Normalised references (`domain/path:tag` or `domain/path@digest`) naming this image.
    public var references: [String]
    /// Digest of the image manifest (for this platform).
    public var manifestDigest: Digest
    /// Digest of the config blob; also the image ID.
    public var configDigest: Digest
    /// Layers, bottom first.
    public var layers: [LayerRecord]
    /// Bytes of config plus layer blobs.
    public var size: Int64
    /// When the image entered this store.
    public var created: Date
    /// Where it came from: `import:<file>` or `pull:<registry>`.
    public var source: String
    /// The multi-arch index the manifest was picked from, when pulled through one.
    public var indexDigest: Digest?

    /// The image ID as docker and crictl show it: the config digest.
    public var id: Digest { configDigest }

    /// `repository@manifestDigest` for each named repository, as kubelet reports in `imageID`.
    public var repoDigests: [String] {
        var seen = Set<String>()
        return references.compactMap { r in
            guard let ref = try? ImageReference(parsing: r), seen.insert(ref.repository).inserted else { return nil }
            return ref.repository + "@" + (indexDigest ?? manifestDigest).description
        }
    }
}
