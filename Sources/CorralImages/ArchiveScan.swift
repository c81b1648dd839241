import CArchive

/// What one pass over an image archive found: small metadata documents kept in memory, and every
/// other regular file streamed into the blob store (verified against its name when it is
/// `blobs/sha256/<hex>`), mapped from archive path to digest.
struct ArchiveScan {
    /// `index.json`, `oci-layout`, `manifest.json`, `repositories` contents.
    var metadata: [String: [UInt8]] = [:]
    /// Archive path (normalised, no leading `./`) -> digest of its content.
    var files: [String: Digest] = [:]
    /// Archive path -> link target path (symlinks resolved relative to the entry, hard links as is).
    var links: [String: String] = [:]
    /// Blobs this scan added to the store (to be removed again if unused).
    var newBlobs: Set<Digest> = []

    static let metadataNames: Set<String> = ["index.json", "oci-layout", "manifest.json", "repositories"]

    /// The digest stored for `path`, following links inside the archive.
    func digest(of path: String) -> Digest? {
        var p = ArchiveScan.normalise(path)
        for _ in 0..<16 {
            if let d = files[p] { return d }
            guard let t = links[p] else { return nil }
            p = t
        }
        return nil
    }

    /// Strips `./` and empty components; resolves `..` lexically (paths are only used as map keys).
    static func normalise(_ path: String) -> String {
        var out: [Substring] = []
        for c in path.split(separator: "/") where c != "." {
            if c == ".." { _ = out.popLast() } else { out.append(c) }
        }
        return out.joined(separator: "/")
    }

    /// Reads the archive at `path` once, streaming content into `store`.
    static func scan(path: String, into store: ImageStore) throws -> ArchiveScan {
        let reader = try ArchiveReader(path: path)
        var scan = ArchiveScan()
        do {
            while let entry = try reader.next() {
                let name = normalise(Entry.path(entry))
                if let target = Entry.hardlinkTarget(entry) {
                    scan.links[name] = normalise(target)
                    continue
                }
                switch Entry.type(entry) {
                case .symlink?:
                    let target = Entry.symlinkTarget(entry) ?? ""
                    let dir = name.split(separator: "/").dropLast().joined(separator: "/")
                    scan.links[name] = normalise(target.hasPrefix("/") ? target : dir + "/" + target)
                case .regular?:
                    if metadataNames.contains(name) {
                        scan.metadata[name] = try reader.readAll(limit: 16 << 20)
                        continue
                    }
                    var expected: Digest?
                    if name.hasPrefix("blobs/sha256/") {
                        expected = Digest(hex: String(name.dropFirst(13)))
                        guard expected != nil else { continue }
                    }
                    let existed = expected.map { store.hasBlob($0) } ?? false
                    let writer = try store.makeBlobWriter()
                    try reader.readData { try writer.write($0) }
                    let d = try writer.commit(expected: expected, what: "archive entry \(name)")
                    scan.files[name] = d
                    store.pinned.pin([d])
                    if !existed { scan.newBlobs.insert(d) }
                default:
                    continue
                }
            }
        } catch {
            scan.discardNewBlobs(store)
            store.pinned.unpin(Array(scan.files.values))
            throw error
        }
        return scan
    }

    /// Deletes blobs this scan added, except `keeping`.
    func discardNewBlobs(_ store: ImageStore, keeping: Set<Digest> = []) {
        for d in newBlobs where !keeping.contains(d) { FileOps.removeTree(store.blobPath(d)) }
    }
}
