/// The overlayfs mount for one container, computed without touching the system.
public struct OverlayPlan: Equatable, Sendable {
    /// Where the merged root filesystem is mounted: `containerDir/rootfs`.
    public var target: String
    /// `containerDir/upper`, the container's writable layer.
    public var upperDir: String
    /// `containerDir/work`, overlayfs scratch space.
    public var workDir: String
    /// Lower directories, top layer first (overlayfs order).
    public var lowerDirs: [String]

    /// The `-o` options for mount(2) with type `overlay`.
    public var options: String {
        "lowerdir=" + lowerDirs.joined(separator: ":") + ",upperdir=" + upperDir + ",workdir=" + workDir
    }

    /// overlayfs takes options from one page.
    public static let maxOptionsLength = 4095

    /// Plans the overlay for layer directories given bottom first (as manifests list them).
    /// `emptyLayer` stands in when the image has no layers, since overlayfs needs a lower dir.
    public static func plan(layersBottomFirst: [String], containerDir: String, emptyLayer: String) throws -> OverlayPlan {
        let dir = containerDir.hasSuffix("/") ? String(containerDir.dropLast()) : containerDir
        let lowers = layersBottomFirst.isEmpty ? [emptyLayer] : Array(layersBottomFirst.reversed())
        let plan = OverlayPlan(target: dir + "/rootfs", upperDir: dir + "/upper", workDir: dir + "/work", lowerDirs: lowers)
        for p in lowers + [plan.upperDir, plan.workDir] where p.contains(":") || p.contains(",") || p.contains("\\") {
            throw ImageError.mount("overlay path \(p) contains ':', ',' or '\\', which overlayfs options cannot carry")
        }
        guard plan.options.utf8.count <= maxOptionsLength else {
            throw ImageError.mount("overlay options for \(lowers.count) layers are \(plan.options.utf8.count) bytes, over overlayfs's \(maxOptionsLength)")
        }
        return plan
    }
}

/// Reads mount points out of /proc/self/mountinfo text (pure, for `RootfsManager.isMounted`).
public enum MountInfo {
    /// The mount points listed, with mountinfo's octal escapes (`\040` for space) decoded.
    public static func mountPoints(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            return fields.count > 4 ? unescape(String(fields[4])) : nil
        }
    }

    static func unescape(_ s: String) -> String {
        var out: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            if u[i] == 92, i + 3 < u.count, let v = UInt8(String(decoding: u[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v); i += 4
            } else {
                out.append(u[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
