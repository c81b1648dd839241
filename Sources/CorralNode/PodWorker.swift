import CorralModel
import Foundation
import Logging

/// Drives one pod on this node to what its spec asks, like the kubelet's pod
/// worker: sandbox, init containers, containers, restarts with back-off,
/// probes, status, and graceful termination. One actor per pod UID.
actor PodWorker {
    let uid: String
    let backend: PodBackend
    let api: NodeAPI
    let config: NodeAgentConfig
    let logger: Logger
    private var pod: JSONValue
    private var sandbox: SandboxInfo?
    private var sandboxError: String?
    /// Start failures reported as waiting reasons, with when to retry.
    private var waiting: [String: (reason: String, message: String, retryAt: Date, failures: Int)] = [:]
    private var readiness: [String: ProbeSchedule] = [:]
    private var liveness: [String: ProbeSchedule] = [:]
    private var startup: [String: ProbeSchedule] = [:]
    private var finished = false
    private var wake: AsyncStream<Void>.Continuation?

    init(pod: JSONValue, backend: PodBackend, api: NodeAPI, config: NodeAgentConfig, logger: Logger) {
        self.pod = pod
        self.uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        self.backend = backend
        self.api = api
        self.config = config
        self.logger = logger
    }

    /// A newer version of the pod arrived from the API.
    func update(_ newPod: JSONValue) {
        pod = newPod
        wake?.yield()
    }

    var isFinished: Bool { finished }

    /// The sync loop; returns once the pod is gone from the node.
    func run() async {
        let (signals, cont) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        wake = cont
        let ticker = Task { [interval = config.syncInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                cont.yield()
            }
        }
        defer { ticker.cancel() }
        await sync()
        for await _ in signals {
            if finished || Task.isCancelled { break }
            await sync()
        }
    }

    private func events() -> EventSink {
        let api = self.api, pod = self.pod
        return { type, reason, message in api.event(about: pod, type: type, reason: reason, message: message) }
    }

    private func sync() async {
        let now = Date()
        if pod[path: ["metadata", "deletionTimestamp"]] != nil {
            await terminate()
            return
        }
        if sandbox == nil {
            do {
                sandbox = try await backend.prepareSandbox(pod)
                sandboxError = nil
            } catch {
                let msg = "\(error)"
                if sandboxError != msg {
                    api.event(about: pod, type: "Warning", reason: "FailedCreatePodSandBox", message: "Failed to create pod sandbox: \(msg)")
                    sandboxError = msg
                }
                await writeStatus(observed: [:], now: now)
                return
            }
        }
        var observed = backend.observe(pod)
        runProbes(&observed, now: now)
        let livenessFailed = Set(liveness.filter { $0.value.healthy == false }.map(\.key))
        for action in PodPlanner.plan(pod: pod, observed: observed, livenessFailed: livenessFailed, now: now) {
            switch action {
            case .start(let name, let isInit):
                if let w = waiting[name], w.retryAt > now { continue }
                let attempt = observed[name].map { $0.restartCount + ($0.containerID == nil ? 0 : 1) } ?? 0
                do {
                    let o = try await backend.startContainer(pod, name: name, isInit: isInit, attempt: attempt, sandbox: sandbox!, events: events())
                    observed[name] = o
                    waiting[name] = nil
                    resetProbes(name)
                } catch let e as ContainerStartError {
                    let failures = (waiting[name]?.failures ?? 0) + 1
                    let delay = e.backoff ? CrashBackoff.delay(restartCount: failures) : 1
                    waiting[name] = (e.reason, e.message, now.addingTimeInterval(delay), failures)
                } catch {
                    waiting[name] = ("CreateContainerError", "\(error)", now.addingTimeInterval(1), (waiting[name]?.failures ?? 0) + 1)
                    api.event(about: pod, type: "Warning", reason: "Failed", message: "Error: \(error)")
                }
            case .kill(let name, let reason):
                if reason == "Unhealthy" {
                    api.event(about: pod, type: "Normal", reason: "Killing", message: "Container \(name) failed liveness probe, will be restarted")
                }
                await backend.stopContainer(pod, name: name, grace: gracePeriod())
                liveness[name] = nil
            case .backoff(let name, _):
                if var o = observed[name], case .terminated = o.state {
                    o.lastTermination = o.state
                    o.state = .waiting(reason: "CrashLoopBackOff",
                                       message: "back-off \(Int(CrashBackoff.delay(restartCount: o.restartCount)))s restarting failed container=\(name) pod=\(podName)_\(podNamespace)(\(uid))")
                    observed[name] = o
                    if waiting[name]?.reason != "CrashLoopBackOff" {
                        api.event(about: pod, type: "Warning", reason: "BackOff", message: "Back-off restarting failed container \(name) in pod \(podName)_\(podNamespace)(\(uid))")
                        waiting[name] = ("CrashLoopBackOff", "", now, 0)
                    }
                }
            }
        }
        for (name, w) in waiting where w.reason != "CrashLoopBackOff" {
            var o = observed[name] ?? ContainerObservation(name: name, state: .waiting(reason: w.reason, message: w.message), image: "")
            if case .running = o.state { continue }
            if o.lastTermination == nil, case .terminated = o.state { o.lastTermination = o.state }
            let reason = w.reason == "ErrImagePull" && w.failures > 1 ? "ImagePullBackOff" : w.reason
            o.state = .waiting(reason: reason, message: reason == "ImagePullBackOff" ? "Back-off pulling image \"\(imageOf(name))\"" : w.message)
            observed[name] = o
        }
        for (name, o) in observed where !o.isRunning && waiting[name]?.reason == "CrashLoopBackOff" {
            if case .running = o.state { waiting[name] = nil }
        }
        // Containers started just now: fold in their probes too, so the first Running status
        // already says ready for a container without readiness/startup probes (as the kubelet).
        runProbes(&observed, now: now)
        await writeStatus(observed: observed, now: now)
    }

    private var podName: String { pod[path: ["metadata", "name"]]?.stringValue ?? "" }
    private var podNamespace: String { pod[path: ["metadata", "namespace"]]?.stringValue ?? "" }

    private func imageOf(_ container: String) -> String {
        PodPlanner.containerSpec(pod, container)?.spec["image"]?.stringValue ?? ""
    }

    private func gracePeriod() -> TimeInterval {
        Double(pod[path: ["metadata", "deletionGracePeriodSeconds"]]?.intValue
            ?? pod[path: ["spec", "terminationGracePeriodSeconds"]]?.intValue ?? 30)
    }

    /// Stops every container (grace period, then SIGKILL), removes the
    /// sandbox, and deletes the pod object with grace 0, as the kubelet does.
    private func terminate() async {
        let observed = backend.observe(pod)
        let grace = gracePeriod()
        await withTaskGroup(of: Void.self) { group in
            for (name, o) in observed where o.isRunning {
                api.event(about: pod, type: "Normal", reason: "Killing", message: "Stopping container \(name)")
                group.addTask { [backend, pod] in await backend.stopContainer(pod, name: name, grace: grace) }
            }
        }
        await backend.teardown(podUID: uid)
        await api.deletePodNow(pod)
        finished = true
        wake?.finish()
    }

    // MARK: probes

    private func resetProbes(_ name: String) {
        readiness[name] = nil
        liveness[name] = nil
        startup[name] = nil
    }

    /// Runs due probes and folds their verdicts into readiness/started.
    private func runProbes(_ observed: inout [String: ContainerObservation], now: Date) {
        for (name, var o) in observed {
            guard case .running(let startedAt) = o.state, let spec = PodPlanner.containerSpec(pod, name)?.spec else { continue }
            let hasStartup = spec["startupProbe"] != nil
            if let p = spec["startupProbe"], startup[name]?.healthy != true {
                schedule(.startup, name, p, startedAt: startedAt, now: now)
                o.started = startup[name]?.healthy == true
                o.ready = false
                if startup[name]?.healthy == false { liveness[name] = startup[name] }  // failing startup restarts like liveness
                observed[name] = o
                continue
            }
            o.started = true
            if let p = spec["livenessProbe"] { schedule(.liveness, name, p, startedAt: hasStartup ? now : startedAt, now: now) }
            if let p = spec["readinessProbe"] {
                schedule(.readiness, name, p, startedAt: startedAt, now: now)
                o.ready = readiness[name]?.healthy == true
            } else {
                o.ready = true
            }
            observed[name] = o
        }
    }

    enum ProbeKind: String { case liveness = "Liveness", readiness = "Readiness", startup = "Startup" }

    private func schedules(_ kind: ProbeKind) -> [String: ProbeSchedule] {
        switch kind {
        case .liveness: return liveness
        case .readiness: return readiness
        case .startup: return startup
        }
    }

    private func setSchedule(_ kind: ProbeKind, _ name: String, _ s: ProbeSchedule) {
        switch kind {
        case .liveness: liveness[name] = s
        case .readiness: readiness[name] = s
        case .startup: startup[name] = s
        }
    }

    /// Starts a due probe in the background; its result lands through `recordProbe`.
    private func schedule(_ kind: ProbeKind, _ name: String, _ probe: JSONValue, startedAt: Date, now: Date) {
        var s = schedules(kind)[name] ?? ProbeSchedule(probe)
        guard s.due(startedAt: startedAt, now: now), let sandbox else {
            setSchedule(kind, name, s)
            return
        }
        s.lastRun = now  // don't start a second run while this one is out
        setSchedule(kind, name, s)
        let backend = self.backend, pod = self.pod
        Task {
            let ok = await backend.probe(pod, container: name, probe: probe, sandbox: sandbox)
            await self.recordProbe(kind, name: name, ok: ok, at: Date())
        }
    }

    private func recordProbe(_ kind: ProbeKind, name: String, ok: Bool, at: Date) {
        guard var s = schedules(kind)[name] else { return }
        s.record(success: ok, at: at)
        setSchedule(kind, name, s)
        if !ok { api.event(about: pod, type: "Warning", reason: "Unhealthy", message: "\(kind.rawValue) probe failed") }
        wake?.yield()
    }

    // MARK: status

    private func writeStatus(observed: [String: ContainerObservation], now: Date) async {
        let status = PodStatusBuilder.build(.init(pod: pod, observed: observed, podIP: sandbox?.podIP, hostIP: config.hostIP, now: now))
        if status == pod["status"] { return }
        if let updated = await api.writeStatus(pod, status) { pod = updated }
    }
}
