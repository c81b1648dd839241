import CorralAPI
import CorralContainers
import CorralImages
import CorralModel
import Foundation
import Logging

/// The real `PodBackend`: images from the node image store, containers
/// under conmon + runc/crun, sandboxes on the pod network.
final class RuntimePodBackend: PodBackend, @unchecked Sendable {
    let config: NodeAgentConfig
    let api: NodeAPI
    let images: ImageStore
    let rootfs: RootfsManager
    let puller: ImagePuller
    let driver: ConmonRuntime
    let sandboxes: PodSandboxes
    let host: HostFacts
    let logger: Logger
    /// Signs projected service-account tokens (nil when the daemon runs without them).
    var tokenSigner: ServiceAccountTokenSigner?
    let lock = NSLock()
    /// Terminated attempts never change: cache them instead of re-reading files.
    var terminatedCache: [String: ContainerObservation.State] = [:]

    init(config: NodeAgentConfig, api: NodeAPI, logger: Logger) throws {
        self.config = config
        self.api = api
        self.logger = logger
        images = try ImageStore(root: config.imagesDir)
        rootfs = RootfsManager(store: images)
        puller = ImagePuller(store: images, client: RegistryClient(config: RegistryConfig(), transport: HTTPTransports.standard()))
        let mode = HostProbe.cgroupMode()
        let runtime = try OCIRuntimeChoice.choose(override: config.ociRuntime == "auto" ? nil : config.ociRuntime, cgroupMode: mode,
                                                  available: HostProbe.availableRuntimes())
        driver = ConmonRuntime(runtime: runtime, root: config.runcRoot, stateDir: config.runtimeStateDir)
        host = HostProbe.hostFacts()
        sandboxes = try PodSandboxes(config: config, logger: logger)
        logger.info("node runtime", metadata: ["oci": .string(runtime.path), "cgroups": .string(mode.rawValue)])
    }

    static func uid(_ pod: JSONValue) -> String { pod[path: ["metadata", "uid"]]?.stringValue ?? "" }
    func records(_ uid: String) -> ContainerRecords { ContainerRecords(podDir: sandboxes.podDir(uid)) }

    // MARK: sandbox

    func prepareSandbox(_ pod: JSONValue) async throws -> SandboxInfo {
        let ns = pod[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let refs = ReferencedObjects(pod)
        var cmData: [String: [String: [UInt8]]] = [:]
        var secData: [String: [String: [UInt8]]] = [:]
        for n in refs.configMaps { if let d = await api.configMapData(ns, n) { cmData[n] = d } }
        for n in refs.secrets { if let d = await api.secretData(ns, n) { secData[n] = d } }
        let saName = pod[path: ["spec", "serviceAccountName"]]?.stringValue ?? "default"
        let saUID = await api.serviceAccountUID(ns, saName)
        let signer = self.tokenSigner
        let podName = pod[path: ["metadata", "name"]]?.stringValue, podUID = pod[path: ["metadata", "uid"]]?.stringValue
        let lookups = VolumeLookups(configMap: { cmData[$0] }, secret: { secData[$0] },
                                    serviceAccountToken: { audience, seconds in
                                        guard let signer, let saUID else {
                                            throw VolumeError(volume: "token", message: "serviceaccount \"\(saName)\" not found or tokens not enabled")
                                        }
                                        // A token bound to this pod: it stops working when the pod is deleted.
                                        return try signer.issue(namespace: ns, serviceAccountName: saName, serviceAccountUID: saUID, podName: podName,
                                                                podUID: podUID, audiences: audience.map { [$0] } ?? [],
                                                                expirationSeconds: max(seconds, 600)).token
                                    },
                                    caCertificate: Array((try? Data(contentsOf: URL(fileURLWithPath: self.config.dataDir + "/pki/ca.crt"))) ?? Data()))
        let volumes = try VolumePlanner.plan(pod: pod, lookups: lookups)
        let sandboxes = self.sandboxes
        var (info, paths) = try await Blocking.run { try sandboxes.prepare(pod, volumes: volumes) }
        info.volumePaths = paths
        return info
    }

    // MARK: containers

    func startContainer(_ pod: JSONValue, name: String, isInit: Bool, attempt: Int, sandbox: SandboxInfo,
                        events: @escaping EventSink) async throws -> ContainerObservation {
        guard let spec = PodPlanner.containerSpec(pod, name)?.spec else {
            throw ContainerStartError(reason: "CreateContainerError", message: "no container \(name)", backoff: false)
        }
        let uid = Self.uid(pod)
        let imageName = spec["image"]?.stringValue ?? ""
        let image = try await ensureImage(imageName, policyField: spec["imagePullPolicy"]?.stringValue, pod: pod, events: events)
        let imageConfig = try images.config(of: image)
        let id = "\(uid.replacingOccurrences(of: "-", with: ""))-\(name)-\(attempt)"
        let containerDir = "\(config.containersDir)/\(id)"
        // A previous attempt keeps its log (for --previous) but gives up its runtime container and rootfs.
        cleanupOlderAttempts(uid: uid, name: name, keepingLogOf: attempt - 1)
        let rootPath: String
        do {
            let images = self.images, rootfs = self.rootfs
            rootPath = try await Blocking.run { () throws -> String in
                _ = try images.unpackLayers(of: image)
                return try rootfs.mount(image: image, containerDir: containerDir)
            }
        } catch {
            events("Warning", "Failed", "Failed to pull image \"\(imageName)\": \(error)")
            throw ContainerStartError(reason: "ErrImagePull", message: "\(error)", backoff: true)
        }
        let input: ContainerSpecInput
        do {
            input = try await specInput(pod: pod, container: spec, image: Self.runtimeImageConfig(imageConfig), rootfs: rootPath,
                                        sandbox: sandbox, id: id)
        } catch {
            events("Warning", "Failed", "Error: \(error)")
            throw ContainerStartError(reason: "CreateContainerConfigError", message: "\(error)", backoff: false)
        }
        let logPath = "\(sandbox.directory)/logs/\(name)/\(attempt).log"
        do {
            let ociSpec = try OCISpecBuilder.build(input)
            let opts = ConmonOptions(tty: spec["tty"]?.boolValue ?? false, stdin: spec["stdin"]?.boolValue ?? false,
                                     leaveStdinOpen: !(spec["stdinOnce"]?.boolValue ?? false))
            let driver = self.driver
            let conmonName = "\(name)_\(pod[path: ["metadata", "name"]]?.stringValue ?? "")"
            let pid = try await Blocking.run {
                try driver.create(id: id, name: conmonName, bundle: containerDir + "/bundle", spec: ociSpec, logPath: logPath, options: opts, start: false)
            }
            events("Normal", "Created", "Created container \(name)")
            try await Blocking.run { try driver.start(id: id) }
            events("Normal", "Started", "Started container \(name)")
            if let hook = spec[path: ["lifecycle", "postStart", "exec", "command"]]?.arrayValue?.compactMap(\.stringValue), !hook.isEmpty {
                // Like the kubelet: a failing postStart hook kills the container (it then restarts per policy).
                let session = try await Blocking.run { try driver.exec(id: id, command: hook, tty: false, stdin: false) }
                let drain = Task { for await _ in session.stdout {}; for await _ in session.stderr {} }
                let code = await withTimeout(30) { await session.wait() }
                drain.cancel()
                if code != 0 {
                    events("Warning", "FailedPostStartHook", "PostStartHook failed: exit code \(code.map(String.init) ?? "timeout")")
                    _ = try? await driver.stop(id: id, grace: 0, signal: SIGKILL)
                }
            }
            let now = Date()
            let imageID = image.repoDigests.first ?? "sha256:\(image.id.hex)"
            try records(uid).save(ContainerAttempt(id: id, name: name, attempt: attempt, image: imageName, imageID: imageID, pid: pid,
                                                   startedAt: now, logPath: logPath))
            return ContainerObservation(name: name, containerID: id, state: .running(startedAt: now), restartCount: attempt,
                                        image: imageName, imageID: imageID)
        } catch {
            events("Warning", "Failed", "Error: \(error)")
            try? await driver.delete(id: id)
            try? rootfs.unmount(containerDir: containerDir, removeData: true)
            throw ContainerStartError(reason: "CreateContainerError", message: "\(error)", backoff: false)
        }
    }

    /// Pull per imagePullPolicy, with the kubelet's events.
    func ensureImage(_ name: String, policyField: String?, pod: JSONValue, events: EventSink) async throws -> ImageRecord {
        let present = (try? images.resolve(name)) ?? nil
        let policy = PullPolicy.resolve(policyField, image: name)
        switch PullDecision.decide(policy: policy, image: name, present: present != nil) {
        case .useLocal:
            events("Normal", "Pulled", "Container image \"\(name)\" already present on machine")
            return present!
        case .fail(let e):
            events("Warning", "ErrImageNeverPull", "\(e)")
            throw ContainerStartError(reason: PullDecision.reasonNeverPull, message: "\(e)", backoff: false)
        case .pull:
            events("Normal", "Pulling", "Pulling image \"\(name)\"")
            let t0 = Date()
            do {
                let rec = try await puller.pull(name, credentials: await pullCredentials(pod))
                let secs = String(format: "%.3fs", Date().timeIntervalSince(t0))
                events("Normal", "Pulled", "Successfully pulled image \"\(name)\" in \(secs) (\(secs) including waiting). Image size: \(rec.size) bytes.")
                return rec
            } catch {
                events("Warning", "Failed", "Failed to pull image \"\(name)\": \(error)")
                events("Warning", "Failed", "Error: ErrImagePull")
                throw ContainerStartError(reason: PullDecision.reasonPullFailed, message: "\(error)", backoff: true)
            }
        }
    }

    /// Registry credentials from the pod's imagePullSecrets (dockerconfigjson).
    func pullCredentials(_ pod: JSONValue) async -> [String: RegistryCredential] {
        let ns = pod[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        var out: [String: RegistryCredential] = [:]
        for ref in pod[path: ["spec", "imagePullSecrets"]]?.arrayValue ?? [] {
            guard let n = ref["name"]?.stringValue, let data = await api.secretData(ns, n) else { continue }
            let bytes = data[".dockerconfigjson"] ?? data[".dockercfg"] ?? []
            if let parsed = try? DockerConfigCredentials.parse(bytes) { out.merge(parsed) { a, _ in a } }
        }
        return out
    }

    private func cleanupOlderAttempts(uid: String, name: String, keepingLogOf previous: Int) {
        for a in records(uid).attempts(name) {
            let dir = "\(config.containersDir)/\(a.id)"
            if FileManager.default.fileExists(atPath: dir) {
                Task { [driver] in try? await driver.delete(id: a.id) }
                try? rootfs.unmount(containerDir: dir, removeData: true)
                try? FileManager.default.removeItem(atPath: dir)
            }
            if a.attempt < previous {
                try? FileManager.default.removeItem(atPath: a.logPath)
                records(uid).remove(a)
            }
        }
    }
}
