import CorralAPI
import CorralModel
import CorralVirt
import Foundation
import Logging

/// Runs the VM behind one launcher pod (KubeVirt's virt-handler + virt-launcher
/// in one): boots the domain, keeps the VMI's and the pod's status true to the
/// domain's state, and removes everything when either is deleted.
///
/// How a guest ends decides the VMI phase (`DomainStatus.vmiPhase`): a clean power-off
/// is Succeeded; a panic (reported by the pvpanic device), a QEMU that died, a domain
/// destroyed or removed behind Corral's back is Failed. A spec that cannot work (a
/// containerDisk whose qcow2 names a backing file, an invalid field) fails the VMI at once
/// with the field path in a `Synchronized` condition and a `FailedCreate` event; other
/// start errors are retried with back-off.
actor VMWorker {
    let uid: String
    let vms: VMBackend
    let api: NodeAPI
    let logger: Logger
    private var pod: JSONValue
    private var domain: String?
    private var podIP: String?
    private var waiting: (reason: String, message: String, retryAt: Date, failures: Int)?
    /// Set when a running domain was adopted: when to (re-)serve its network next.
    private var networkReadoptAt: Date?
    /// Whether a guest agent is connected (the `AgentConnected` condition), polled every few seconds.
    private var agent = GuestAgentWatch()
    /// The final phase this worker wrote; nothing is written after it.
    private var ended: String?
    private var finished = false
    private var wake: AsyncStream<Void>.Continuation?

    init(pod: JSONValue, vms: VMBackend, api: NodeAPI, logger: Logger) {
        self.pod = pod
        uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        self.vms = vms
        self.api = api
        self.logger = logger
    }

    func update(_ p: JSONValue) { pod = p; wake?.yield() }

    func run() async {
        let (signals, cont) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        wake = cont
        let ticker = Task { while !Task.isCancelled { try? await Task.sleep(nanoseconds: 1_000_000_000); cont.yield() } }
        defer { ticker.cancel() }
        await sync()
        for await _ in signals {
            if finished || Task.isCancelled { break }
            await sync()
        }
    }

    var vmiUID: String { pod[path: ["metadata", "labels", LauncherPod.createdByLabel]]?.stringValue ?? "" }

    /// `NAMESPACE_NAME`, the domain name the converter gives this VMI.
    var domainName: String? {
        guard let name = pod[path: ["metadata", "labels", LauncherPod.vmiNameLabel]]?.stringValue else { return nil }
        return DomainConverter.domainName(namespace: pod[path: ["metadata", "namespace"]]?.stringValue ?? "default", name: name)
    }

    /// The VMI this pod runs: `.gone` only when the API says it does not exist (or is another
    /// VMI by now); nil when the API cannot answer (e.g. the daemon is shutting down and its
    /// store is closed), which must never be taken for a deletion that destroys the guest.
    private func currentVMI() async -> VMILookup? {
        guard let name = pod[path: ["metadata", "labels", LauncherPod.vmiNameLabel]]?.stringValue else { return .gone }
        do {
            let vmi = try await api.objects.get(api.vmis, namespace: pod[path: ["metadata", "namespace"]]?.stringValue, name: name)
            return vmi[path: ["metadata", "uid"]]?.stringValue == vmiUID ? .found(vmi) : .gone
        } catch let e as APIError where e.code == 404 {
            return .gone
        } catch {
            return nil
        }
    }

    private enum VMILookup { case found(JSONValue), gone }

    private func sync() async {
        guard let lookup = await currentVMI() else { return }
        var vmi: JSONValue?
        if case .found(let v) = lookup { vmi = v }
        if pod[path: ["metadata", "deletionTimestamp"]] != nil || vmi == nil || vmi?[path: ["metadata", "deletionTimestamp"]] != nil {
            await terminate(vmi: vmi)
            return
        }
        guard let vmi, ended == nil else { return }
        let events: EventSink = { [api] type, reason, message in api.event(about: vmi, type: type, reason: reason, message: message) }
        let phase = vmi[path: ["status", "phase"]]?.stringValue
        if phase == "Succeeded" || phase == "Failed" { ended = phase; return }
        if domain == nil, let found = await vms.existingDomain(vmiUID: vmiUID, domainName: domainName) {
            // Adopted after an agent restart: the guest's network must be served again.
            domain = found
            networkReadoptAt = Date()
        }
        if let due = networkReadoptAt, due <= Date(), let ip = podIP ?? readPodIP() {
            podIP = ip
            // Retried (every 10 s) until it works, so a guest is never left without DHCP.
            networkReadoptAt = await vms.readopt(vmi: vmi, podIP: ip) ? nil : Date().addingTimeInterval(10)
        }
        if domain == nil {
            if let w = waiting, w.retryAt > Date() { return }
            if await start(vmi: vmi, events: events) == false { return }
        }
        if podIP == nil { podIP = readPodIP() }
        guard let domain else { return }
        vms.keepDHCPServing()
        let state: DomainStatus?
        do { state = try await vms.domainState(domain) } catch { return }  // libvirt unreachable: keep the phase
        guard let state else {
            await end(vmi, phase: "Failed", exitCode: 1, message: "The domain disappeared (removed outside Corral).", events: events)
            return
        }
        switch state.vmiPhase(acpi: Self.acpiEnabled(vmi)) {
        case .running:
            await writeVMI(vmi, phase: "Running", paused: state.state == .paused)
            await writePod(phase: "Running", ready: state.state != .paused)
            // After the status writes: libvirt may be slow to answer while guests start, and
            // Running must not wait for it (the condition follows on the next tick).
            if agent.due(Date()) { agent.record(await vms.guestAgentState(domain)) }
        case .succeeded:
            await end(vmi, phase: "Succeeded", exitCode: 0, message: state.endDescription, events: events)
        case .failed:
            await end(vmi, phase: "Failed", exitCode: 1, message: state.endDescription, events: events)
        case nil:
            break
        }
    }

    /// Boots the domain; false when it did not (the VMI/pod status says why).
    private func start(vmi: JSONValue, events: @escaping EventSink) async -> Bool {
        do {
            if podIP == nil {
                let sandboxes = vms.pods.sandboxes, uid = self.uid, vmiUID = self.vmiUID
                podIP = try await Blocking.run { () throws -> String in
                    let ip = try sandboxes.allocateIP(uid: uid)
                    try Data(vmiUID.utf8).write(to: URL(fileURLWithPath: sandboxes.podDir(uid) + "/vmi"))
                    return ip
                }
            }
            domain = try await vms.start(vmi: vmi, launcher: pod, podIP: podIP!, events: events)
            waiting = nil
            events("Normal", "Started", "VirtualMachineInstance started.")
            if vms.emulation.mode == .tcg { events("Warning", "SoftwareEmulation", vms.emulation.reason) }
            return true
        } catch let e as ContainerStartError {
            let failures = (waiting?.failures ?? 0) + 1
            waiting = (failures > 1 && e.reason == "ErrImagePull" ? "ImagePullBackOff" : e.reason, e.message,
                       Date().addingTimeInterval(e.backoff ? CrashBackoff.delay(restartCount: failures) : 5), failures)
            await writePod(phase: "Pending", ready: false)
        } catch {
            if let message = VMError.permanentMessage(error) {
                events("Warning", "FailedCreate", message)
                await end(vmi, phase: "Failed", exitCode: 1, message: message, events: nil, failedCreate: message)
                return false
            }
            events("Warning", "SyncFailed", "\(error)")
            waiting = ("CreateContainerError", "\(error)", Date().addingTimeInterval(5), (waiting?.failures ?? 0) + 1)
            await writePod(phase: "Pending", ready: false)
        }
        return false
    }

    /// Writes the final phase to the VMI and the launcher pod, once, with an event.
    private func end(_ vmi: JSONValue, phase: String, exitCode: Int32, message: String, events: EventSink?, failedCreate: String? = nil) async {
        await writeVMI(vmi, phase: phase, paused: false, failedCreate: failedCreate)
        await writePod(phase: phase, ready: false, exitCode: exitCode, message: message)
        events?(phase == "Failed" ? "Warning" : "Normal", "Stopped", message)
        logger.info("vm ended", metadata: ["vmi": .string(vmiUID), "phase": .string(phase), "why": .string(message)])
        ended = phase
    }

    /// ACPI is on unless `spec.domain.features.acpi.enabled` is false (KubeVirt's default).
    static func acpiEnabled(_ vmi: JSONValue) -> Bool {
        guard let acpi = vmi[path: ["spec", "domain", "features", "acpi"]], !acpi.isNull else { return true }
        return acpi["enabled"]?.boolValue ?? true
    }

    private func readPodIP() -> String? {
        (try? String(contentsOfFile: vms.pods.sandboxes.podDir(uid) + "/ip", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func terminate(vmi: JSONValue?) async {
        let grace = Double(vmi?[path: ["spec", "terminationGracePeriodSeconds"]]?.intValue ?? pod[path: ["metadata", "deletionGracePeriodSeconds"]]?.intValue ?? 0)
        await vms.teardown(vmiUID: vmiUID, domainName: domainName, grace: min(grace, 30))
        let sandboxes = vms.pods.sandboxes, uid = self.uid
        await Blocking.run { sandboxes.teardown(uid: uid) }
        if let vmi, vmi[path: ["metadata", "deletionTimestamp"]] == nil, ended == nil {
            await writeVMI(vmi, phase: "Succeeded", paused: false)
        }
        await api.deletePodNow(pod)
        domain = nil
        finished = true
        wake?.finish()
    }

    private func writeVMI(_ vmi: JSONValue, phase: String, paused: Bool, failedCreate: String? = nil) async {
        let ip = podIP
        let emulation = vms.emulation
        let node = api.nodeName
        let mac = VMBackend.mac(vmiUID)
        let hasIface = !((try? DomainConverter.interfaceNames(vmi: vmi)) ?? []).isEmpty
        let agentConnected = phase == "Running" ? agent.connected : false
        _ = try? await api.objects.modify(api.vmis, namespace: vmi[path: ["metadata", "namespace"]]?.stringValue,
                                          name: vmi[path: ["metadata", "name"]]?.stringValue ?? "", subresource: "status") { cur in
            guard cur[path: ["metadata", "uid"]] == vmi[path: ["metadata", "uid"]] else { return cur }
            var c = cur
            let old = c[path: ["status", "phase"]]?.stringValue
            if old == "Succeeded" || old == "Failed" { return cur }
            c.set(path: ["status", "phase"], to: .string(phase))
            c.set(path: ["status", "nodeName"], to: .string(node))
            let running = phase == "Running"
            let previous = c[path: ["status", "conditions"]]?.arrayValue ?? []
            var conds = previous.filter { !["Ready", "Paused", "SoftwareEmulation", "Synchronized"].contains($0["type"]?.stringValue ?? "") }
            // A condition keeps its transition time while its status stays the same (no write per tick).
            func condition(_ c: JSONValue) -> JSONValue {
                guard let was = previous.first(where: { $0["type"] == c["type"] }), was["status"] == c["status"] else {
                    var n = c
                    n.set(path: ["lastTransitionTime"], to: .string(ObjectLifecycle.timestamp(Date())))
                    return n
                }
                var n = c
                n.set(path: ["lastTransitionTime"], to: was["lastTransitionTime"] ?? .null)
                return n
            }
            conds.append(condition(["type": "Ready", "status": running && !paused ? "True" : "False", "lastProbeTime": .null]))
            if paused { conds.append(condition(["type": "Paused", "status": "True", "reason": "PausedByUser", "message": "VMI was paused by user", "lastProbeTime": .null])) }
            if let failedCreate {
                conds.append(condition(["type": "Synchronized", "status": "False", "reason": "FailedCreate", "message": .string(failedCreate), "lastProbeTime": .null]))
            }
            if emulation.mode == .tcg {
                conds.append(["type": "SoftwareEmulation", "status": "True", "reason": "KVMUnusable", "message": .string(emulation.reason)])
            }
            conds = GuestAgentInfo.conditions(conds, previous: previous, connected: agentConnected,
                                              now: ObjectLifecycle.timestamp(Date()))
            c.set(path: ["status", "conditions"], to: .array(conds))
            if hasIface, let ip {
                c.set(path: ["status", "interfaces"], to: [["name": "default", "interfaceName": "eth0", "ipAddress": .string(ip),
                                                            "ipAddresses": [.string(ip)], "mac": .string(mac), "infoSource": "domain, dhcp"]])
            }
            if old != phase {
                var ts = c[path: ["status", "phaseTransitionTimestamps"]]?.arrayValue ?? []
                ts.append(["phase": .string(phase), "phaseTransitionTimestamp": .string(ObjectLifecycle.timestamp(Date()))])
                c.set(path: ["status", "phaseTransitionTimestamps"], to: .array(ts))
            }
            return c
        }
    }

    private func writePod(phase: String, ready: Bool, exitCode: Int32? = nil, message: String? = nil) async {
        let now = Date()
        let started = pod[path: ["status", "containerStatuses"]]?.arrayValue?.first?[path: ["state", "running", "startedAt"]]?.stringValue
            .flatMap(ObjectLifecycle.parseTimestamp) ?? now
        var state: ContainerObservation.State
        if let w = waiting, phase == "Pending" {
            state = .waiting(reason: w.reason, message: w.message)
        } else if let exitCode {
            state = .terminated(exitCode: exitCode, reason: exitCode == 0 ? "Completed" : "Error", message: message, startedAt: started, finishedAt: now)
        } else {
            state = phase == "Running" ? .running(startedAt: started) : .waiting(reason: "ContainerCreating", message: nil)
        }
        let obs = ContainerObservation(name: "compute", containerID: domain, state: state, ready: ready, started: phase == "Running",
                                       image: "corral.dev/virt-launcher")
        let status = PodStatusBuilder.build(.init(pod: pod, observed: ["compute": obs], podIP: podIP, hostIP: vms.config.hostIP, now: now))
        if status == pod["status"] { return }
        if let updated = await api.writeStatus(pod, status) { pod = updated }
    }
}
