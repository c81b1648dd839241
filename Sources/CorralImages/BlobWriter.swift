#if canImport(Glibc)
import Glibc
#endif

/// Streams one blob into the store: bytes go to a temp file under `tmp/` while being hashed, and
/// `commit` renames it to `blobs/sha256/<hex>` only if the digest matches what was expected.
public final class BlobWriter {
    private let store: ImageStore
    private let tempPath: String
    private var fd: Int32
    private var hasher = SHA256()
    /// Bytes written so far.
    public private(set) var count: Int64 = 0

    init(store: ImageStore) throws {
        self.store = store
        var template = Array((store.tmpDir + "/blob-pid\(getpid())-XXXXXX").utf8CString)
        fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FileOps.fail("mkstemp", store.tmpDir) }
        tempPath = String(cString: template)
    }

    deinit { abort() }

    /// Appends bytes.
    public func write(_ raw: UnsafeRawBufferPointer) throws {
        guard raw.count > 0 else { return }
        hasher.update(raw)
        try FileOps.writeAll(fd, raw, path: tempPath)
        count += Int64(raw.count)
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Verifies the content against `expected` (if given) and moves it into place; returns its digest.
    /// On mismatch the temp file is removed and `ImageError.digestMismatch` names `what`.
    @discardableResult
    public func commit(expected: Digest?, what: String) throws -> Digest {
        let actual = Digest(uncheckedHex: hasher.finalizeHex())
        defer { abort() }
        if let expected, expected != actual {
            throw ImageError.digestMismatch(what: what, expected: expected.description, actual: actual.description)
        }
        guard fsync(fd) == 0 else { throw FileOps.fail("fsync", tempPath) }
        fchmod(fd, 0o644)
        let dest = store.blobPath(actual)
        if !FileOps.exists(dest) {
            guard rename(tempPath, dest) == 0 else { throw FileOps.fail("rename", dest) }
        }
        return actual
    }

    /// Discards the temp file (safe to call more than once).
    public func abort() {
        if fd >= 0 {
            close(fd)
            unlink(tempPath)
            fd = -1
        }
    }
}
