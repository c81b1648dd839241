import CorralModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs containers under conmon with runc or crun. conmon detaches (it forks
/// and the parent exits), holds the container's stdio, writes the CRI log and
/// the exit file, so containers outlive this process; a new instance pointed
/// at the same directories finds them again with `list()` and `state(id:)`.
/// All state lives in files, so one instance may be used from many threads.
public final class ConmonRuntime: @unchecked Sendable {
    /// The OCI runtime binary in use.
    public let runtime: OCIRuntime
    /// The conmon binary.
    public let conmonPath: String
    /// The runtime's `--root` (its own state: one dir per container).
    public let runtimeRoot: String
    /// The driver's state: containers/ID, exits/, sockets/.
    public let stateRoot: String

    /// A driver using `runtime` and conmon, keeping runtime state in `root` and its own in `stateDir`.
    public init(runtime: OCIRuntime, root: String, stateDir: String, conmonPath: String = HostProbe.which("conmon") ?? "/usr/bin/conmon") {
        self.runtime = runtime
        self.runtimeRoot = root
        self.stateRoot = stateDir
        self.conmonPath = conmonPath
    }

    /// Paths of container `id` (bundle from its record; empty when unknown).
    public func paths(_ id: String) -> ContainerPaths {
        ContainerPaths(id: id, bundle: (try? record(id).bundle) ?? "", stateRoot: stateRoot)
    }

    /// Writes `spec` as BUNDLE/config.json, launches conmon (which runs `runtime create`) and,
    /// when `start` is true, starts the process. Returns the container's host pid.
    @discardableResult
    public func create(id: String, name: String? = nil, bundle: String, spec: JSONValue, logPath: String,
                       options: ConmonOptions = ConmonOptions(), start: Bool = true) throws -> Int32 {
        try Self.checkID(id)
        let paths = ContainerPaths(id: id, bundle: bundle, stateRoot: stateRoot)
        let fm = FileManager.default
        for dir in [bundle, paths.stateDir, "\(stateRoot)/exits", "\(stateRoot)/sockets", runtimeRoot,
                    (logPath as NSString).deletingLastPathComponent] {
            try Files.mkdirs(dir)
        }
        try? fm.removeItem(atPath: paths.exitFile)
        for f in paths.oomFiles { try? fm.removeItem(atPath: f) }
        try Files.write(paths.configFile, spec.serialized())
        var rec = ContainerRecord(id: id, name: name ?? id, bundle: bundle, logPath: logPath, tty: options.tty,
                                  stdin: options.stdin, runtime: runtime.path, createdAt: Date())
        try Files.write(paths.recordFile, rec.json.serialized())

        let sync = try FD.pipe()
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        let log = open(paths.conmonLog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { close(devnull); if log >= 0 { close(log) }; close(sync.r) }
        let args = ConmonCommand.arguments(conmon: conmonPath, runtime: runtime, runtimeRoot: runtimeRoot, paths: paths,
                                           stateRoot: stateRoot, logPath: logPath, name: name ?? id, options: options)
        let env = ChildProcess.defaultEnv + ["TZ=UTC", "_OCI_SYNCPIPE=3"]
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(path: conmonPath, args: [conmonPath] + args, env: env, fds: [
                .init(source: devnull, target: 0), .init(source: devnull, target: 1),
                .init(source: log >= 0 ? log : devnull, target: 2), .init(source: sync.w, target: 3),
            ], cwd: bundle)
        } catch {
            close(sync.w)
            throw error
        }
        close(sync.w)
        let parentStatus = ChildProcess.wait(pid)  // the parent exits right after forking the monitor
        let line = FD.readLine(sync.r, timeout: 60) ?? []
        let (containerPid, message) = Self.parseSync(line)
        guard let containerPid, containerPid > 0 else {
            let conmonErr = (try? String(contentsOfFile: paths.conmonLog, encoding: .utf8)) ?? ""
            throw ContainersError.commandFailed(command: "conmon create \(id)", status: parentStatus,
                                                output: message ?? (conmonErr.isEmpty ? "no answer on the sync pipe" : conmonErr))
        }
        if start {
            try self.start(id: id)
            rec.startedAt = Date()
            try Files.write(paths.recordFile, rec.json.serialized())
        }
        return containerPid
    }

    /// Starts a created container (`runtime start`).
    public func start(id: String) throws {
        try runtimeCommand(["start", id])
        if var rec = try? record(id) {
            rec.startedAt = Date()
            try? Files.write(ContainerPaths(id: id, bundle: rec.bundle, stateRoot: stateRoot).recordFile, rec.json.serialized())
        }
    }

    /// Containers known to the driver or the runtime (for re-adoption after a restart), sorted.
    public func list() throws -> [String] {
        var ids = Set((try? FileManager.default.contentsOfDirectory(atPath: "\(stateRoot)/containers")) ?? [])
        let r = try ChildProcess.run(runtime.path, ["--root", runtimeRoot, "list", "-q"])
        if r.status == 0 {
            for line in String(decoding: r.stdout, as: UTF8.self).split(separator: "\n") where !line.isEmpty { ids.insert(String(line)) }
        }
        return ids.sorted()
    }

    /// The driver's record of `id` (bundle, log path, tty…).
    public func record(_ id: String) throws -> ContainerRecord {
        let file = ContainerPaths(id: id, bundle: "", stateRoot: stateRoot).recordFile
        guard let data = FileManager.default.contents(atPath: file), let v = try? JSONParser.parse([UInt8](data)),
              let rec = ContainerRecord(json: v) else { throw ContainersError.containerNotFound(id) }
        return rec
    }

    /// Runs the OCI runtime with its --root; throws with its stderr on failure.
    @discardableResult
    func runtimeCommand(_ args: [String]) throws -> [UInt8] {
        let r = try ChildProcess.run(runtime.path, ["--root", runtimeRoot] + args)
        guard r.status == 0 else {
            throw ContainersError.commandFailed(command: "\(runtime.name) \(args.joined(separator: " "))", status: r.status,
                                                output: String(decoding: r.stderr, as: UTF8.self))
        }
        return r.stdout
    }

    /// `{"data": N, "message": "…"}` from conmon's sync pipe.
    static func parseSync(_ line: [UInt8]) -> (Int32?, String?) {
        guard let v = try? JSONParser.parse(line.filter { $0 != UInt8(ascii: "\n") }) else { return (nil, nil) }
        return (v["data"]?.intValue.map { Int32(truncatingIfNeeded: $0) }, v["message"]?.stringValue)
    }

    /// Container ids become file names and runtime arguments: keep them tame.
    static func checkID(_ id: String) throws {
        let ok = !id.isEmpty && id.count <= 128 && !id.hasPrefix(".") && !id.hasPrefix("-")
            && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
        guard ok else { throw ContainersError.io(path: id, message: "invalid container id") }
    }
}
