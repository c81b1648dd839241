import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX file helpers shared by the PKI and kubeconfig writers.
enum FileIO {
    /// The errno text for messages.
    static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    /// Whether a regular file exists at `path`.
    static func fileExists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
    }

    /// The permission bits of `path`, or nil if it cannot be stat'ed.
    static func mode(_ path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & 0o7777
    }

    /// Reads a whole file as UTF-8 text.
    static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PKIError("cannot read \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PKIError("\(path) is not UTF-8 text")
        }
        return text
    }

    /// Creates `path` (and missing parents) with `mode` if it does not exist yet; an existing
    /// directory is left as it is.
    static func ensureDirectory(_ path: String, mode: mode_t) throws {
        var st = stat()
        if stat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw PKIError("\(path) exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true,
                attributes: [.posixPermissions: NSNumber(value: UInt16(mode))])
        } catch {
            throw PKIError("cannot create directory \(path): \(error)")
        }
        // The umask may have removed bits; set exactly what was asked for.
        guard chmod(path, mode) == 0 else { throw PKIError("chmod \(path): \(errnoText())") }
    }

    /// Writes `text` to `path` atomically: a temporary file in the same directory is created with
    /// `mode` (independent of the umask), written, fsync'ed and renamed over `path`.
    static func writeAtomically(_ text: String, to path: String, mode: mode_t) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        let dirForTemp = directory.isEmpty ? "." : directory
        let temp = "\(dirForTemp)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw PKIError("cannot create \(temp): \(errnoText())") }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw PKIError("fchmod \(temp): \(errnoText())") }
            let bytes = Array(text.utf8)
            var written = 0
            while written < bytes.count {
                let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PKIError("write \(temp): \(errnoText())")
                }
                written += n
            }
            guard fsync(fd) == 0 else { throw PKIError("fsync \(temp): \(errnoText())") }
        }
        guard rename(temp, path) == 0 else { throw PKIError("rename \(temp) -> \(path): \(errnoText())") }
        ok = true
    }
}
