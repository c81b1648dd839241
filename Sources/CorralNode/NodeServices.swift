import CorralAPI
import CorralModel
import Foundation
import Logging

/// Builds and starts the node side of corrald: the pod agent over the real
/// runtime, plus the image import directory (k3s-style air-gapped images).
public enum NodeServices {
    /// Starts the agent; returns the tasks to cancel at shutdown and the
    /// streams (logs, exec, attach, port-forward) for the API server.
    public static func start(objects: ObjectService, config: NodeAgentConfig, tokenSigner: ServiceAccountTokenSigner? = nil, logger: Logger) throws
        -> (tasks: [Task<Void, Never>], streams: NodeStreams, virt: VirtNode?) {
        let api = NodeAPI(objects: objects, nodeName: config.nodeName, logger: logger)
        let backend = try RuntimePodBackend(config: config, api: api, logger: logger)
        backend.tokenSigner = tokenSigner
        let importDir = config.imagesDir + "/import"
        try FileManager.default.createDirectory(atPath: importDir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: config.imagesDir + "/remove", withIntermediateDirectories: true)
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
                removeImages(backend: backend, directory: config.imagesDir + "/remove", logger: logger)
            }
        }
        return ([agentTask, importTask], RuntimeNodeStreams(backend: backend, vms: vms), vms.map { RuntimeVirtNode(vms: $0) })
    }

    /// `corral image rm` drops `ID.request` (a reference) here; the answer goes to `ID.result`.
    /// An image a container still uses is kept, as `crictl rmi` refuses it.
    static func removeImages(backend: RuntimePodBackend, directory: String, logger: Logger) {
        let fm = FileManager.default
        for f in ((try? fm.contentsOfDirectory(atPath: directory)) ?? []) where f.hasSuffix(".request") {
            let path = "\(directory)/\(f)"
            let ref = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            var answer: String
            do {
                guard let image = try backend.images.resolve(ref) else { throw VMError.image("image \"\(ref)\" not found") }
                let inUse = backend.sandboxes.knownPodUIDs().flatMap { backend.records($0).all() }
                    .contains { a in image.references.contains(a.image) && backend.driver.exitCode(id: a.id) == nil }
                if inUse { throw VMError.image("image \"\(ref)\" is in use by a running container") }
                let removed = try backend.images.remove(ref)
                answer = "removed \(removed.references.joined(separator: ", ")) (sha256:\(removed.id.hex.prefix(12)))"
            } catch {
                answer = "error: \(error)"
            }
            logger.info("image remove", metadata: ["reference": .string(ref), "result": .string(answer)])
            try? Data(answer.utf8).write(to: URL(fileURLWithPath: path.replacingOccurrences(of: ".request", with: ".result")))
            try? fm.removeItem(atPath: path)
        }
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
