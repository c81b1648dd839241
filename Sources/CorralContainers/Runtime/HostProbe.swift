import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads host facts from the running system (the side-effect half of `HostFacts`).
public enum HostProbe {
    /// cgroup layout of this process's mount namespace (from /proc/self/mountinfo).
    public static func cgroupMode() -> CgroupMode {
        cgroupMode(mountinfo: (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "")
    }

    /// cgroup layout from mountinfo text: cgroup2 at `root` → unified; cgroup2 at `root/unified`
    /// (or anywhere below root beside v1 controllers) → hybrid; else v1.
    public static func cgroupMode(mountinfo: String, root: String = "/sys/fs/cgroup") -> CgroupMode {
        var v2At: [String] = []
        var hasV1 = false
        for line in mountinfo.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, let fstype = right.first else { continue }
            let mountPoint = String(left[4])
            guard mountPoint == root || mountPoint.hasPrefix(root + "/") else { continue }
            if fstype == "cgroup2" { v2At.append(mountPoint) } else if fstype == "cgroup" { hasV1 = true }
        }
        if v2At.contains(root) { return .unified }
        if hasV1 && !v2At.isEmpty { return .hybrid }
        return .v1
    }

    /// runc and crun binaries found in `searchPath`.
    public static func availableRuntimes(searchPath: [String] = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]) -> [OCIRuntime] {
        var out: [OCIRuntime] = []
        for name in ["runc", "crun"] {
            if let dir = searchPath.first(where: { access("\($0)/\(name)", X_OK) == 0 }) { out.append(OCIRuntime(name: name, path: "\(dir)/\(name)")) }
        }
        return out
    }

    /// Path of an executable named `name` in the search path, if any.
    public static func which(_ name: String, searchPath: [String] = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]) -> String? {
        searchPath.map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }

    /// Host facts: architecture, cgroup mode, memory capacity (from /proc/meminfo), RLIMIT_NOFILE hard limit.
    public static func hostFacts() -> HostFacts {
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let arch = ["x86_64": "amd64", "aarch64": "arm64"][machine] ?? machine
        var mem: Int64 = 0
        if let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kb = Int64(line.split(separator: " ").dropFirst().first ?? "") {
            mem = kb * 1024
        }
        var rl = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &rl)
        let nofile = Int64(min(UInt64(rl.rlim_max), 1_048_576))
        return HostFacts(arch: arch, cgroupMode: cgroupMode(), memoryCapacity: mem, devices: devices(), nofile: nofile)
    }

    /// Character and block devices under /dev (what privileged containers get), skipping
    /// /dev/pts, /dev/shm, /dev/mqueue and the console.
    public static func devices(root: String = "/dev") -> [DeviceNode] {
        var out: [DeviceNode] = []
        func scan(_ dir: String) {
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() {
                let path = dir + "/" + name
                if ["/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/console", "/dev/ptmx", "/dev/fd"].contains(path) { continue }
                var st = stat()
                guard lstat(path, &st) == 0 else { continue }
                let kind = st.st_mode & S_IFMT
                if kind == S_IFDIR { scan(path); continue }
                guard kind == S_IFCHR || kind == S_IFBLK else { continue }
                let dev = UInt64(st.st_rdev)
                let major = Int64(((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff)))
                let minor = Int64((dev & 0xff) | ((dev >> 12) & ~UInt64(0xff)))
                out.append(DeviceNode(path: path, type: kind == S_IFCHR ? "c" : "b", major: major, minor: minor,
                                      fileMode: Int64(st.st_mode & 0o7777), uid: Int64(st.st_uid), gid: Int64(st.st_gid)))
            }
        }
        scan(root)
        return out
    }
}
