import CorralAPI
import CorralModel
import CorralStore
import Foundation
import Logging

/// KubeVirt's VMI controller: gives each VMI a launcher pod and follows the
/// pod through scheduling (Pending → Scheduling → Scheduled, or
/// PodScheduled=False/Unschedulable). The node agent takes over from there.
public final class LauncherController: @unchecked Sendable {
    let objects: ObjectService
    let logger: Logger
    let vmiType: ResourceType
    let podType: ResourceType

    public init(objects: ObjectService, logger: Logger) {
        self.objects = objects
        self.logger = logger
        vmiType = objects.registry.lookup(group: "kubevirt.io", version: "v1", resource: "virtualmachineinstances")!
        podType = objects.registry.lookup(group: "", version: "v1", resource: "pods")!
    }

    public func run() async {
        let subs = [vmiType.storageKey, podType.storageKey].map { objects.store.hub.subscribe(storageKey: $0) }
        defer { subs.forEach { $0.cancel() } }
        let ticks = AsyncStream<Void>(bufferingPolicy: .bufferingNewest(1)) { cont in
            let watchers = subs.map { s in Task { for await _ in s.stream { cont.yield(()) } } }
            let timer = Task { while !Task.isCancelled { try? await Task.sleep(nanoseconds: 5_000_000_000); cont.yield(()) } }
            cont.onTermination = { _ in watchers.forEach { $0.cancel() }; timer.cancel() }
        }
        await reconcileAll()
        for await _ in ticks {
            if Task.isCancelled { break }
            await reconcileAll()
        }
    }

    func reconcileAll() async {
        guard let (vmis, _) = try? await objects.store.list(storageKey: vmiType.storageKey, namespace: nil),
              let (pods, _) = try? await objects.store.list(storageKey: podType.storageKey, namespace: nil) else { return }
        var launchers: [String: JSONValue] = [:]
        for s in pods {
            guard let p = try? s.decoded(), LauncherPod.isLauncher(p),
                  let owner = p[path: ["metadata", "labels", LauncherPod.createdByLabel]]?.stringValue else { continue }
            launchers[owner] = p
        }
        for s in vmis {
            guard let vmi = try? s.decoded() else { continue }
            await reconcile(vmi, launcher: launchers[vmi[path: ["metadata", "uid"]]?.stringValue ?? ""])
        }
    }

    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    func reconcile(_ vmi: JSONValue, launcher: JSONValue?) async {
        let ns = vmi[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let name = vmi[path: ["metadata", "name"]]?.stringValue ?? ""
        let phase = vmi[path: ["status", "phase"]]?.stringValue ?? ""
        if vmi[path: ["metadata", "deletionTimestamp"]] != nil || phase == "Succeeded" || phase == "Failed" { return }
        guard let launcher else {
            guard phase == "" || phase == "Pending" else { return }  // a launcher that vanished later is the node's business
            let suffix = String((0..<5).map { _ in Self.alphabet.randomElement()! })
            do {
                _ = try await objects.create(podType, namespace: ns, object: LauncherPod.make(for: vmi, suffix: suffix))
                await setPhase(vmi, "Scheduling", scheduled: nil)
            } catch {
                logger.warning("create launcher pod", metadata: ["vmi": .string("\(ns)/\(name)"), "error": .string("\(error)")])
            }
            return
        }
        let podScheduled = (launcher[path: ["status", "conditions"]]?.arrayValue ?? []).first { $0["type"] == "PodScheduled" }
        if let node = launcher[path: ["spec", "nodeName"]]?.stringValue, !node.isEmpty {
            if phase == "" || phase == "Pending" || phase == "Scheduling" { await setPhase(vmi, "Scheduled", scheduled: podScheduled, node: node) }
        } else if podScheduled?["status"] == "False" {
            await setPhase(vmi, "Scheduling", scheduled: podScheduled)
        }
    }

    func setPhase(_ vmi: JSONValue, _ phase: String, scheduled: JSONValue?, node: String? = nil) async {
        let ns = vmi[path: ["metadata", "namespace"]]?.stringValue
        let name = vmi[path: ["metadata", "name"]]?.stringValue ?? ""
        let uid = vmi[path: ["metadata", "uid"]]
        _ = try? await objects.modify(vmiType, namespace: ns, name: name, subresource: "status") { cur in
            guard cur[path: ["metadata", "uid"]] == uid else { return cur }
            var c = cur
            let old = c[path: ["status", "phase"]]?.stringValue
            if ["Running", "Succeeded", "Failed"].contains(old ?? "") { return cur }
            c.set(path: ["status", "phase"], to: .string(phase))
            if let node { c.set(path: ["status", "nodeName"], to: .string(node)) }
            var conds = (c[path: ["status", "conditions"]]?.arrayValue ?? []).filter { $0["type"] != "PodScheduled" }
            if let scheduled { conds.append(scheduled) }
            c.set(path: ["status", "conditions"], to: .array(conds))
            if old != phase {
                var ts = c[path: ["status", "phaseTransitionTimestamps"]]?.arrayValue ?? []
                ts.append(["phase": .string(phase), "phaseTransitionTimestamp": .string(ObjectLifecycle.timestamp(Date()))])
                c.set(path: ["status", "phaseTransitionTimestamps"], to: .array(ts))
            }
            return c
        }
    }
}
