import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// KubeVirt's VM controller: keeps a VirtualMachineInstance per VM as its
/// run strategy says (Always, RerunOnFailure, Once, Manual, Halted), with
/// crash-loop back-off, and writes the VM's status (printableStatus, ready,
/// created, conditions).
public final class VirtualMachineController: @unchecked Sendable {
    let objects: ObjectService
    let events: EventRecorder
    let logger: Logger
    let vmType: ResourceType
    let vmiType: ResourceType
    let podType: ResourceType

    public init(objects: ObjectService, events: EventRecorder, logger: Logger) {
        self.objects = objects
        self.events = events
        self.logger = logger
        vmType = objects.registry.lookup(group: "kubevirt.io", version: "v1", resource: "virtualmachines")!
        vmiType = objects.registry.lookup(group: "kubevirt.io", version: "v1", resource: "virtualmachineinstances")!
        podType = objects.registry.lookup(group: "", version: "v1", resource: "pods")!
    }

    public func run() async {
        let subs = [vmType.storageKey, vmiType.storageKey, podType.storageKey].map { objects.store.hub.subscribe(storageKey: $0) }
        defer { subs.forEach { $0.cancel() } }
        let ticks = AsyncStream<Void>(bufferingPolicy: .bufferingNewest(1)) { cont in
            let watchers = subs.map { s in Task { for await _ in s.stream { cont.yield(()) } } }
            let timer = Task { while !Task.isCancelled { try? await Task.sleep(nanoseconds: 1_000_000_000); cont.yield(()) } }
            cont.onTermination = { _ in watchers.forEach { $0.cancel() }; timer.cancel() }
        }
        await reconcileAll()
        for await _ in ticks {
            if Task.isCancelled { break }
            await reconcileAll()
        }
    }

    func list(_ t: ResourceType) async throws -> [JSONValue] {
        try await objects.store.list(storageKey: t.storageKey, namespace: nil).items.compactMap { try? $0.decoded() }
    }

    /// A pass that cannot read VMs, VMIs and launcher pods all acts on nothing:
    /// a VMI missing from the picture would look like a stopped VM.
    func reconcileAll() async {
        guard let vmiList = try? await list(vmiType), let podList = try? await list(podType), let vmList = try? await list(vmType)
        else { return }
        let vmis = Dictionary(vmiList.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let launcherReasons = Dictionary(podList.compactMap { p -> (String, String)? in
            guard p[path: ["metadata", "labels", "kubevirt.io"]]?.stringValue == "virt-launcher",
                  let vmiName = p[path: ["metadata", "labels", "vm.kubevirt.io/name"]]?.stringValue,
                  let reason = p[path: ["status", "containerStatuses"]]?.arrayValue?.first?[path: ["state", "waiting", "reason"]]?.stringValue
            else { return nil }
            return ("\(p[path: ["metadata", "namespace"]]?.stringValue ?? "")/\(vmiName)", reason)
        }, uniquingKeysWith: { a, _ in a })
        for vm in vmList {
            await reconcile(vm, vmi: vmis[key(vm)], launcherReason: launcherReasons[key(vm)])
        }
    }

    func key(_ o: JSONValue) -> String {
        "\(o[path: ["metadata", "namespace"]]?.stringValue ?? "")/\(o[path: ["metadata", "name"]]?.stringValue ?? "")"
    }

    func reconcile(_ vm: JSONValue, vmi: JSONValue?, launcherReason: String?) async {
        let ns = vm[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let name = vm[path: ["metadata", "name"]]?.stringValue ?? ""
        // A VMI with our name but another owner is not ours to manage.
        let owned = vmi.map { v in (v[path: ["metadata", "ownerReferences"]]?.arrayValue ?? []).contains { $0["uid"] == vm[path: ["metadata", "uid"]] } } ?? true
        let now = Date()
        switch VirtualMachinePlanner.plan(vm: vm, vmi: owned ? vmi : nil, now: now) {
        case .createVMI:
            do {
                _ = try await objects.create(vmiType, namespace: ns, object: VirtualMachinePlanner.vmiFor(vm))
                await events.record(object: vm, type: "Normal", reason: "SuccessfulCreate", message: "Started the virtual machine by creating the new virtual machine instance \(name)")
                await popStateChange(vm, ifAction: "Start")
                // A Start request on a Halted VM (e.g. `start --paused`) turns it on for good, as KubeVirt does.
                if VirtualMachinePlanner.runStrategy(vm) == "Halted" {
                    _ = try? await objects.modify(vmType, namespace: ns, name: name) { cur in
                        var c = cur
                        if c[path: ["spec", "running"]] != nil { c.set(path: ["spec", "running"], to: true) } else { c.set(path: ["spec", "runStrategy"], to: "Always") }
                        return c
                    }
                }
            } catch let e as APIError where e.code == 409 {
            } catch {
                logger.warning("create VMI", metadata: ["vm": .string(key(vm)), "error": .string("\(error)")])
            }
            return
        case .deleteVMI(let uid):
            // Count the failure before the VMI (and its phase history) is gone.
            if let vmi { await writeStatus(vm, vmi: vmi, launcherReason: launcherReason, now: now) }
            _ = try? await objects.delete(vmiType, namespace: ns, name: name, options: DeleteOptions(preconditionUID: uid))
            await events.record(object: vm, type: "Normal", reason: "SuccessfulDelete", message: "Stopped the virtual machine by deleting the virtual machine instance \(uid)")
        case .dropStopRequest:
            // A Stop aimed at a VMI that still exists but is not ours (made by hand) waits for it to go.
            let target = vm[path: ["status", "stateChangeRequests"]]?.arrayValue?.first?["uid"]?.stringValue
            if let vmi, !owned, target != nil, vmi[path: ["metadata", "uid"]]?.stringValue == target { break }
            await popStateChange(vm, ifAction: "Stop")  // the status write wakes the next pass (a restart's Start)
            return
        case .waitUntil, .none:
            break
        }
        await writeStatus(vm, vmi: owned ? vmi : nil, launcherReason: launcherReason, now: now)
    }

    /// Drops the first stateChangeRequest once it has been acted on.
    func popStateChange(_ vm: JSONValue, ifAction action: String) async {
        guard vm[path: ["status", "stateChangeRequests"]]?.arrayValue?.first?["action"]?.stringValue == action else { return }
        _ = try? await objects.modify(vmType, namespace: vm[path: ["metadata", "namespace"]]?.stringValue, name: vm[path: ["metadata", "name"]]?.stringValue ?? "",
                                      subresource: "status") { cur in
            var c = cur
            var reqs = c[path: ["status", "stateChangeRequests"]]?.arrayValue ?? []
            if !reqs.isEmpty { reqs.removeFirst() }
            c.set(path: ["status", "stateChangeRequests"], to: reqs.isEmpty ? nil : .array(reqs))
            return c
        }
    }

    func writeStatus(_ vm: JSONValue, vmi: JSONValue?, launcherReason: String?, now: Date) async {
        let ns = vm[path: ["metadata", "namespace"]]?.stringValue
        let name = vm[path: ["metadata", "name"]]?.stringValue ?? ""
        _ = try? await objects.modify(vmType, namespace: ns, name: name, subresource: "status") { cur in
            var c = cur
            var st = c["status"]?.objectValue ?? JSONObject()
            // Crash-loop tracking: an ended VMI counts once (by UID); a healthy guest or a
            // strategy that no longer restarts clears it.
            if let vmi, let failure = VirtualMachinePlanner.startFailure(vm: c, vmi: vmi, now: now) {
                st["startFailure"] = failure
            } else if st["startFailure"] != nil, VirtualMachinePlanner.clearsStartFailure(vm: c, vmi: vmi, now: now) {
                st["startFailure"] = nil
            }
            let vmiReady = (vmi?[path: ["status", "conditions"]]?.arrayValue ?? []).contains { $0["type"] == "Ready" && $0["status"] == "True" }
            st["created"] = vmi == nil ? nil : .bool(true)
            st["ready"] = vmi == nil ? nil : .bool(vmiReady)
            c["status"] = .object(st)
            c.set(path: ["status", "printableStatus"], to: .string(VirtualMachinePlanner.printableStatus(vm: c, vmi: vmi, launcherWaitingReason: launcherReason, now: now)))
            c.set(path: ["status", "runStrategy"], to: .string(VirtualMachinePlanner.runStrategy(c)))
            var conds: [JSONValue] = [["type": "Ready", "status": vmiReady ? "True" : "False", "lastProbeTime": .null,
                                       "lastTransitionTime": .null, "reason": vmi == nil ? "VMINotExists" : (vmiReady ? "" : "VMINotReady")]]
            if let paused = (vmi?[path: ["status", "conditions"]]?.arrayValue ?? []).first(where: { $0["type"] == "Paused" }) { conds.append(paused) }
            c.set(path: ["status", "conditions"], to: .array(conds))
            return c
        }
    }
}
