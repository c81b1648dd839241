import CorralAPI
import CorralControllers
import CorralModel
import CorralNode
import CorralPKI
import CorralStore
import Foundation
import Logging
import NIOSSL

/// Wires the parts together and owns their lifetimes.
final class Daemon: @unchecked Sendable {
    let config: DaemonConfig
    let logger: Logger
    var store: SQLiteStore!
    var server: HTTPServer!
    var api: APIServer!
    var tasks: [Task<Void, Never>] = []
    var signalSources: [DispatchSourceSignal] = []

    init(config: DaemonConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
    }

    func start() throws {
        let t0 = Date()
        let fm = FileManager.default
        try fm.createDirectory(atPath: config.dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let hostName = HostFacts.hostName()
        let nodeName = config.nodeName ?? hostName
        let addresses = HostFacts.interfaceAddresses()
        var ips = Set(addresses + ["127.0.0.1", "::1"])
        if config.listenHost != "0.0.0.0" && config.listenHost != "::" && !config.listenHost.isEmpty && config.listenHost.first!.isNumber {
            ips.insert(config.listenHost)
        }
        let pki = try PKI.ensure(directory: "\(config.dataDir)/pki", dnsNames: Array(Set(["localhost", hostName, nodeName])).sorted(),
                                 ipAddresses: ips.sorted())
        store = try SQLiteStore(path: "\(config.dataDir)/store.db", sync: config.sync)
        let registry = ResourceRegistry.builtins()
        let objects = ObjectService(store: store, registry: registry)
        let auth = Authenticator()
        try auth.loadTokenFile("\(config.dataDir)/tokens.csv")
        // Service-account tokens (TokenRequest, `kubectl create token`) and RBAC for every request.
        let saSigner = try ServiceAccountTokenSigner.loadOrCreate(path: "\(config.dataDir)/pki/service-account.key")
        auth.enableServiceAccountsAndRBAC(objects: objects, signer: saSigner)

        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.serverCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.serverPrivateKeyPEM.utf8), format: .pem)))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caCertificatePEM.utf8)))
        // Clients may authenticate by token instead; a presented certificate must verify.
        tls.certificateVerification = .optionalVerification
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = ["http/1.1"]

        let clientHost = ["0.0.0.0", "::", ""].contains(config.listenHost) ? "127.0.0.1" : config.listenHost
        api = APIServer(objects: objects, info: ServerInfo(advertiseAddress: "\(clientHost):\(config.listenPort)"),
                        authenticator: auth, logger: logger)
        api.bookmarkInterval = config.bookmarkInterval
        server = try HTTPServer(handler: api, tls: tls, threads: 2, logger: logger)
        let port = try server.start(host: config.listenHost, port: config.listenPort)

        let hostPart = clientHost.contains(":") ? "[\(clientHost)]" : clientHost
        let kubeconfig = Kubeconfig.render(server: "https://\(hostPart):\(port)", caPEM: pki.caCertificatePEM, userName: "corral-admin",
                                           clientCertificatePEM: pki.adminCertificatePEM, clientKeyPEM: pki.adminPrivateKeyPEM)
        try Kubeconfig.write(kubeconfig, to: "\(config.dataDir)/kubeconfig.yaml")

        let facts = NodeFacts.probe(name: nodeName, addresses: addresses, dataDir: config.dataDir)
        let logger = self.logger
        let api = self.api!
        let store = self.store!
        let compactionInterval = config.compactionInterval
        let ready = DispatchSemaphore(value: 0)
        var bootError: Error?
        // Custom resources are served again before the API reports ready.
        let crds = CustomResourceDefinitionController(objects: objects, logger: logger)
        Task {
            await crds.restore()
            do {
                try await ObjectService.$internalManager.withValue("kube-apiserver") {
                    try await Bootstrap.run(objects: objects, node: facts, apiPort: port, logger: logger)
                    try await RBACBootstrap.run(objects: objects, logger: logger)
                }
            } catch {
                bootError = error
            }
            ready.signal()
        }
        ready.wait()
        if let bootError { throw bootError }
        api.ready = true
        logger.info("serving", metadata: ["listen": .string("\(config.listenHost):\(port)"), "node": .string(nodeName),
                                          "dataDir": .string(config.dataDir), "startupMs": .stringConvertible(Int(Date().timeIntervalSince(t0) * 1000))])

        let gc = GarbageCollector(objects: objects, logger: logger)
        let nsc = NamespaceController(objects: objects, logger: logger)
        tasks.append(ObjectService.spawn(as: "kube-controller-manager") { await gc.run() })
        tasks.append(ObjectService.spawn(as: "kube-controller-manager") { await nsc.run() })
        tasks.append(ObjectService.spawn(as: "kube-apiserver") { await crds.run() })
        let aggregation = ClusterRoleAggregationController(objects: objects, logger: logger)
        tasks.append(ObjectService.spawn(as: "kube-controller-manager") { await aggregation.run() })
        let rsEvents = EventRecorder(objects: objects, component: "replicaset-controller", logger: logger)
        let deployEvents = EventRecorder(objects: objects, component: "deployment-controller", logger: logger)
        let rsc = ReplicaSetController(objects: objects, events: rsEvents, logger: logger)
        let dc = DeploymentController(objects: objects, events: deployEvents, logger: logger)
        tasks.append(ObjectService.spawn(as: "kube-controller-manager") { await rsc.run() })
        tasks.append(ObjectService.spawn(as: "kube-controller-manager") { await dc.run() })
        let vmc = VirtualMachineController(objects: objects, events: EventRecorder(objects: objects, component: "virtualmachine-controller", logger: logger),
                                           logger: logger)
        let launchers = LauncherController(objects: objects, logger: logger)
        tasks.append(ObjectService.spawn(as: "virt-controller") { await vmc.run() })
        tasks.append(ObjectService.spawn(as: "virt-controller") { await launchers.run() })
        let vmirs = VMIReplicaSetController(objects: objects, events: EventRecorder(objects: objects, component: "virtualmachine-controller", logger: logger), logger: logger)
        tasks.append(ObjectService.spawn(as: "virt-controller") { await vmirs.run() })
        if !config.disableAgent {
            let scheduler = Scheduler(objects: objects, events: EventRecorder(objects: objects, component: "default-scheduler", logger: logger),
                                      logger: logger)
            tasks.append(ObjectService.spawn(as: "kube-scheduler") { await scheduler.run() })
            var agentConfig = NodeAgentConfig(dataDir: config.dataDir, nodeName: nodeName, hostIP: facts.addresses.first ?? "127.0.0.1")
            agentConfig.ociRuntime = config.ociRuntime
            agentConfig.emulation = config.emulation
            // The node agent's tasks (and the VM workers they start) inherit "kubelet".
            let node = try ObjectService.$internalManager.withValue("kubelet") {
                try NodeServices.start(objects: objects, config: agentConfig, tokenSigner: saSigner, logger: logger)
            }
            tasks += node.tasks
            api.nodeStreams = node.streams
            api.virtNode = node.virt
        }
        tasks.append(Task { await Daemon.compactLoop(store: store, interval: compactionInterval, logger: logger) })
        installSignalHandlers()
    }

    /// Compacts history to the revision seen one interval ago, like
    /// kube-apiserver's periodic etcd compaction.
    static func compactLoop(store: SQLiteStore, interval: Double, logger: Logger) async {
        var previous = (try? await store.currentRevision()) ?? 0
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(max(interval, 0.05) * 1e9))
            let current = (try? await store.currentRevision()) ?? previous
            if previous > store.compactedRevision {
                do {
                    try await store.compact(upTo: previous)
                    logger.debug("compacted", metadata: ["revision": .stringConvertible(previous)])
                } catch is CancellationError {
                    break  // shutting down
                } catch {
                    logger.error("compaction failed", metadata: ["error": .string("\(error)")])
                }
            }
            previous = current
        }
    }

    func installSignalHandlers() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .main)
            src.setEventHandler { [self] in
                logger.info("shutting down", metadata: ["signal": .stringConvertible(sig)])
                for t in tasks { t.cancel() }
                server.stop()
                store.close()
                exit(0)
            }
            src.resume()
            signalSources.append(src)
        }
    }

    func waitForever() -> Never {
        dispatchMain()
    }
}
