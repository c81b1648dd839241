import Foundation

/// Finds the directories a runc `cgroupsPath` (cgroupfs form) maps to in every
/// mounted hierarchy. runc places an absolute path below each hierarchy's root
/// and a relative one below the cgroup of the process that runs it.
public enum CgroupLocator {
    /// Directories for `cgroupsPath`, from mountinfo and /proc/self/cgroup text (pure).
    public static func directories(for cgroupsPath: String, mountinfo: String, selfCgroup: String) -> [String] {
        guard !cgroupsPath.split(separator: "/").contains("..") else { return [] }
        var own: [String: String] = [:]  // controller list ("" for v2) → own path
        for line in selfCgroup.split(separator: "\n") {
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if f.count == 3 { own[String(f[1])] = String(f[2]) }
        }
        var out: [String] = []
        for line in mountinfo.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let mountPoint = String(left[4])
            let key: String
            switch right[0] {
            case "cgroup2": key = ""
            case "cgroup":
                let opts = right[2].split(separator: ",").map(String.init)
                let known = ["rw", "ro", "nosuid", "nodev", "noexec", "relatime", "clone_children", "xattr", "nsdelegate"]
                let controllers = opts.filter { !known.contains($0) && !$0.hasPrefix("release_agent") }
                // /proc/self/cgroup lists a hierarchy's controllers in the kernel's order; compare as sets.
                key = own.keys.first { Set($0.split(separator: ",").map(String.init)) == Set(controllers) } ?? controllers.joined(separator: ",")
            default: continue
            }
            let base = cgroupsPath.hasPrefix("/") ? "" : (own[key] ?? "/")
            let joined = [mountPoint, base, cgroupsPath].map { $0.split(separator: "/").joined(separator: "/") }.filter { !$0.isEmpty }.joined(separator: "/")
            out.append("/" + joined)
        }
        return out
    }

    /// Directories for `cgroupsPath` on this host, as seen by this process.
    public static func directories(for cgroupsPath: String) -> [String] {
        directories(for: cgroupsPath, mountinfo: Files.readString("/proc/self/mountinfo") ?? "",
                    selfCgroup: Files.readString("/proc/self/cgroup") ?? "")
    }
}
