import CorralModel
import Foundation

/// Puts a pod's planned volumes on disk under DATA/pods/UID/volumes and
/// answers where each one lives, for the containers' bind mounts.
struct VolumeMaterializer {
    let podDir: String
    let claimsDir: String

    enum Failure: Error, CustomStringConvertible {
        case hostPath(String)
        case io(String)
        var description: String {
            switch self {
            case .hostPath(let m), .io(let m): return m
            }
        }
    }

    /// Creates/refreshes every volume; returns volume name → host path.
    func materialize(_ volumes: [(name: String, source: VolumeSource)], namespace: String) throws -> [String: String] {
        var paths: [String: String] = [:]
        let fm = FileManager.default
        for (name, source) in volumes {
            let dir = "\(podDir)/volumes/\(name)"
            switch source {
            case .emptyDir(let memory, let limit):
                try mkdir(dir, mode: 0o777)
                if memory && !Mounts.isMountPoint(dir) {
                    let size = limit.map { "size=\($0)" } ?? "size=64m"
                    try Mounts.mount("tmpfs", at: dir, type: "tmpfs", options: "mode=1777,\(size)")
                }
                paths[name] = dir
            case .hostPath(let path, let type):
                paths[name] = try hostPath(path, type: type)
            case .files(let files):
                // Written into a fresh directory then swapped in, so a container
                // never sees a half-written set (the kubelet's atomic writer idea).
                try mkdir(dir, mode: 0o755)
                let staging = "\(dir)/..data.tmp"
                try? fm.removeItem(atPath: staging)
                try mkdir(staging, mode: 0o755)
                for f in files {
                    guard !f.path.hasPrefix("/"), !f.path.split(separator: "/").contains("..") else {
                        throw Failure.io("volume \(name): item path \(f.path) must be relative and may not contain '..'")
                    }
                    let target = "\(staging)/\(f.path)"
                    try mkdir((target as NSString).deletingLastPathComponent, mode: 0o755)
                    guard fm.createFile(atPath: target, contents: Data(f.content), attributes: [.posixPermissions: f.mode]) else {
                        throw Failure.io("volume \(name): cannot write \(f.path)")
                    }
                }
                // Replace the visible files: remove old entries, move new ones in.
                for old in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where old != "..data.tmp" {
                    try? fm.removeItem(atPath: "\(dir)/\(old)")
                }
                for new in (try? fm.contentsOfDirectory(atPath: staging)) ?? [] {
                    try fm.moveItem(atPath: "\(staging)/\(new)", toPath: "\(dir)/\(new)")
                }
                try? fm.removeItem(atPath: staging)
                paths[name] = dir
            case .persistentVolumeClaim(let claim, _):
                let d = "\(claimsDir)/\(namespace)/\(claim)"
                try mkdir(d, mode: 0o777)
                paths[name] = d
            }
        }
        return paths
    }

    /// hostPath with the kubelet's `type` checks.
    func hostPath(_ path: String, type: String) throws -> String {
        var isDir: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
        switch type {
        case "DirectoryOrCreate":
            if !exists { try mkdir(path, mode: 0o755) } else if !isDir.boolValue { throw Failure.hostPath("hostPath type check failed: \(path) is not a directory") }
        case "Directory":
            guard exists && isDir.boolValue else { throw Failure.hostPath("hostPath type check failed: \(path) is not a directory") }
        case "FileOrCreate":
            if !exists { FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]) }
        case "File":
            guard exists && !isDir.boolValue else { throw Failure.hostPath("hostPath type check failed: \(path) is not a file") }
        case "Socket", "CharDevice", "BlockDevice":
            guard exists else { throw Failure.hostPath("hostPath type check failed: \(path) does not exist") }
        default:
            break
        }
        return path
    }

    func mkdir(_ path: String, mode: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
    }

    /// Unmounts tmpfs volumes and removes the pod's volume directory.
    func removeAll() {
        let base = "\(podDir)/volumes"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
            let d = "\(base)/\(name)"
            if Mounts.isMountPoint(d) { Mounts.unmount(d) }
        }
        try? FileManager.default.removeItem(atPath: base)
    }
}

/// mount(2)/umount2(2) and a /proc/self/mounts check.
enum Mounts {
    static func mount(_ source: String, at target: String, type: String, options: String) throws {
        if Glibc.mount(source, target, type, 0, options) != 0 {
            throw VolumeMaterializer.Failure.io("mount \(type) on \(target): \(String(cString: strerror(errno)))")
        }
    }

    static func unmount(_ target: String) {
        _ = umount2(target, Int32(MNT_DETACH))
    }

    static func isMountPoint(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first.map(String.init) == path }
    }
}
