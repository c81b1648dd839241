import Foundation
import NIOConcurrencyHelpers

// DEBUG/TEST SHIM — a command run as a plain host child process (see DebugHostStreams).

/// A child process with pipes, or a pseudo-terminal when `tty`.
final class HostProcessSession: StreamSession, @unchecked Sendable {
    let stdin: (any ByteWriter)?
    let stdout: (any ByteReader)?
    let stderr: (any ByteReader)?
    private let pid: pid_t
    private let terminal: SharedFD?
    private let exit = ExitLatch()

    private init(pid: pid_t, stdin: (any ByteWriter)?, stdout: (any ByteReader)?, stderr: (any ByteReader)?, terminal: SharedFD?) {
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.terminal = terminal
        let exit = self.exit
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let sig = status & 0x7f
            exit.set(sig == 0 ? .exited(Int((status >> 8) & 0xff)) : .exited(128 + Int(sig)))
        }
    }

    func resize(_ size: TerminalSize) async {
        terminal?.withFD { fd in
            var ws = winsize(ws_row: size.height, ws_col: size.width, ws_xpixel: 0, ws_ypixel: 0)
            _ = ioctl(fd, UInt(TIOCSWINSZ), &ws)
        }
    }

    func wait() async -> ExitStatus { await exit.wait() }

    func detach() async {
        // Like a terminal hangup, to the whole process group; what ignores it is killed shortly after.
        let pid = self.pid, exit = self.exit
        kill(-pid, SIGHUP)
        Task {
            try? await Task.sleep(nanoseconds: 2_000_000_000)
            if !exit.isSet { kill(-pid, SIGKILL) }
        }
        await (stdout as? FDReader)?.abandon()
        await (stderr as? FDReader)?.abandon()
        await stdin?.closeWrite()
    }

    /// Spawns `argv` (searched in PATH) with the requested stdio.
    static func spawn(_ argv: [String], stdio: StdioOptions) throws -> HostProcessSession {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Children start with default signal handling and nothing blocked, whatever the daemon set.
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        // Own session (and process group), so that detach can signal the whole group.
        let flags: Int16 = 0x04 | 0x08 | 0x80  // POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSID
        var env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"]
        var childEnds: [Int32] = []
        var stdinW: (any ByteWriter)?, stdoutR: (any ByteReader)?, stderrR: (any ByteReader)?
        var terminal: SharedFD?

        if stdio.tty {
            // posix_openpt/unlockpt/ptsname are not imported into Swift: use the ioctls (x86-64/arm64 values).
            let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
            var unlock: Int32 = 0, ptyNumber: UInt32 = 0
            guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0, ioctl(master, UInt(0x8004_5430), &ptyNumber) == 0 else {
                throw StreamError.failed("openpty failed: errno \(errno)")
            }
            let name = "/dev/pts/\(ptyNumber)"
            // In the new session, opening the slave makes it the controlling terminal.
            posix_spawn_file_actions_addopen(&actions, 0, name, O_RDWR, 0)
            posix_spawn_file_actions_adddup2(&actions, 0, 1)
            posix_spawn_file_actions_adddup2(&actions, 0, 2)
            env.append("TERM=xterm")
            let users = 1 + (stdio.stdin ? 1 : 0) + 1  // reader, writer, this session (resize)
            let shared = SharedFD(master, users: users)
            terminal = shared
            stdoutR = FDReader(shared)
            if stdio.stdin { stdinW = FDWriter(shared) { fd in _ = Glibc.write(fd, [4], 1) } }  // ^D
        } else {
            func pipePair() throws -> (Int32, Int32) {
                var fds: [Int32] = [0, 0]
                guard pipe(&fds) == 0 else { throw StreamError.failed("pipe failed: errno \(errno)") }
                _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
                _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
                return (fds[0], fds[1])
            }
            if stdio.stdin {
                let (r, w) = try pipePair()
                posix_spawn_file_actions_adddup2(&actions, r, 0)
                childEnds.append(r)
                stdinW = FDWriter(SharedFD(w, users: 1)) { _ in }
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            for (target, wanted) in [(Int32(1), stdio.stdout), (Int32(2), stdio.stderr)] {
                if wanted {
                    let (r, w) = try pipePair()
                    posix_spawn_file_actions_adddup2(&actions, w, target)
                    childEnds.append(w)
                    let reader = FDReader(SharedFD(r, users: 1))
                    if target == 1 { stdoutR = reader } else { stderrR = reader }
                } else {
                    posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
                }
            }
        }
        posix_spawnattr_setflags(&attr, flags)
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        let rc = posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, cEnv)
        for fd in childEnds { close(fd) }
        if rc != 0 {
            terminal?.release()
            throw StreamError.failed("exec: \"\(argv[0])\": \(String(cString: strerror(rc)))")
        }
        return HostProcessSession(pid: pid, stdin: stdinW, stdout: stdoutR, stderr: stderrR, terminal: terminal)
    }

    deinit { terminal?.release() }
}

/// A one-shot value that async waiters can await.
final class ExitLatch: @unchecked Sendable {
    private let state = NIOLockedValueBox<(ExitStatus?, [CheckedContinuation<ExitStatus, Never>])>((nil, []))

    func set(_ value: ExitStatus) {
        let waiters = state.withLockedValue { s -> [CheckedContinuation<ExitStatus, Never>] in
            s.0 = value
            defer { s.1 = [] }
            return s.1
        }
        for w in waiters { w.resume(returning: value) }
    }

    var isSet: Bool { state.withLockedValue { $0.0 != nil } }

    func wait() async -> ExitStatus {
        await withCheckedContinuation { c in
            let ready = state.withLockedValue { s -> ExitStatus? in
                if let v = s.0 { return v }
                s.1.append(c)
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }
}
