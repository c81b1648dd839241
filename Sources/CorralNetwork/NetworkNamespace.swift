import CNetlink
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Named network namespaces, compatible with `ip netns`: each is a bind mount of an nsfs
/// file at /run/netns/NAME. The caller's own thread never changes namespace: work inside
/// a namespace runs on a dedicated, short-lived thread (`run(inNamespace:)`).
public enum NetworkNamespace {
    /// Where named namespaces live (the iproute2 convention).
    public static let runDirectory = "/run/netns"

    private static let MS_BIND: UInt = 4096, MS_REC: UInt = 16384, MS_SHARED: UInt = 1 << 20
    private static let MNT_DETACH: Int32 = 2

    /// Path of namespace `name`'s file.
    public static func path(_ name: String) -> String { runDirectory + "/" + name }

    /// Whether `name` exists as a mounted namespace file (a left-over empty file does not count).
    public static func exists(_ name: String) -> Bool {
        validName(name) && corral_is_nsfs(path(name)) == 1
    }

    /// Names of all namespaces under /run/netns, sorted.
    public static func list() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runDirectory)) ?? []
        return names.filter { exists($0) }.sorted()
    }

    /// Creates namespace `name` like `ip netns add` (new netns on a dedicated thread, bind-mounted
    /// onto /run/netns/NAME, which is made a shared mount point). Idempotent: an existing one is kept;
    /// an unmounted left-over file from a crash is reused.
    public static func create(_ name: String) throws {
        guard validName(name) else { throw NetworkError.namespace(op: "create", name: name, errno: EINVAL) }
        if exists(name) { return }
        try prepareRunDirectory()
        let file = path(name)
        let fd = open(file, O_RDONLY | O_CREAT | O_CLOEXEC, 0)
        guard fd >= 0 else { throw NetworkError.namespace(op: "create", name: name, errno: errno) }
        close(fd)
        let rc: Int32 = onFreshThread {
            let r = corral_unshare_net()
            if r != 0 { return r }
            // thread-self, not self: only this thread is in the new namespace.
            return corral_mount("/proc/thread-self/ns/net", file, MS_BIND)
        }
        if rc != 0 {
            unlink(file)
            throw NetworkError.namespace(op: "create", name: name, errno: -rc)
        }
    }

    /// Deletes namespace `name` (lazy unmount + unlink, like `ip netns delete`). Missing is fine.
    /// The namespace itself disappears once no process or open fd still holds it.
    public static func delete(_ name: String) throws {
        guard validName(name) else { throw NetworkError.namespace(op: "delete", name: name, errno: EINVAL) }
        let file = path(name)
        let u = corral_umount(file, MNT_DETACH)
        if u != 0 && u != -EINVAL && u != -ENOENT { throw NetworkError.namespace(op: "umount", name: name, errno: -u) }
        if unlink(file) != 0 && errno != ENOENT { throw NetworkError.namespace(op: "unlink", name: name, errno: errno) }
    }

    /// Runs `body` on a dedicated thread that has joined namespace `name`, waits for it, and
    /// returns its result or rethrows its error. `body` must be synchronous: sockets it opens
    /// (netlink, TCP) stay bound to that namespace; the thread is discarded afterwards.
    public static func run<T>(inNamespace name: String, _ body: () throws -> T) throws -> T {
        guard validName(name) else { throw NetworkError.noSuchNamespace(name) }
        let fd = open(path(name), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw NetworkError.noSuchNamespace(name) }
            throw NetworkError.namespace(op: "open", name: name, errno: errno)
        }
        defer { close(fd) }
        let result: Result<T, Error> = withoutActuallyEscaping(body) { body in
            onFreshThread {
                let r = corral_setns_net(fd)
                if r != 0 { return .failure(NetworkError.namespace(op: "setns", name: name, errno: -r)) }
                return Result { try body() }
            }
        }
        return try result.get()
    }

    /// Makes /run/netns exist and be a shared mount point (what iproute2 does), so namespace
    /// mounts propagate to mount namespaces created later (e.g. containers' `ip netns exec`).
    private static func prepareRunDirectory() throws {
        if mkdir(runDirectory, 0o755) != 0 && errno != EEXIST {
            throw NetworkError.namespace(op: "mkdir", name: runDirectory, errno: errno)
        }
        var r = corral_mount("", runDirectory, MS_SHARED | MS_REC)
        if r == -EINVAL {
            // Not a mount point yet: bind it onto itself, then retry.
            r = corral_mount(runDirectory, runDirectory, MS_BIND | MS_REC)
            if r == 0 { r = corral_mount("", runDirectory, MS_SHARED | MS_REC) }
        }
        if r != 0 { throw NetworkError.namespace(op: "mount --make-shared", name: runDirectory, errno: -r) }
    }

    /// A namespace name usable as a file name under /run/netns.
    static func validName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 255 && name != "." && name != ".." && !name.contains("/")
    }
}

/// Runs `work` on a new OS thread and waits for it. Used whenever a thread's namespace
/// changes, so that the changed thread never runs anything else.
func onFreshThread<T>(_ work: @escaping () -> T) -> T {
    let box = ThreadBox(work)
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.value = box.work!()
        box.work = nil  // drop the caller's closure before the caller resumes
        done.signal()
    }
    thread.start()
    done.wait()
    return box.value!
}

/// Carries a closure and its result across the thread boundary in `onFreshThread`.
private final class ThreadBox<T>: @unchecked Sendable {
    var value: T?
    var work: (() -> T)?
    init(_ work: @escaping () -> T) { self.work = work }
}
