import CorralAPI
import CorralContainers
import CorralModel
import Foundation

/// The node's side of `kubectl logs/exec/attach/port-forward`: CRI log files,
/// `runc exec`, conmon's attach socket, and TCP into the pod's IP.
final class RuntimeNodeStreams: NodeStreams, @unchecked Sendable {
    let backend: RuntimePodBackend
    let vms: VMBackend?

    init(backend: RuntimePodBackend, vms: VMBackend?) {
        self.backend = backend
        self.vms = vms
    }

    /// The container's current (or previous) attempt, or a Status error in kubelet's words.
    func attempt(_ t: ContainerRef, previous: Bool = false) throws -> ContainerAttempt {
        let attempts = backend.records(t.uid).attempts(t.container)
        if previous {
            guard attempts.count > 1 else {
                throw APIError.badRequest("previous terminated container \"\(t.container)\" in pod \"\(t.pod)\" not found")
            }
            return attempts[attempts.count - 2]
        }
        guard let last = attempts.last else {
            throw APIError.badRequest("container \"\(t.container)\" in pod \"\(t.pod)\" is waiting to start: ContainerCreating")
        }
        return last
    }

    func running(_ t: ContainerRef) throws -> ContainerAttempt {
        let a = try attempt(t)
        guard case .running = backend.state(of: a) else {
            throw APIError.badRequest("container \(t.container) is not running (pod \(t.pod))")
        }
        return a
    }

    func logs(_ target: ContainerRef, options: PodLogOptions) async throws -> any ByteReader {
        // A VM launcher pod's log is the guest's serial console.
        if let vms, let vmiUID = try? String(contentsOfFile: backend.sandboxes.podDir(target.uid) + "/vmi", encoding: .utf8) {
            let path = vms.serialLog(vmiUID.trimmingCharacters(in: .whitespacesAndNewlines))
            let dir = backend.sandboxes.podDir(target.uid)
            return RawLogFile(path: path, tailLines: options.tailLines.map(Int.init), limitBytes: options.limitBytes.map(Int.init),
                              follow: options.follow, isRunning: { FileManager.default.fileExists(atPath: dir) })
        }
        let a = try attempt(target, previous: options.previous)
        let driver = backend.driver
        return CRILogFile(path: a.logPath, options: options, isRunning: { driver.exitCode(id: a.id) == nil })
    }

    func exec(_ target: ContainerRef, command: [String], stdio: StdioOptions) async throws -> any StreamSession {
        let a = try running(target)
        let s = try backend.driver.exec(id: a.id, command: command, tty: stdio.tty, stdin: stdio.stdin)
        return ProcessStreamSession(stdout: s.stdout, stderr: stdio.tty ? nil : s.stderr, wantStdin: stdio.stdin,
                                    write: { s.write($0) }, closeStdin: { s.closeStdin() },
                                    resize: { s.resize(cols: $0.width, rows: $0.height) },
                                    wait: { .exited(Int(await s.wait())) }, detach: {})
    }

    func attach(_ target: ContainerRef, stdio: StdioOptions) async throws -> any StreamSession {
        let a = try running(target)
        let s = try backend.driver.attach(id: a.id)
        let driver = backend.driver
        return ProcessStreamSession(stdout: s.stdout, stderr: stdio.tty ? nil : s.stderr, wantStdin: stdio.stdin,
                                    write: { s.write($0) }, closeStdin: { s.closeStdin() },
                                    resize: { s.resize(cols: $0.width, rows: $0.height) },
                                    wait: { .exited(Int(driver.exitCode(id: a.id) ?? 0)) }, detach: { s.close() })
    }

    func portForward(_ pod: PodRef, port: UInt16) async throws -> any ByteChannel {
        let ipFile = backend.sandboxes.podDir(pod.uid) + "/ip"
        guard let ip = try? String(contentsOfFile: ipFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) else {
            throw APIError.badRequest("pod \(pod.pod) has no network yet")
        }
        let fd = await Task.detached { ProbeTarget.connect(host: ip, port: Int(port), timeout: 5) }.value
        guard let fd else {
            throw APIError.internalError("error forwarding port \(port) to pod \(pod.uid): failed to connect to \(ip):\(port)")
        }
        return SocketChannel(fd: fd)
    }
}

/// Reads an AsyncStream one chunk at a time as a `ByteReader` (one reader at a time).
final class StreamReader: ByteReader, @unchecked Sendable {
    private var iterator: AsyncStream<[UInt8]>.AsyncIterator
    init(_ s: AsyncStream<[UInt8]>) { iterator = s.makeAsyncIterator() }
    func read() async throws -> [UInt8]? {
        while let chunk = await iterator.next() { if !chunk.isEmpty { return chunk } }
        return nil
    }
}

/// Feeds a process's stdin.
struct StdinWriter: ByteWriter {
    let writeBytes: @Sendable ([UInt8]) -> Bool
    let close: @Sendable () -> Void
    func write(_ bytes: [UInt8]) async throws {
        if !writeBytes(bytes) { throw StreamError.closed }
    }
    func closeWrite() async { close() }
}

/// An exec or attach session over a process's stdio.
final class ProcessStreamSession: StreamSession, @unchecked Sendable {
    let stdin: (any ByteWriter)?
    let stdout: (any ByteReader)?
    let stderr: (any ByteReader)?
    let resizeTo: @Sendable (TerminalSize) -> Void
    let waitExit: @Sendable () async -> ExitStatus
    let detachNow: @Sendable () -> Void

    init(stdout: AsyncStream<[UInt8]>, stderr: AsyncStream<[UInt8]>?, wantStdin: Bool,
         write: @escaping @Sendable ([UInt8]) -> Bool, closeStdin: @escaping @Sendable () -> Void,
         resize: @escaping @Sendable (TerminalSize) -> Void, wait: @escaping @Sendable () async -> ExitStatus,
         detach: @escaping @Sendable () -> Void) {
        self.stdin = wantStdin ? StdinWriter(writeBytes: write, close: closeStdin) : nil
        self.stdout = StreamReader(stdout)
        self.stderr = stderr.map { StreamReader($0) }
        self.resizeTo = resize
        self.waitExit = wait
        self.detachNow = detach
    }

    func resize(_ size: TerminalSize) async { resizeTo(size) }
    func wait() async -> ExitStatus { await waitExit() }
    func detach() async { detachNow() }
}

/// A connected TCP socket as a `ByteChannel`; blocking calls run off the cooperative pool.
final class SocketChannel: ByteChannel, @unchecked Sendable {
    let fd: Int32
    private let lock = NSLock()
    private var closed = false

    init(fd: Int32) { self.fd = fd }
    deinit { if !closed { Glibc.close(fd) } }

    func read() async throws -> [UInt8]? {
        let fd = self.fd
        return await Task.detached { () -> [UInt8]? in
            var buf = [UInt8](repeating: 0, count: 32 * 1024)
            let n = recv(fd, &buf, buf.count, 0)
            return n > 0 ? Array(buf[0..<n]) : nil
        }.value
    }

    func write(_ bytes: [UInt8]) async throws {
        let fd = self.fd
        let ok = await Task.detached { () -> Bool in
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return false }
                off += n
            }
            return true
        }.value
        if !ok { throw StreamError.closed }
    }

    func closeWrite() async { shutdown(fd, Int32(SHUT_WR)) }

    func close() async {
        lock.withLock {
            if !closed { closed = true; shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd) }
        }
    }
}

/// A plain text log (a VM's serial console) as a ByteReader: optional tail
/// and byte limit, and follow while `isRunning`.
final class RawLogFile: ByteReader, @unchecked Sendable {
    let path: String
    let follow: Bool
    let isRunning: @Sendable () -> Bool
    private var offset: UInt64 = 0
    private var pending: [UInt8]?
    private var remaining: Int?

    init(path: String, tailLines: Int?, limitBytes: Int?, follow: Bool, isRunning: @escaping @Sendable () -> Bool) {
        self.path = path
        self.follow = follow
        self.isRunning = isRunning
        remaining = limitBytes
        let data = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        offset = UInt64(data.count)
        var start = 0
        if let n = tailLines {
            var lines = 0
            var i = data.count - 1
            if i >= 0 && data[i] == 10 { i -= 1 }
            while i >= 0 { if data[i] == 10 { lines += 1; if lines == n { break } }; i -= 1 }
            start = max(i + 1, 0)
        }
        pending = Array(data[start...])
    }

    func read() async throws -> [UInt8]? {
        if let p = pending { pending = nil; if !p.isEmpty { return cap(p) } }
        if remaining == 0 { return nil }
        while follow {
            if let h = FileHandle(forReadingAtPath: path) {
                try? h.seek(toOffset: offset)
                let d = h.readDataToEndOfFile()
                try? h.close()
                if !d.isEmpty { offset += UInt64(d.count); return cap([UInt8](d)) }
            }
            if !isRunning() { return nil }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        return nil
    }

    private func cap(_ b: [UInt8]) -> [UInt8] {
        guard let r = remaining else { return b }
        let out = Array(b.prefix(r))
        remaining = r - out.count
        return out
    }
}
