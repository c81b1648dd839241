import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process run inside a container with `runtime exec` (kubectl exec). With a
/// tty, runc runs in its own session on a pty we allocate and proxies it to
/// the container's terminal; without one, it gets plain pipes.
public final class ExecSession: @unchecked Sendable {
    /// Output (all of it when `tty`, which merges the streams).
    public let stdout: AsyncStream<[UInt8]>
    /// Error output (finishes at once when `tty`).
    public let stderr: AsyncStream<[UInt8]>
    /// Host pid of the runtime's exec process.
    public let pid: Int32
    /// The session has a terminal.
    public let tty: Bool
    private var stdinFD: Int32
    private let master: Int32
    private let exit = Completion<Int32>()
    private let lock = NSLock()

    init(runtime: OCIRuntime, root: String, id: String, command: [String], tty: Bool, stdin: Bool, size: (cols: UInt16, rows: UInt16)?) throws {
        self.tty = tty
        let (out, outC) = StreamPump.makeStream()
        let (err, errC) = StreamPump.makeStream()
        stdout = out
        stderr = err
        let args = [runtime.path, "--root", root, "exec"] + (tty ? ["--tty"] : []) + [id] + command
        if tty {
            var m: Int32 = 0, s: Int32 = 0
            var name = [CChar](repeating: 0, count: 128)
            var ws = winsize(ws_row: size?.rows ?? 24, ws_col: size?.cols ?? 80, ws_xpixel: 0, ws_ypixel: 0)
            guard openpty(&m, &s, &name, nil, &ws) == 0 else { throw ContainersError.system(call: "openpty", errno: errno) }
            FD.setCloexec(m); FD.setCloexec(s)
            let slavePath = String(cString: name)
            do {
                pid = try ChildProcess.spawn(path: runtime.path, args: args, env: ChildProcess.defaultEnv, fds: [],
                                             newSession: true, controllingTTY: slavePath)
            } catch { close(m); close(s); throw error }
            close(s)
            master = m
            stdinFD = stdin ? dup(m) : -1
            if stdinFD >= 0 { FD.setCloexec(stdinFD) }
            StreamPump.start(fd: dup(m), name: "exec-tty", onChunk: { outC.yield($0) }, onEnd: { outC.finish() })
            errC.finish()
        } else {
            master = -1
            let o = try FD.pipe(), e = try FD.pipe()
            var inPipe: (r: Int32, w: Int32)?
            if stdin { inPipe = try FD.pipe() }
            let devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer { close(devnull) }
            do {
                pid = try ChildProcess.spawn(path: runtime.path, args: args, env: ChildProcess.defaultEnv, fds: [
                    .init(source: inPipe?.r ?? devnull, target: 0), .init(source: o.w, target: 1), .init(source: e.w, target: 2),
                ])
            } catch {
                [o.r, o.w, e.r, e.w].forEach { close($0) }
                if let p = inPipe { close(p.r); close(p.w) }
                throw error
            }
            close(o.w); close(e.w)
            if let p = inPipe { close(p.r) }
            stdinFD = inPipe?.w ?? -1
            StreamPump.start(fd: o.r, name: "exec-out", onChunk: { outC.yield($0) }, onEnd: { outC.finish() })
            StreamPump.start(fd: e.r, name: "exec-err", onChunk: { errC.yield($0) }, onEnd: { errC.finish() })
        }
        let child = pid, done = exit
        let waiter = Thread { done.complete(ChildProcess.wait(child)) }
        waiter.name = "exec-wait"
        waiter.start()
    }

    deinit {
        if stdinFD >= 0 { close(stdinFD) }
        if master >= 0 { close(master) }
    }

    /// Sends bytes to the process's stdin; false when stdin is closed or was not requested.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        lock.lock(); let fd = stdinFD; lock.unlock()
        guard fd >= 0 else { return false }
        return FD.writeAll(fd, bytes)
    }

    /// Closes stdin (EOF for the process; with a tty, sends the terminal's EOF character instead).
    public func closeStdin() {
        lock.lock(); defer { lock.unlock() }
        guard stdinFD >= 0 else { return }
        if tty { _ = FD.writeAll(stdinFD, [4]) }  // ^D: a pty has no half-close
        close(stdinFD)
        stdinFD = -1
    }

    /// Resizes the terminal (no-op without a tty); runc forwards the size on SIGWINCH.
    public func resize(cols: UInt16, rows: UInt16) {
        guard tty, master >= 0 else { return }
        var ws = winsize(ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &ws)
        if exit.current == nil { Glibc.kill(pid, SIGWINCH) }
    }

    /// Signals the exec process (runc forwards it into the container).
    public func signal(_ sig: Int32) {
        if exit.current == nil { Glibc.kill(pid, sig) }
    }

    /// Waits for the process and returns its exit code (128 + signal when killed).
    public func wait() async -> Int32 { await exit.wait() }
}

extension ConmonRuntime {
    /// Runs `command` in running container `id` (kubectl exec). `size` is the initial terminal size.
    public func exec(id: String, command: [String], tty: Bool, stdin: Bool, size: (cols: UInt16, rows: UInt16)? = nil) throws -> ExecSession {
        guard !command.isEmpty else { throw ContainersError.noCommand(container: id) }
        return try ExecSession(runtime: runtime, root: runtimeRoot, id: id, command: command, tty: tty, stdin: stdin, size: size)
    }
}
