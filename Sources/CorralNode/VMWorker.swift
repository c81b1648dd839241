import CorralAPI
import CorralModel
import CorralVirt
import Foundation
import Logging

/// Runs the VM behind one launcher pod (KubeVirt's virt-handler + virt-launcher
/// in one): boots the domain, keeps the VMI's and the pod's status true to the
/// domain's state, and removes everything when either is deleted.
actor VMWorker {
    let uid: String
    let vms: VMBackend
    let api: NodeAPI
    let logger: Logger
    private var pod: JSONValue
    private var domain: String?
    private var podIP: String?
    private var waiting: (reason: String, message: String, retryAt: Date, failures: Int)?
    private var announcedEmulation = false
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

    private func currentVMI() async -> JSONValue? {
        guard let name = pod[path: ["metadata", "labels", LauncherPod.vmiNameLabel]]?.stringValue,
              let vmi = try? await api.objects.get(api.vmis, namespace: pod[path: ["metadata", "namespace"]]?.stringValue, name: name),
              vmi[path: ["metadata", "uid"]]?.stringValue == vmiUID else { return nil }
        return vmi
    }

    private func sync() async {
        let vmi = await currentVMI()
        if pod[path: ["metadata", "deletionTimestamp"]] != nil || vmi == nil || vmi?[path: ["metadata", "deletionTimestamp"]] != nil {
            await terminate(vmi: vmi)
            return
        }
        guard let vmi else { return }
        let events: EventSink = { [api] type, reason, message in api.event(about: vmi, type: type, reason: reason, message: message) }
        if domain == nil { domain = vms.existingDomain(vmiUID: vmiUID) }
        if domain == nil {
            let phase = vmi[path: ["status", "phase"]]?.stringValue
            if phase == "Succeeded" || phase == "Failed" { return }
            if let w = waiting, w.retryAt > Date() { return }
            do {
                if podIP == nil {
                    podIP = try vms.pods.sandboxes.allocateIP(uid: uid)
                    try Data(vmiUID.utf8).write(to: URL(fileURLWithPath: vms.pods.sandboxes.podDir(uid) + "/vmi"))
                }
                domain = try await vms.start(vmi: vmi, launcher: pod, podIP: podIP!, events: events)
                waiting = nil
                events("Normal", "Started", "VirtualMachineInstance started.")
                if vms.emulation.mode == .tcg { events("Warning", "SoftwareEmulation", vms.emulation.reason) }
            } catch let e as ContainerStartError {
                let failures = (waiting?.failures ?? 0) + 1
                waiting = (failures > 1 && e.reason == "ErrImagePull" ? "ImagePullBackOff" : e.reason, e.message,
                           Date().addingTimeInterval(e.backoff ? CrashBackoff.delay(restartCount: failures) : 5), failures)
                await writePod(phase: "Pending", ready: false)
                return
            } catch {
                events("Warning", "SyncFailed", "\(error)")
                waiting = ("CreateContainerError", "\(error)", Date().addingTimeInterval(5), (waiting?.failures ?? 0) + 1)
                await writePod(phase: "Pending", ready: false)
                return
            }
        }
        if podIP == nil { podIP = try? String(contentsOfFile: vms.pods.sandboxes.podDir(uid) + "/ip", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let domain, let state = try? vms.libvirt.state(uuid: domain) else { return }
        switch state.state {
        case .running, .paused, .shuttingDown:
            await writeVMI(vmi, phase: "Running", paused: state.state == .paused)
            await writePod(phase: "Running", ready: state.state != .paused)
        case .shutoff, .crashed:
            let failed = state.state == .crashed || state.reason == "crashed" || state.reason == "failed"
            if state.reason == "destroyed" && waiting == nil { return }  // our own teardown in progress
            await writeVMI(vmi, phase: failed ? "Failed" : "Succeeded", paused: false)
            await writePod(phase: failed ? "Failed" : "Succeeded", ready: false, exitCode: failed ? 1 : 0)
        default:
            break
        }
    }

    private func terminate(vmi: JSONValue?) async {
        let grace = Double(vmi?[path: ["spec", "terminationGracePeriodSeconds"]]?.intValue ?? pod[path: ["metadata", "deletionGracePeriodSeconds"]]?.intValue ?? 0)
        await vms.teardown(vmiUID: vmiUID, grace: min(grace, 30))
        vms.pods.sandboxes.teardown(uid: uid)
        if let vmi, vmi[path: ["metadata", "deletionTimestamp"]] == nil {
            await writeVMI(vmi, phase: "Succeeded", paused: false)
        }
        await api.deletePodNow(pod)
        domain = nil
        finished = true
        wake?.finish()
    }

    private func writeVMI(_ vmi: JSONValue, phase: String, paused: Bool) async {
        let ip = podIP
        let emulation = vms.emulation
        let node = api.nodeName
        let mac = VMBackend.mac(vmiUID)
        let hasIface = !((try? DomainConverter.interfaceNames(vmi: vmi)) ?? []).isEmpty
        _ = try? await api.objects.modify(api.vmis, namespace: vmi[path: ["metadata", "namespace"]]?.stringValue,
                                          name: vmi[path: ["metadata", "name"]]?.stringValue ?? "", subresource: "status") { cur in
            guard cur[path: ["metadata", "uid"]] == vmi[path: ["metadata", "uid"]] else { return cur }
            var c = cur
            let old = c[path: ["status", "phase"]]?.stringValue
            if old == "Succeeded" || old == "Failed" { return cur }
            c.set(path: ["status", "phase"], to: .string(phase))
            c.set(path: ["status", "nodeName"], to: .string(node))
            let running = phase == "Running"
            var conds = (c[path: ["status", "conditions"]]?.arrayValue ?? []).filter { !["Ready", "Paused", "SoftwareEmulation"].contains($0["type"]?.stringValue ?? "") }
            conds.append(["type": "Ready", "status": running && !paused ? "True" : "False", "lastProbeTime": .null,
                          "lastTransitionTime": .string(ObjectLifecycle.timestamp(Date()))])
            if paused { conds.append(["type": "Paused", "status": "True", "reason": "PausedByUser", "message": "VMI was paused by user", "lastProbeTime": .null]) }
            if emulation.mode == .tcg {
                conds.append(["type": "SoftwareEmulation", "status": "True", "reason": "KVMUnusable", "message": .string(emulation.reason)])
            }
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

    private func writePod(phase: String, ready: Bool, exitCode: Int32? = nil) async {
        let now = Date()
        let started = pod[path: ["status", "containerStatuses"]]?.arrayValue?.first?[path: ["state", "running", "startedAt"]]?.stringValue
            .flatMap(ObjectLifecycle.parseTimestamp) ?? now
        var state: ContainerObservation.State
        if let w = waiting, phase == "Pending" {
            state = .waiting(reason: w.reason, message: w.message)
        } else if let exitCode {
            state = .terminated(exitCode: exitCode, reason: exitCode == 0 ? "Completed" : "Error", message: nil, startedAt: started, finishedAt: now)
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
