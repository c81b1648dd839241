import CorralModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ConmonRuntime {
    /// Current state: the runtime's view (`state`), completed by conmon's exit file and OOM markers.
    public func state(id: String) throws -> ContainerState {
        let rec = try? record(id)
        let paths = ContainerPaths(id: id, bundle: rec?.bundle ?? "", stateRoot: stateRoot)
        let exit = exitCode(id: id)
        var status = RuntimeStatus.unknown
        var pid: Int32 = 0
        let r = try ChildProcess.run(runtime.path, ["--root", runtimeRoot, "state", id])
        if r.status == 0, let v = try? JSONParser.parse(r.stdout) {
            status = RuntimeStatus(rawValue: v["status"]?.stringValue ?? "") ?? .unknown
            pid = Int32(truncatingIfNeeded: v["pid"]?.intValue ?? 0)
        } else if rec == nil && exit == nil {
            throw ContainersError.containerNotFound(id)
        }
        if exit != nil { status = .stopped }
        if status == .stopped { pid = 0 }
        let finished = exit == nil ? nil : (try? FileManager.default.attributesOfItem(atPath: paths.exitFile))?[.modificationDate] as? Date
        return ContainerState(id: id, status: status, pid: pid, exitCode: exit,
                              oomKilled: exit != nil && paths.oomFiles.contains(where: Files.exists),
                              startedAt: rec?.startedAt, finishedAt: finished)
    }

    /// The exit status conmon recorded, nil while the container has not exited.
    public func exitCode(id: String) -> Int32? {
        let file = ContainerPaths(id: id, bundle: "", stateRoot: stateRoot).exitFile
        guard let text = Files.readString(file) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// True while the container's conmon still runs. After the container's
    /// process is reaped there is a moment before conmon writes the exit file;
    /// a live conmon means that file is coming.
    public func monitorAlive(id: String) -> Bool {
        guard let rec = try? record(id) else { return false }
        let paths = ContainerPaths(id: id, bundle: rec.bundle, stateRoot: stateRoot)
        guard let pid = Files.readString(paths.conmonPidFile).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        else { return false }
        return Self.isConmon(pid: pid, id: id)
    }

    /// Sends `signal` to the container's init process (to every process with `all`).
    public func kill(id: String, signal: Int32, all: Bool = false) throws {
        try runtimeCommand(["kill"] + (all ? ["--all"] : []) + [id, String(signal)])
    }

    /// Waits until conmon has recorded the exit (polling its exit file); nil on timeout.
    public func waitForExit(id: String, timeout: TimeInterval) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let code = exitCode(id: id) { return code }
            if Date() >= deadline { return nil }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Graceful stop: `signal` (SIGTERM unless the image names another), up to `grace` seconds,
    /// then SIGKILL to every process. Returns the exit status (143 for a clean SIGTERM death, 137 after SIGKILL).
    @discardableResult
    public func stop(id: String, grace: TimeInterval, signal: Int32 = SIGTERM) async throws -> Int32? {
        if let code = exitCode(id: id) { return code }
        let st = try state(id: id)
        if st.status == .running || st.status == .paused {
            try? kill(id: id, signal: signal)
            if let code = await waitForExit(id: id, timeout: grace) { return code }
        }
        try? kill(id: id, signal: SIGKILL, all: true)
        return await waitForExit(id: id, timeout: 10)
    }

    /// Removes the container: kills what still runs, `runtime delete --force`, waits for its conmon,
    /// then removes the driver's files and those the driver/conmon put in the bundle (the bundle
    /// directory itself only when that leaves it empty, so a rootfs mounted inside is never touched).
    public func delete(id: String) async throws {
        let rec = try? record(id)
        let paths = ContainerPaths(id: id, bundle: rec?.bundle ?? "", stateRoot: stateRoot)
        let conmonPid = Files.readString(paths.conmonPidFile).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        if exitCode(id: id) == nil, let st = try? state(id: id), st.status != .stopped, st.status != .unknown {
            try? kill(id: id, signal: SIGKILL, all: true)
            _ = await waitForExit(id: id, timeout: 10)
        }
        let r = try ChildProcess.run(runtime.path, ["--root", runtimeRoot, "delete", "--force", id])
        let err = String(decoding: r.stderr, as: UTF8.self)
        if r.status != 0 && !err.contains("does not exist") && !err.contains("not exist") {
            throw ContainersError.commandFailed(command: "\(runtime.name) delete \(id)", status: r.status, output: err)
        }
        if let pid = conmonPid { await Self.waitGone(pid: pid, id: id) }
        let fm = FileManager.default
        try? fm.removeItem(atPath: paths.exitFile)
        try? fm.removeItem(atPath: paths.socketLink)
        try? fm.removeItem(atPath: paths.stateDir)
        if rec != nil {
            for f in paths.bundleFiles { try? fm.removeItem(atPath: f) }
            if (try? fm.contentsOfDirectory(atPath: paths.bundle))?.isEmpty == true { try? fm.removeItem(atPath: paths.bundle) }
        }
    }

    /// Waits for conmon `pid` (checked by its command line naming `id`) to exit, killing it after 5 s.
    static func waitGone(pid: Int32, id: String) async {
        for i in 0..<250 {
            guard isConmon(pid: pid, id: id) else { return }
            if i == 249 { Glibc.kill(pid, SIGKILL) }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// True while `pid` is a live (non-zombie) conmon for container `id`.
    public static func isConmon(pid: Int32, id: String) -> Bool {
        guard let stat = Files.readString("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(close, offsetBy: 2)...].first
        if state == "Z" || state == "X" { return false }
        guard let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let args = cmd.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return args.first.map { $0.hasSuffix("conmon") } == true && args.contains(id)
    }

    /// Removes a (pod-level) cgroup directory, in the cgroupfs form used for `cgroupsPath`,
    /// from every hierarchy where it exists and is empty (rmdir never removes a busy cgroup).
    public static func removeCgroup(_ cgroupsPath: String) {
        for d in CgroupLocator.directories(for: cgroupsPath) { rmdir(d) }
    }
}
