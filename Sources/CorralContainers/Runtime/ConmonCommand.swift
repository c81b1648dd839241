/// Where the driver keeps one container's files.
public struct ContainerPaths: Equatable, Sendable {
    /// Container id.
    public let id: String
    /// The OCI bundle (config.json, pid files; conmon's ctl/winsz fifos, attach socket and oom marker).
    public let bundle: String
    /// The driver's per-container directory (record.json, conmon's persist dir with exit/oom files, conmon.log).
    public let stateDir: String
    /// conmon's exit file (`--exit-dir`/ID).
    public let exitFile: String
    /// conmon's symlink to the bundle under `--socket-dir-path`.
    public let socketLink: String

    /// Paths for `id` under the driver's `stateRoot`.
    public init(id: String, bundle: String, stateRoot: String) {
        self.id = id
        self.bundle = bundle
        stateDir = "\(stateRoot)/containers/\(id)"
        exitFile = "\(stateRoot)/exits/\(id)"
        socketLink = "\(stateRoot)/sockets/\(id)"
    }

    /// The runtime spec.
    public var configFile: String { bundle + "/config.json" }
    /// Written by the runtime: the container's host pid.
    public var containerPidFile: String { bundle + "/container.pid" }
    /// Written by conmon: its own pid.
    public var conmonPidFile: String { bundle + "/conmon.pid" }
    /// SOCK_SEQPACKET attach socket (short path through the socket-dir symlink).
    public var attachSocket: String { socketLink + "/attach" }
    /// Control fifo: "1 ROWS COLS\n" resizes the terminal, "2 0 0\n" reopens the log.
    public var ctlFifo: String { bundle + "/ctl" }
    /// The driver's `ContainerRecord`.
    public var recordFile: String { stateDir + "/record.json" }
    /// conmon's own stderr (start-up errors).
    public var conmonLog: String { stateDir + "/conmon.log" }
    /// Files conmon writes when the container's cgroup hit an OOM kill.
    public var oomFiles: [String] { [stateDir + "/oom", bundle + "/oom"] }
    /// Files the driver or conmon create inside the bundle (removed on delete).
    public var bundleFiles: [String] { [configFile, containerPidFile, conmonPidFile, ctlFifo, bundle + "/winsz", bundle + "/attach", bundle + "/oom"] }
}

/// Options of one conmon launch.
public struct ConmonOptions: Equatable, Sendable {
    /// Give the process a terminal (conmon -t).
    public var tty: Bool
    /// Keep a stdin pipe open for attach.
    public var stdin: Bool
    /// `stdinOnce: false`: stdin stays open when an attached client leaves.
    public var leaveStdinOpen: Bool
    /// Rotate the log when it exceeds this size (conmon truncates); nil for unlimited.
    public var logSizeMax: Int64?
    /// Options for a launch.
    public init(tty: Bool = false, stdin: Bool = false, leaveStdinOpen: Bool = false, logSizeMax: Int64? = nil) {
        self.tty = tty; self.stdin = stdin; self.leaveStdinOpen = leaveStdinOpen; self.logSizeMax = logSizeMax
    }
}

/// The conmon command line (pure), per conmon 2.1's flags: API version 1,
/// k8s-file logging, exit/persist dirs, socket dir, and the runtime's --root.
public enum ConmonCommand {
    /// argv (without argv[0]) for creating container `paths.id` with `runtime`.
    public static func arguments(conmon: String, runtime: OCIRuntime, runtimeRoot: String, paths: ContainerPaths,
                                 stateRoot: String, logPath: String, name: String, options: ConmonOptions) -> [String] {
        var a = [
            "--api-version", "1",
            "-c", paths.id, "-u", paths.id, "-n", name,
            "-r", runtime.path, "--runtime-arg", "--root=\(runtimeRoot)",
            "-b", paths.bundle,
            "-p", paths.containerPidFile, "-P", paths.conmonPidFile,
            "-l", "k8s-file:\(logPath)",
            "--exit-dir", "\(stateRoot)/exits",
            "--persist-dir", paths.stateDir,
            "--socket-dir-path", "\(stateRoot)/sockets",
            "--log-level", "error",
        ]
        if options.tty { a.append("-t") }
        if options.stdin { a.append("-i") }
        if options.stdin && options.leaveStdinOpen { a.append("--leave-stdin-open") }
        if let max = options.logSizeMax { a += ["--log-size-max", String(max)] }
        return a
    }
}
