import CorralContainers
import CorralImages
import CorralModel
import Foundation

extension RuntimePodBackend {
    /// The container runtime's view of an image config.
    static func runtimeImageConfig(_ c: CorralImages.ImageConfig) -> CorralContainers.ImageConfig {
        CorralContainers.ImageConfig(env: c.env, entrypoint: c.entrypoint ?? [], cmd: c.cmd ?? [], workingDir: c.workingDir,
                                     user: c.user, stopSignal: c.stopSignal)
    }

    /// Everything the OCI spec builder needs for one container.
    func specInput(pod: JSONValue, container: JSONValue, image: CorralContainers.ImageConfig, rootfs: String,
                   sandbox: SandboxInfo, id: String) async throws -> ContainerSpecInput {
        let ns = pod[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let refs = ReferencedObjects(pod)
        var cms: [String: JSONValue] = [:]
        var secrets: [String: JSONValue] = [:]
        for n in refs.configMaps { if let o = try? await api.objects.get(api.configMaps, namespace: ns, name: n) { cms[n] = o } }
        for n in refs.secrets { if let o = try? await api.objects.get(api.secrets, namespace: ns, name: n) { secrets[n] = o } }
        var podWithIP = pod
        podWithIP.set(path: ["status", "podIP"], to: .string(sandbox.podIP))
        let sources = EnvSources(configMaps: cms, secrets: secrets, podIPs: [sandbox.podIP], hostIPs: [config.hostIP], nodeName: config.nodeName)
        let env = try EnvResolver.resolve(pod: podWithIP, container: container, sources: sources).env
        let passwd = PasswdParser.passwd((try? String(contentsOfFile: rootfs + "/etc/passwd", encoding: .utf8)) ?? "")
        let groups = PasswdParser.group((try? String(contentsOfFile: rootfs + "/etc/group", encoding: .utf8)) ?? "")
        let user = try UserResolver.resolve(pod: pod, container: container, imageUser: image.user, passwd: passwd, groups: groups)
        let volumes = sandbox.volumePaths.mapValues { VolumeHostPath($0) }
        let mounts = try MountPlanner.plan(container: container, volumes: volumes, env: env)
        let termLog = "\(sandbox.directory)/termination/\(container["name"]?.stringValue ?? "c")"
        try FileManager.default.createDirectory(atPath: (termLog as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: termLog, contents: nil)
        let hostname = (try? String(contentsOfFile: sandbox.directory + "/hostname", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? (pod[path: ["metadata", "name"]]?.stringValue ?? "")
        return ContainerSpecInput(pod: podWithIP, container: container, image: image, env: env, user: user, mounts: mounts,
                                  rootfsPath: rootfs, netnsPath: sandbox.netnsPath, hostname: hostname,
                                  hostsPath: sandbox.directory + "/hosts", resolvConfPath: sandbox.directory + "/resolv.conf",
                                  hostnamePath: sandbox.directory + "/hostname", terminationMessagePath: termLog,
                                  cgroupsPath: "corral/pod\(Self.uid(pod))/\(id)", host: host)
    }

    // MARK: observation

    func observe(_ pod: JSONValue) -> [String: ContainerObservation] {
        let uid = Self.uid(pod)
        let recs = records(uid)
        var out: [String: ContainerObservation] = [:]
        for name in PodPlanner.containerNames(pod, "initContainers") + PodPlanner.containerNames(pod, "containers") {
            let attempts = recs.attempts(name)
            guard let last = attempts.last else { continue }
            var o = ContainerObservation(name: name, containerID: last.id, state: state(of: last), restartCount: last.attempt,
                                         image: last.image, imageID: last.imageID)
            if attempts.count > 1 { o.lastTermination = state(of: attempts[attempts.count - 2]) }
            out[name] = o
        }
        return out
    }

    /// Running while conmon has not written an exit file and the process lives.
    func state(of a: ContainerAttempt) -> ContainerObservation.State {
        if let s = lock.withLock({ terminatedCache[a.id] }) { return s }
        if let code = driver.exitCode(id: a.id) {
            let st = try? driver.state(id: a.id)
            let s = ContainerObservation.State.terminated(exitCode: code, reason: st?.reason ?? (code == 0 ? "Completed" : "Error"), message: nil,
                                                          startedAt: a.startedAt, finishedAt: st?.finishedAt ?? Date())
            lock.withLock { terminatedCache[a.id] = s }
            return s
        }
        if a.pid > 0 && kill(a.pid, 0) == 0 { return .running(startedAt: a.startedAt) }
        // Reaped but not yet recorded: conmon writes the exit file a moment later.
        if driver.monitorAlive(id: a.id) { return .running(startedAt: a.startedAt) }
        if driver.exitCode(id: a.id) != nil { return state(of: a) }
        // Neither an exit record nor a process: the monitor is gone (host reboot, killed conmon).
        let s = ContainerObservation.State.terminated(exitCode: 137, reason: "ContainerStatusUnknown",
                                                      message: "The container could not be located when the pod was terminated",
                                                      startedAt: a.startedAt, finishedAt: Date())
        lock.withLock { terminatedCache[a.id] = s }
        return s
    }

    // MARK: stopping

    func stopContainer(_ pod: JSONValue, name: String, grace: TimeInterval) async {
        guard let last = records(Self.uid(pod)).attempts(name).last else { return }
        let t0 = Date()
        if let cmd = PodPlanner.containerSpec(pod, name)?.spec[path: ["lifecycle", "preStop", "exec", "command"]]?.arrayValue?.compactMap(\.stringValue),
           !cmd.isEmpty, let session = try? driver.exec(id: last.id, command: cmd, tty: false, stdin: false) {
            _ = await withTimeout(grace) { await session.wait() }
        }
        let left = max(grace - Date().timeIntervalSince(t0), 0)
        _ = try? await driver.stop(id: last.id, grace: left, signal: SIGTERM)
    }

    func teardown(podUID: String) async {
        let recs = records(podUID)
        for a in recs.all() {
            if driver.exitCode(id: a.id) == nil, a.pid > 0, kill(a.pid, 0) == 0 { _ = try? await driver.stop(id: a.id, grace: 0, signal: SIGKILL) }
            try? await driver.delete(id: a.id)
            let dir = "\(config.containersDir)/\(a.id)"
            let rootfs = self.rootfs
            await Blocking.run { try? rootfs.unmount(containerDir: dir, removeData: true) }
            try? FileManager.default.removeItem(atPath: dir)
            lock.withLock { _ = terminatedCache.removeValue(forKey: a.id) }
        }
        let sandboxes = self.sandboxes
        await Blocking.run {
            ContainersCgroup.remove(podUID: podUID)
            sandboxes.teardown(uid: podUID)
        }
    }

    func knownPodUIDs() -> [String] { sandboxes.knownPodUIDs() }
}

/// Runs `body`, giving up after `seconds` (the body keeps running detached).
func withTimeout<T: Sendable>(_ seconds: TimeInterval, _ body: @escaping @Sendable () async -> T) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await body() }
        group.addTask {
            try? await Task.sleep(nanoseconds: UInt64(max(seconds, 0) * 1e9))
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

/// The pod-level cgroup directories ("/corral/pod<uid>") left after its containers are deleted.
enum ContainersCgroup {
    static func remove(podUID: String) {
        ConmonRuntime.removeCgroup("corral/pod\(podUID)")
    }
}

/// ConfigMaps and Secrets a pod refers to (env, envFrom, volumes).
struct ReferencedObjects {
    var configMaps = Set<String>()
    var secrets = Set<String>()

    init(_ pod: JSONValue) {
        let containers = (pod[path: ["spec", "containers"]]?.arrayValue ?? []) + (pod[path: ["spec", "initContainers"]]?.arrayValue ?? [])
        for c in containers {
            for e in c["env"]?.arrayValue ?? [] {
                if let n = e[path: ["valueFrom", "configMapKeyRef", "name"]]?.stringValue { configMaps.insert(n) }
                if let n = e[path: ["valueFrom", "secretKeyRef", "name"]]?.stringValue { secrets.insert(n) }
            }
            for e in c["envFrom"]?.arrayValue ?? [] {
                if let n = e[path: ["configMapRef", "name"]]?.stringValue { configMaps.insert(n) }
                if let n = e[path: ["secretRef", "name"]]?.stringValue { secrets.insert(n) }
            }
        }
        for v in pod[path: ["spec", "volumes"]]?.arrayValue ?? [] {
            if let n = v[path: ["configMap", "name"]]?.stringValue { configMaps.insert(n) }
            if let n = v[path: ["secret", "secretName"]]?.stringValue { secrets.insert(n) }
            for s in v[path: ["projected", "sources"]]?.arrayValue ?? [] {
                if let n = s[path: ["configMap", "name"]]?.stringValue { configMaps.insert(n) }
                if let n = s[path: ["secret", "name"]]?.stringValue { secrets.insert(n) }
            }
        }
    }
}
