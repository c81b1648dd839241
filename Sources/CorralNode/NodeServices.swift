import CorralAPI
import CorralModel
import Foundation
import Logging

/// Builds and starts the node side of corrald: the pod agent over the real
/// runtime, plus the image import directory (k3s-style air-gapped images).
public enum NodeServices {
    /// Starts the agent; returns the tasks to cancel at shutdown and the
    /// streams (logs, exec, attach, port-forward) for the API server.
    public static func start(objects: ObjectService, config: NodeAgentConfig, logger: Logger) throws
        -> (tasks: [Task<Void, Never>], streams: NodeStreams, virt: VirtNode?) {
        let api = NodeAPI(objects: objects, nodeName: config.nodeName, logger: logger)
        let backend = try RuntimePodBackend(config: config, api: api, logger: logger)
        let importDir = config.imagesDir + "/import"
        try FileManager.default.createDirectory(atPath: importDir, withIntermediateDirectories: true)
        importImages(backend: backend, directory: importDir, logger: logger)
        var vms: VMBackend?
        do {
            vms = try VMBackend(config: config, pods: backend, logger: logger)
        } catch {
            logger.warning("virtual machines unavailable", metadata: ["error": .string("\(error)")])
        }
        let agent = NodeAgent(objects: objects, config: config, backend: backend, vms: vms, logger: logger)
        let known = backend.knownPodUIDs()
        let agentTask = Task { await agent.run(knownPodUIDsOnDisk: known) }
        // Archives dropped in later (`corral image import`) are picked up too.
        let importTask = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 2_000_000_000)
                importImages(backend: backend, directory: importDir, logger: logger)
            }
        }
        return ([agentTask, importTask], RuntimeNodeStreams(backend: backend, vms: vms), vms.map { RuntimeVirtNode(vms: $0) })
    }

    static func importImages(backend: RuntimePodBackend, directory: String, logger: Logger) {
        let pending = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".tar") || $0.hasSuffix(".tar.gz") }
        guard !pending.isEmpty else { return }
        let t0 = Date()
        let report = backend.images.importPending(directory: directory)
        logger.info("image import", metadata: ["dir": .string(directory), "report": .string("\(report)"),
                                               "ms": .stringConvertible(Int(Date().timeIntervalSince(t0) * 1000))])
    }
}
