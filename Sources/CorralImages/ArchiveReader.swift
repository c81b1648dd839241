import CArchive
#if canImport(Glibc)
import Glibc
#endif

/// File types as libarchive reports them (the AE_IF* macros do not import into Swift).
enum EntryType: UInt32 {
    case regular = 0o100000, symlink = 0o120000, socket = 0o140000, character = 0o020000
    case block = 0o060000, directory = 0o040000, fifo = 0o010000
}

/// A streaming reader over one archive, wrapping libarchive's read API. Entries are visited in
/// order; the data of the current entry is read with `readData` before moving on.
final class ArchiveReader {
    let handle: OpaquePointer
    let name: String
    private var source: AnyObject?

    /// Opens `path` as a tar (optionally compressed with any filter libarchive knows).
    init(path: String) throws {
        name = path
        handle = archive_read_new()
        archive_read_support_format_tar(handle)
        archive_read_support_filter_all(handle)
        guard archive_read_open_filename(handle, path, 65536) == ARCHIVE_OK else {
            let msg = ArchiveReader.message(handle)
            throw ImageError.invalidArchive(path: path, reason: msg)
        }
    }

    /// Opens the decompressed byte stream of `path` as one raw entry (used to hash layer diffIDs).
    init(rawDecompressed path: String) throws {
        name = path
        handle = archive_read_new()
        archive_read_support_format_raw(handle)
        archive_read_support_filter_all(handle)
        guard archive_read_open_filename(handle, path, 65536) == ARCHIVE_OK else {
            let msg = ArchiveReader.message(handle)
            throw ImageError.archive("\(path): \(msg)")
        }
    }

    /// Reads a plain (uncompressed) tar from `source`, which feeds bytes on demand.
    init(tarFrom source: ByteSource, name: String) throws {
        self.name = name
        self.source = source
        handle = archive_read_new()
        archive_read_support_format_tar(handle)
        let ctx = Unmanaged.passUnretained(source).toOpaque()
        let rc = archive_read_open(handle, ctx, nil, { _, ctx, out in
            let src = Unmanaged<ByteSource>.fromOpaque(ctx!).takeUnretainedValue()
            return src.next(out!)
        }, nil)
        guard rc == ARCHIVE_OK else {
            let msg = ArchiveReader.message(handle)
            throw ImageError.archive("\(name): \(msg)")
        }
    }

    // Also runs when an init throws (all properties are set by then), so inits never free.
    deinit { archive_read_free(handle) }

    static func message(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "unknown libarchive error"
    }

    /// Advances to the next entry; nil at the end of the archive.
    func next() throws -> OpaquePointer? {
        var entry: OpaquePointer?
        let rc = archive_read_next_header(handle, &entry)
        if rc == ARCHIVE_EOF { return nil }
        if rc == ARCHIVE_OK || rc == ARCHIVE_WARN { return entry }
        throw ImageError.archive("\(name): \(ArchiveReader.message(handle))")
    }

    /// Streams the current entry's data to `body` in chunks.
    func readData(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buf: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        var expected: la_int64_t = 0
        while true {
            let rc = archive_read_data_block(handle, &buf, &size, &offset)
            if rc == ARCHIVE_EOF { return }
            guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN else {
                throw ImageError.archive("\(name): \(ArchiveReader.message(handle))")
            }
            // Sparse entries: fill holes with zeros so hashes see the logical content.
            if offset > expected {
                let zeros = [UInt8](repeating: 0, count: Int(offset - expected))
                try zeros.withUnsafeBytes(body)
            }
            if let buf, size > 0 { try body(UnsafeRawBufferPointer(start: buf, count: size)) }
            expected = offset + la_int64_t(size)
        }
    }

    /// Reads the whole current entry, refusing more than `limit` bytes.
    func readAll(limit: Int) throws -> [UInt8] {
        var out = [UInt8]()
        try readData { chunk in
            guard out.count + chunk.count <= limit else { throw ImageError.archive("\(name): entry larger than \(limit) bytes") }
            out += chunk
        }
        return out
    }
}

/// Pull-style byte source for `ArchiveReader(tarFrom:)`: hands libarchive the next chunk.
class ByteSource {
    /// Sets `out` to the next chunk and returns its length (0 at end, -1 on error).
    func next(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int { 0 }
}

/// Entry accessors with Swift types.
enum Entry {
    static func path(_ e: OpaquePointer) -> String {
        archive_entry_pathname(e).map { String(cString: $0) } ?? ""
    }
    static func type(_ e: OpaquePointer) -> EntryType? { EntryType(rawValue: UInt32(archive_entry_filetype(e))) }
    static func symlinkTarget(_ e: OpaquePointer) -> String? { archive_entry_symlink(e).map { String(cString: $0) } }
    static func hardlinkTarget(_ e: OpaquePointer) -> String? { archive_entry_hardlink(e).map { String(cString: $0) } }
    static func size(_ e: OpaquePointer) -> Int64 { archive_entry_size(e) }
}
