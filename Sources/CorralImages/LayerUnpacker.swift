import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// Extracts one layer blob into an empty directory, applying `LayerEntryPolicy` and refusing any
/// entry that would be written through a symlink. Runs as root so owners, modes, times, device
/// nodes and xattrs are preserved; whiteouts become overlayfs whiteouts.
struct LayerUnpacker {
    let blobPath: String
    let dest: String
    let layerName: String
    let expectedDiffID: Digest?

    static let flags: Int32 = ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR
        | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT

    /// Unpacks the blob; on any error the caller discards `dest`.
    func run() throws {
        let source = try HashingSource(path: blobPath)
        let reader = try ArchiveReader(tarFrom: source, name: layerName)
        let writer = archive_write_disk_new()!
        defer { archive_write_free(writer) }
        archive_write_disk_set_options(writer, LayerUnpacker.flags)
        var opaqueDirs: [[String]] = []
        while let entry = try reader.next() {
            let name = Entry.path(entry)
            let action: LayerEntryAction
            switch LayerEntryPolicy.action(name: name, hardlinkTarget: Entry.hardlinkTarget(entry)) {
            case .failure(let e): throw named(e)
            case .success(let a): action = a
            }
            switch action {
            case .skip:
                continue
            case .opaque(let dir):
                try checkNoSymlinks(dir, entry: name, includeLast: true)
                opaqueDirs.append(dir)
            case .whiteout(let dir, let hidden):
                try checkNoSymlinks(dir, entry: name, includeLast: true)
                try makeWhiteout(dir + [hidden], entry: name)
            case .hardlink(let path, let target):
                try checkNoSymlinks(path, entry: name, includeLast: false)
                try checkNoSymlinks(target, entry: name, includeLast: false, verb: "would link through")
                guard FileOps.exists(absolute(target)) else {
                    throw fail(name, "is a hard link to \(target.joined(separator: "/")), which is not in the layer")
                }
                clearFinalSymlink(path)
                archive_entry_copy_hardlink(entry, absolute(target))
                archive_entry_copy_pathname(entry, absolute(path))
                try write(entry, reader: reader, writer: writer, name: name)
            case .extract(let path):
                try checkNoSymlinks(path, entry: name, includeLast: false)
                clearFinalSymlink(path)
                stripOverlayXattrs(entry)
                archive_entry_copy_pathname(entry, absolute(path))
                try write(entry, reader: reader, writer: writer, name: name)
            }
        }
        guard archive_write_close(writer) == ARCHIVE_OK else {
            throw ImageError.archive("\(layerName): \(ArchiveReader.message(writer))")
        }
        for dir in opaqueDirs {
            let p = absolute(dir)
            if !FileOps.exists(p) { try FileOps.makeDirectories(p) }
            try Xattr.set(p, name: "trusted.overlay.opaque", value: Array("y".utf8))
        }
        try source.finish(expected: expectedDiffID, layer: layerName)
    }

    private func absolute(_ parts: [String]) -> String {
        parts.isEmpty ? dest : dest + "/" + parts.joined(separator: "/")
    }

    private func fail(_ entry: String, _ why: String) -> ImageError {
        .unsafeLayerEntry(layer: layerName, entry: entry, reason: why)
    }

    private func named(_ e: ImageError) -> ImageError {
        if case .unsafeLayerEntry(_, let entry, let why) = e { return fail(entry, why) }
        return e
    }

    /// Refuses the entry if any existing parent (and the path itself when `includeLast`) is a symlink.
    private func checkNoSymlinks(_ parts: [String], entry: String, includeLast: Bool, verb: String = "would be written through") throws {
        var p = dest
        let walk = includeLast ? parts[...] : parts.dropLast()
        for c in walk {
            p += "/" + c
            var st = stat()
            guard lstat(p, &st) == 0 else { return }
            if (st.st_mode & S_IFMT) == S_IFLNK {
                throw fail(entry, "\(verb) the symlink \(p.dropFirst(dest.count + 1))")
            }
        }
    }

    /// A symlink at the final component is replaced, never followed.
    private func clearFinalSymlink(_ parts: [String]) {
        guard !parts.isEmpty else { return }
        let p = absolute(parts)
        var st = stat()
        if lstat(p, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK { unlink(p) }
    }

    private func makeWhiteout(_ parts: [String], entry: String) throws {
        let p = absolute(parts)
        try FileOps.makeDirectories(absolute(Array(parts.dropLast())))
        FileOps.removeTree(p)
        guard mknod(p, S_IFCHR | 0o000, 0) == 0 else { throw FileOps.fail("mknod whiteout", p) }
    }

    /// Drops `trusted.overlay.*` xattrs: a layer must not steer overlayfs (redirects, metacopy).
    private func stripOverlayXattrs(_ entry: OpaquePointer) {
        var kept: [(String, [UInt8])] = []
        var dropped = false
        guard archive_entry_xattr_reset(entry) > 0 else { return }
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            let n = name.map { String(cString: $0) } ?? ""
            if n.hasPrefix("trusted.overlay.") { dropped = true; continue }
            kept.append((n, value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []))
        }
        guard dropped else { return }
        archive_entry_xattr_clear(entry)
        for (n, v) in kept { v.withUnsafeBytes { archive_entry_xattr_add_entry(entry, n, $0.baseAddress, v.count) } }
    }

    private func write(_ entry: OpaquePointer, reader: ArchiveReader, writer: OpaquePointer, name: String) throws {
        let rc = archive_write_header(writer, entry)
        guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN else {
            throw fail(name, "could not be written: \(ArchiveReader.message(writer))")
        }
        if Entry.size(entry) > 0 {
            var buf: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            while true {
                let r = archive_read_data_block(reader.handle, &buf, &size, &offset)
                if r == ARCHIVE_EOF { break }
                guard r == ARCHIVE_OK || r == ARCHIVE_WARN else { throw ImageError.archive("\(layerName): \(ArchiveReader.message(reader.handle))") }
                guard archive_write_data_block(writer, buf, size, offset) >= 0 else {
                    throw fail(name, "could not be written: \(ArchiveReader.message(writer))")
                }
            }
        }
        guard archive_write_finish_entry(writer) >= ARCHIVE_WARN else {
            throw fail(name, "could not be finished: \(ArchiveReader.message(writer))")
        }
    }
}

/// Feeds the decompressed layer stream to the tar reader while hashing it, so the diffID is checked
/// in the same pass that unpacks.
final class HashingSource: ByteSource {
    private let raw: ArchiveReader
    private var hasher = SHA256()
    private var buffer = UnsafeMutableRawPointer.allocate(byteCount: 65536, alignment: 16)
    private var failed: String?

    init(path: String) throws {
        raw = try ArchiveReader(rawDecompressed: path)
        guard try raw.next() != nil else { throw ImageError.archive("\(path): empty layer") }
    }

    deinit { buffer.deallocate() }

    override func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        let n = archive_read_data(raw.handle, buffer, 65536)
        if n < 0 { failed = ArchiveReader.message(raw.handle); return -1 }
        hasher.update(UnsafeRawBufferPointer(start: buffer, count: n))
        out.pointee = UnsafeRawPointer(buffer)
        return n
    }

    /// Reads what the tar reader left (end-of-archive padding) and checks the diffID.
    func finish(expected: Digest?, layer: String) throws {
        var out: UnsafeRawPointer?
        while next(&out) > 0 {}
        if let failed { throw ImageError.archive("\(layer): \(failed)") }
        let actual = Digest(uncheckedHex: hasher.finalizeHex())
        if let expected, expected != actual {
            throw ImageError.digestMismatch(what: "uncompressed layer \(layer) (diffID)", expected: expected.description, actual: actual.description)
        }
    }
}
