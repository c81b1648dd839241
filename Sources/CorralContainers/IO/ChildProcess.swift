import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starting helper programs (conmon, runc) with exact control over their file
/// descriptors, session and working directory, via posix_spawn.
/// posix_spawn with a clean signal mask and default dispositions (threads of
/// this process block most signals; a child must not inherit that).
public enum ChildProcess {
    /// What a child's fd `target` is connected to.
    public struct FDMapping {
        var source: Int32
        var target: Int32
        public init(source: Int32, target: Int32) { self.source = source; self.target = target }
    }

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    // glibc's GNU extensions are not visible to Swift's Glibc module; look them up at run time.
    private static let addChdir: AddChdir? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }
    private static let addClosefrom: AddClosefrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddClosefrom.self) }
    private static let spawnSetsid: Int32 = 0x80  // POSIX_SPAWN_SETSID in glibc

    /// Spawns `path` with `args` (argv[0] included) and `env`. `fds` wire the child's
    /// descriptors (0, 1, 2 and extras); every other descriptor is closed in the child.
    /// `openControllingTTY` is a pty slave path opened as fd 0/1/2 after setsid (it becomes the controlling terminal).
    public static func spawn(path: String, args: [String], env: [String], fds: [FDMapping], cwd: String? = nil,
                      newSession: Bool = false, controllingTTY: String? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }

        // Move sources above every target first so one mapping cannot clobber another's source.
        let top = (fds.map(\.target).max() ?? 2) + 1
        var staged: [FDMapping] = []
        for (i, m) in fds.enumerated() {
            let tmp = Int32(100 + Int(top) + i)
            posix_spawn_file_actions_adddup2(&actions, m.source, tmp)
            staged.append(FDMapping(source: tmp, target: m.target))
        }
        if let tty = controllingTTY {
            // Opening a terminal as a session leader without O_NOCTTY makes it the controlling terminal.
            posix_spawn_file_actions_addopen(&actions, 0, tty, O_RDWR, 0)
            posix_spawn_file_actions_adddup2(&actions, 0, 1)
            posix_spawn_file_actions_adddup2(&actions, 0, 2)
        }
        for m in staged { posix_spawn_file_actions_adddup2(&actions, m.source, m.target) }
        let keep = max(top, 3)
        if let closefrom = addClosefrom { _ = closefrom(&actions, keep) } else {
            for fd in staged { posix_spawn_file_actions_addclose(&actions, fd.source) }
        }
        if let cwd, let chdir = addChdir { _ = cwd.withCString { chdir(&actions, $0) } }

        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newSession { flags |= spawnSetsid }
        posix_spawnattr_setflags(&attr, Int16(flags))
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attr, &all)

        let cargs = args.map { strdup($0) } + [nil]
        let cenv = env.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) }; cenv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, cargs, cenv)
        guard rc == 0 else { throw ContainersError.system(call: "posix_spawn \(path)", errno: rc) }
        return pid
    }

    /// Waits for `pid` and returns its exit status (128 + signal for a signalled child).
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return decode(status)
    }

    /// Non-blocking wait: the exit status if `pid` has exited.
    static func poll(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        return r == pid ? decode(status) : nil
    }

    static func decode(_ status: Int32) -> Int32 {
        let sig = status & 0x7f
        if sig == 0 { return (status >> 8) & 0xff }
        return 128 + sig
    }

    /// Runs a program to completion and returns its status, stdout and stderr.
    static func run(_ path: String, _ args: [String], env: [String] = defaultEnv, input: [UInt8]? = nil) throws -> (status: Int32, stdout: [UInt8], stderr: [UInt8]) {
        let out = try FD.pipe(), err = try FD.pipe()
        let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer { close(devnull) }
        var stdinFD = devnull
        var inPipe: (r: Int32, w: Int32)?
        if input != nil { inPipe = try FD.pipe(); stdinFD = inPipe!.r }
        let pid: pid_t
        do {
            pid = try spawn(path: path, args: [path] + args, env: env,
                            fds: [FDMapping(source: stdinFD, target: 0), FDMapping(source: out.w, target: 1), FDMapping(source: err.w, target: 2)])
        } catch {
            [out.r, out.w, err.r, err.w].forEach { close($0) }
            if let p = inPipe { close(p.r); close(p.w) }
            throw error
        }
        close(out.w); close(err.w)
        if let p = inPipe {
            close(p.r)
            FD.writeAll(p.w, input!)
            close(p.w)
        }
        let (o, e) = FD.readBoth(out.r, err.r)
        close(out.r); close(err.r)
        return (wait(pid), o, e)
    }

    /// PATH for helpers when the caller gives no environment.
    public static let defaultEnv = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
}
