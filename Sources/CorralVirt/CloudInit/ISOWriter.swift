import Foundation

/// Writes an `ISOPlan` as an ISO9660 image (Rock Ridge + Joliet) with genisoimage.
public enum ISOWriter {
    /// Builds the image into a staging file beside `path` and renames it into place,
    /// so a reader never sees a half-written ISO. `mode` and `owner` (uid, gid) are set on the
    /// staging file, so an image holding credentials is never readable by others, not even briefly.
    public static func write(_ plan: ISOPlan, to path: String, mode: mode_t = 0o644, owner: (uid: uid_t, gid: gid_t)? = nil) throws {
        guard let tool = Command.find("genisoimage") else {
            throw CloudInitError.buildFailed("genisoimage not found (apt-get install genisoimage)")
        }
        let fm = FileManager.default
        let target = URL(fileURLWithPath: path)
        let dir = target.deletingLastPathComponent()
        let nonce = UUID().uuidString.prefix(8)
        let staging = dir.appendingPathComponent(".\(target.lastPathComponent).\(nonce).tmp")
        let tree = dir.appendingPathComponent(".\(target.lastPathComponent).\(nonce).d")
        defer {
            try? fm.removeItem(at: tree)
            try? fm.removeItem(at: staging)
        }
        do {
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            try fm.createDirectory(at: tree, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            for file in plan.files {
                let parts = file.path.split(separator: "/")
                guard !parts.isEmpty, !parts.contains(".."), !parts.contains("."), !file.path.hasPrefix("/") else {
                    throw CloudInitError.invalidFileName(file.path)
                }
                let url = tree.appendingPathComponent(file.path)
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                guard fm.createFile(atPath: url.path, contents: Data(file.contents), attributes: [.posixPermissions: 0o600]) else {
                    throw CloudInitError.buildFailed("cannot write \(url.path)")
                }
            }
        } catch let e as CloudInitError { throw e } catch { throw CloudInitError.buildFailed("\(error)") }
        let out = try Command.run(tool, ["-quiet", "-output", staging.path, "-volid", plan.volumeID,
                                         "-joliet", "-joliet-long", "-rock", tree.path])
        guard out.status == 0 else { throw CloudInitError.buildFailed("genisoimage exited \(out.status): \(out.stderr)") }
        if let owner, chown(staging.path, owner.uid, owner.gid) != 0 {
            throw CloudInitError.buildFailed("chown \(staging.path): \(String(cString: strerror(errno)))")
        }
        guard chmod(staging.path, mode) == 0 else {
            throw CloudInitError.buildFailed("chmod \(staging.path): \(String(cString: strerror(errno)))")
        }
        guard rename(staging.path, target.path) == 0 else {
            throw CloudInitError.buildFailed("rename to \(path): \(String(cString: strerror(errno)))")
        }
    }
}
