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

    func run() throws {
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
