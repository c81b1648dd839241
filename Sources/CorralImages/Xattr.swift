#if canImport(Glibc)
import Glibc
#endif

/// Extended attributes on paths without following symlinks. Glibc's Swift module does not export
/// <sys/xattr.h>, so the libc symbols are looked up once at run time.
enum Xattr {
    private typealias SetFn = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32
    private typealias GetFn = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int

    private static let setFn: SetFn? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lsetxattr").map { unsafeBitCast($0, to: SetFn.self) }
    private static let getFn: GetFn? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "lgetxattr").map { unsafeBitCast($0, to: GetFn.self) }

    /// lsetxattr(2); throws `ImageError.io` naming the path.
    static func set(_ path: String, name: String, value: [UInt8]) throws {
        guard let setFn else { throw ImageError.io(op: "lsetxattr unavailable", path: path, errno: ENOSYS) }
        let rc = value.withUnsafeBytes { setFn(path, name, $0.baseAddress, value.count, 0) }
        guard rc == 0 else { throw FileOps.fail("setxattr \(name)", path) }
    }

    /// lgetxattr(2); nil if absent or unreadable.
    static func get(_ path: String, name: String) -> [UInt8]? {
        guard let getFn else { return nil }
        var buf = [UInt8](repeating: 0, count: 256)
        let n = buf.withUnsafeMutableBytes { getFn(path, name, $0.baseAddress, 256) }
        return n >= 0 ? Array(buf[0..<n]) : nil
    }
}
