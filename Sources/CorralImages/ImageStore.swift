#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The node-local, content-addressed image store rooted at `DATA_DIR/images`:
///
///     blobs/sha256/<hex>     manifests, configs and layer blobs, verified on write
///     layers/sha256/<hex>/   unpacked layer trees (keyed by layer blob digest), overlay lower dirs
///     images.json            the image index (references -> manifest, config, layers)
///     tmp/                   partial blobs and unpacks, emptied at start
///
/// Safe to share between threads and processes: index updates hold an flock on `images.lock`.
public final class ImageStore: @unchecked Sendable {
    /// Canonical absolute root directory.
    public let root: String
    let blobDir: String
    let layerDir: String
    let tmpDir: String
    private let indexPath: String
    private let lockPath: String
    /// Blobs being written by imports/pulls of this process (kept by GC).
    let pinned = PinSet()

    /// Opens (creating if needed) the store at `root` and clears leftovers in `tmp/`.
    public init(root: String) throws {
        try FileOps.makeDirectories(root, mode: 0o700)
        // Resolve symlinks once so later checks on layer paths see real directories only.
        self.root = FileOps.realPath(root)
        blobDir = self.root + "/blobs/sha256"
        layerDir = self.root + "/layers/sha256"
        tmpDir = self.root + "/tmp"
        indexPath = self.root + "/images.json"
        lockPath = self.root + "/images.lock"
        for d in [blobDir, layerDir, tmpDir] { try FileOps.makeDirectories(d, mode: 0o700) }
        for leftover in FileOps.list(tmpDir) where !isLockedTemp(leftover) { FileOps.removeTree(tmpDir + "/" + leftover) }
    }

    /// A live process (maybe this one, through another `ImageStore`) may own a temp entry; ours
    /// are named with the writer's pid.
    private func isLockedTemp(_ name: String) -> Bool {
        guard let r = name.range(of: "-pid"), let pid = Int32(name[r.upperBound...].prefix { $0.isNumber }) else { return false }
        return pid == getpid() || kill(pid, 0) == 0
    }

    // MARK: blobs

    /// Where the blob with `digest` lives (whether or not it exists).
    public func blobPath(_ digest: Digest) -> String { blobDir + "/" + digest.hex }

    /// Whether the store holds the blob.
    public func hasBlob(_ digest: Digest) -> Bool { FileOps.exists(blobPath(digest)) }

    /// Starts streaming a new blob; call `commit` on the writer.
    public func makeBlobWriter() throws -> BlobWriter { try BlobWriter(store: self) }

    /// Stores `bytes` as a blob, verifying them against `expected` when given.
    @discardableResult
    public func writeBlob(_ bytes: [UInt8], expected: Digest? = nil, what: String = "blob") throws -> Digest {
        if let expected, hasBlob(expected), Digest.of(bytes) == expected { return expected }
        let w = try makeBlobWriter()
        try w.write(bytes)
        return try w.commit(expected: expected, what: what)
    }

    /// Reads a whole blob (for manifests and configs).
    public func readBlob(_ digest: Digest) throws -> [UInt8] {
        guard hasBlob(digest) else { throw ImageError.blobMissing(digest.description) }
        return try FileOps.readFile(blobPath(digest))
    }

    // MARK: index

    private struct IndexFile: Codable { var images: [ImageRecord] }

    /// Runs `body` with the index loaded, under an exclusive flock; saves it if `body` changed it.
    func withIndex<T>(_ body: (inout [ImageRecord]) throws -> T) throws -> T {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileOps.fail("open", lockPath) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 { if errno != EINTR { throw FileOps.fail("flock", lockPath) } }
        var images: [ImageRecord] = []
        if FileOps.exists(indexPath) {
            let bytes = try FileOps.readFile(indexPath)
            do { images = try Self.decoder.decode(IndexFile.self, from: Data(bytes)).images } catch {
                throw ImageError.invalidManifest("image index \(indexPath) is corrupt: \(error)")
            }
        }
        let before = images
        let result = try body(&images)
        if images != before {
            try FileOps.writeFileAtomically(indexPath, Array(try Self.encoder.encode(IndexFile(images: images))), mode: 0o600)
        }
        return result
    }

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        return e
    }()
    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    /// All images, sorted by their first reference (unnamed images last, by ID).
    public func list() throws -> [ImageRecord] {
        try withIndex { $0 }.sorted { ($0.references.first ?? "~" + $0.id.hex) < ($1.references.first ?? "~" + $1.id.hex) }
    }

    /// Finds the image named by `reference`: a reference (normalised as docker does), `repo@digest`,
    /// or an image ID / manifest digest (`sha256:…`, or a unique hex prefix of at least 12 characters).
    public func resolve(_ reference: String) throws -> ImageRecord? {
        let images = try withIndex { $0 }
        return ImageStore.match(reference, in: images)
    }

    /// The pure lookup behind `resolve`.
    static func match(_ reference: String, in images: [ImageRecord]) -> ImageRecord? {
        let bare = reference.hasPrefix("sha256:") ? String(reference.dropFirst(7)) : reference
        if bare.count >= 12, bare.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            let hits = images.filter { $0.id.hex.hasPrefix(bare) || $0.manifestDigest.hex.hasPrefix(bare) }
            if hits.count == 1 { return hits[0] }
        }
        guard let ref = try? ImageReference(parsing: reference) else { return nil }
        if let d = ref.digest {
            let byDigest = images.filter { $0.manifestDigest == d || $0.indexDigest == d }
            return byDigest.first { $0.references.contains { r in r.hasPrefix(ref.repository + ":") || r.hasPrefix(ref.repository + "@") } }
                ?? byDigest.first
        }
        let name = ref.description
        return images.first { $0.references.contains(name) }
    }

    /// Adds or updates an image, making `references` point at it (and away from any other image).
    /// Images that lose their last reference this way are dropped (their blobs stay until GC).
    @discardableResult
    public func record(manifestDigest: Digest, manifest: ImageManifest, config: ImageConfig,
                       references: [String], source: String) throws -> ImageRecord {
        let layers = manifest.layers.enumerated().map { i, d in
            LayerRecord(digest: d.digest, diffID: i < config.diffIDs.count ? config.diffIDs[i] : nil, size: d.size, mediaType: d.mediaType)
        }
        let size = manifest.config.size + manifest.layers.reduce(0) { $0 + $1.size }
        return try withIndex { images in
            let refs = Set(references)
            var orphaned = Set<Digest>()
            for i in images.indices where images[i].references.contains(where: refs.contains) {
                images[i].references.removeAll { refs.contains($0) }
                if images[i].references.isEmpty { orphaned.insert(images[i].manifestDigest) }
            }
            var rec: ImageRecord
            if let i = images.firstIndex(where: { $0.manifestDigest == manifestDigest }) {
                rec = images.remove(at: i)
                rec.references = (rec.references + references.filter { !rec.references.contains($0) })
            } else {
                rec = ImageRecord(references: references, manifestDigest: manifestDigest, configDigest: manifest.config.digest,
                                  layers: layers, size: size, created: Date(), source: source)
            }
            // Images whose last name moved to this one are gone (unnamed imports stay).
            images.removeAll { orphaned.contains($0.manifestDigest) && $0.manifestDigest != manifestDigest }
            images.append(rec)
            return rec
        }
    }

    /// Notes the index a stored manifest was picked from (for repo digests); returns the updated image.
    @discardableResult
    public func setIndexDigest(_ index: Digest, of manifest: Digest) throws -> ImageRecord? {
        try withIndex { images in
            guard let i = images.firstIndex(where: { $0.manifestDigest == manifest }) else { return nil }
            images[i].indexDigest = index
            return images[i]
        }
    }

    /// Removes `reference` from its image; when no reference is left, or `reference` is an image ID,
    /// the image itself goes. Returns the affected image. Blobs are freed by `garbageCollect`.
    @discardableResult
    public func remove(_ reference: String) throws -> ImageRecord {
        try withIndex { images in
            guard let rec = ImageStore.match(reference, in: images),
                  let i = images.firstIndex(where: { $0.manifestDigest == rec.manifestDigest }) else {
                throw ImageError.notFound(reference)
            }
            let name = (try? ImageReference(parsing: reference))?.description
            if let name, images[i].references.contains(name) {
                images[i].references.removeAll { $0 == name }
            } else {
                images[i].references = []
            }
            if images[i].references.isEmpty { images.remove(at: i) }
            return rec
        }
    }

    /// The decoded config of a stored image.
    public func config(of image: ImageRecord) throws -> ImageConfig {
        try ImageConfig.parse(try readBlob(image.configDigest))
    }

    /// The decoded manifest of a stored image.
    public func manifest(of image: ImageRecord) throws -> ImageManifest {
        guard case .manifest(let m) = try ManifestDocument.parse(try readBlob(image.manifestDigest)) else {
            throw ImageError.invalidManifest("\(image.manifestDigest) is an index, not a manifest")
        }
        return m
    }
}
