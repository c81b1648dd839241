import CorralModel
import Foundation

/// OCI runtime status of a container.
public enum RuntimeStatus: String, Equatable, Sendable {
    case created, running, paused, stopped, unknown
}

/// What the driver knows about one container right now.
public struct ContainerState: Equatable, Sendable {
    /// Container id.
    public var id: String
    /// Runtime status (stopped once conmon recorded the exit).
    public var status: RuntimeStatus
    /// Host pid of the container's init process (0 when it is not running).
    public var pid: Int32
    /// Exit status recorded by conmon (128 + signal when killed by one), once the container has exited.
    public var exitCode: Int32?
    /// The container's cgroup hit an OOM kill.
    public var oomKilled: Bool
    /// When the driver started the process.
    public var startedAt: Date?
    /// When conmon wrote the exit file.
    public var finishedAt: Date?

    /// Kubernetes' terminated reason: OOMKilled, Completed or Error (nil while not exited).
    public var reason: String? {
        guard let code = exitCode else { return nil }
        if oomKilled { return "OOMKilled" }
        return code == 0 ? "Completed" : "Error"
    }
}

/// The driver's persistent record of a container, kept in its state dir so a restarted
/// daemon can find bundle and log again.
public struct ContainerRecord: Equatable, Sendable {
    /// Container id.
    public var id: String
    /// Human name given to conmon (`-n`).
    public var name: String
    /// OCI bundle directory.
    public var bundle: String
    /// CRI log file written by conmon.
    public var logPath: String
    /// Created with a terminal.
    public var tty: Bool
    /// Created with a stdin pipe (attach can write).
    public var stdin: Bool
    /// Path of the OCI runtime that created it.
    public var runtime: String
    /// When the driver created it.
    public var createdAt: Date
    /// When the driver started the process.
    public var startedAt: Date?

    var json: JSONValue {
        var v: JSONValue = ["id": .string(id), "name": .string(name), "bundle": .string(bundle), "logPath": .string(logPath),
                            "tty": .bool(tty), "stdin": .bool(stdin), "runtime": .string(runtime),
                            "createdAt": .double(createdAt.timeIntervalSince1970)]
        if let s = startedAt { v["startedAt"] = .double(s.timeIntervalSince1970) }
        return v
    }

    init(id: String, name: String, bundle: String, logPath: String, tty: Bool, stdin: Bool, runtime: String,
         createdAt: Date, startedAt: Date? = nil) {
        self.id = id; self.name = name; self.bundle = bundle; self.logPath = logPath; self.tty = tty
        self.stdin = stdin; self.runtime = runtime; self.createdAt = createdAt; self.startedAt = startedAt
    }

    init?(json v: JSONValue) {
        guard let id = v["id"]?.stringValue, let bundle = v["bundle"]?.stringValue else { return nil }
        func time(_ k: String) -> Date? {
            switch v[k] {
            case .double(let d)?: return Date(timeIntervalSince1970: d)
            case .int(let i)?: return Date(timeIntervalSince1970: Double(i))
            default: return nil
            }
        }
        self.init(id: id, name: v["name"]?.stringValue ?? id, bundle: bundle, logPath: v["logPath"]?.stringValue ?? "",
                  tty: v["tty"]?.boolValue ?? false, stdin: v["stdin"]?.boolValue ?? false,
                  runtime: v["runtime"]?.stringValue ?? "", createdAt: time("createdAt") ?? Date(timeIntervalSince1970: 0),
                  startedAt: time("startedAt"))
    }
}
