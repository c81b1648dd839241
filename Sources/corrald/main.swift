import ArgumentParser
import CorralAPI
import CorralControllers
import CorralModel
import CorralPKI
import CorralStore
import Foundation
import Logging
import NIOSSL

/// corrald: the Corral daemon. One process: API server on SQLite, controllers, node.
struct Corrald: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "corrald", abstract: "Corral daemon: a single-node Kubernetes API with VMs and containers.")

    @Option(help: "State directory (database, PKI, kubeconfig).") var dataDir: String?
    @Option(help: "HOST:PORT to serve the API on.") var listen: String?
    @Option(help: "YAML config file; flags override it.") var config: String?
    @Option(help: "Name of this node (default: the host name).") var nodeName: String?
    @Option(help: "SQLite durability: full (fsync every commit) or normal.") var sync: String?
    @Option(help: "Seconds between watch-history compactions.") var compactionInterval: Double?
    @Option(help: "Seconds between watch bookmarks, when clients ask for them.") var bookmarkInterval: Double?
    @Flag(help: "Serve the API and controllers only: no scheduler, no pods or VMs on this host (touches no network devices).")
    var disableAgent = false
    @Option(help: "OCI runtime for containers: auto, runc or crun (auto picks one that works with this host's cgroups).")
    var ociRuntime: String?
    @Option(help: "VM emulation: auto, kvm or tcg (auto uses KVM only when it really works).") var emulation: String?

    func run() throws {
        // A client or child that goes away mid-write must not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
        let cfg = try DaemonConfig.load(file: config, overrides: self)
        LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        var logger = Logger(label: "corrald")
        logger.logLevel = .info
        let daemon = try Daemon(config: cfg, logger: logger)
        try daemon.start()
        daemon.waitForever()
    }
}

Corrald.main()
