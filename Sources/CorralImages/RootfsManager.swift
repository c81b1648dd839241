#if canImport(Glibc)
import Glibc
#endif

/// Mounts and unmounts container root filesystems: overlayfs with the image's shared unpacked
/// layers as lower dirs and the container's own upper/work dirs. Needs root. Idempotent.
public struct RootfsManager: Sendable {
    public let store: ImageStore

    /// A manager over `store`'s unpacked layers.
    public init(store: ImageStore) { self.store = store }

    /// Unpacks the image's layers if needed and mounts the merged rootfs at `containerDir/rootfs`;
    /// returns that path. If it is already mounted, returns it unchanged (keeping the upper dir).
    @discardableResult
    public func mount(image: ImageRecord, containerDir: String) throws -> String {
        let layers = try store.unpackLayers(of: image)
        let empty = store.root + "/layers/empty"
        try FileOps.makeDirectories(empty)
        let plan = try OverlayPlan.plan(layersBottomFirst: layers, containerDir: containerDir, emptyLayer: empty)
        if isMounted(containerDir: containerDir) { return plan.target }
        try FileOps.makeDirectories(containerDir, mode: 0o700)
        for d in [plan.upperDir, plan.workDir, plan.target] {
            if mkdir(d, 0o755) != 0 && errno != EEXIST { throw FileOps.fail("mkdir", d) }
        }
        guard Glibc.mount("overlay", plan.target, "overlay", 0, plan.options) == 0 else {
            let e = errno
            throw ImageError.mount("mount overlay on \(plan.target): \(String(cString: strerror(e))) (options \(plan.options))")
        }
        return plan.target
    }

    /// Unmounts `containerDir/rootfs` if mounted (lazily when busy). The upper dir is kept unless
    /// `removeData`, which deletes the whole container directory.
    public func unmount(containerDir: String, removeData: Bool = false) throws {
        let target = rootfsPath(containerDir: containerDir)
        if isMounted(containerDir: containerDir) {
            if umount2(target, 0) != 0 {
                let e = errno
                guard e == EBUSY, umount2(target, Int32(MNT_DETACH)) == 0 else {
                    throw ImageError.mount("umount \(target): \(String(cString: strerror(e)))")
                }
            }
        }
        if removeData {
            guard !isMounted(containerDir: containerDir) else { throw ImageError.mount("\(target) is still mounted") }
            FileOps.removeTree(containerDir)
        }
    }

    /// Whether `containerDir/rootfs` is a mount point now.
    public func isMounted(containerDir: String) -> Bool {
        let target = FileOps.realPath(rootfsPath(containerDir: containerDir))
        guard let text = try? FileOps.readFile("/proc/self/mountinfo") else { return false }
        return MountInfo.mountPoints(String(decoding: text, as: UTF8.self)).contains(target)
    }

    /// `containerDir/rootfs`.
    public func rootfsPath(containerDir: String) -> String {
        (containerDir.hasSuffix("/") ? String(containerDir.dropLast()) : containerDir) + "/rootfs"
    }
}
