import ArgumentParser
import Foundation

/// corral: the Vagrant-like CLI. Verbs that talk to the cluster use only the
/// HTTP API; `kubeconfig` reads the daemon's state directory.
struct Corral: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corral",
        abstract: "Run VMs and containers side by side through the Kubernetes API.",
        subcommands: [KubeconfigCommand.self])
}

struct KubeconfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kubeconfig", abstract: "Print the admin kubeconfig written by corrald.")

    @Option(help: "corrald's state directory.") var dataDir: String = "/var/lib/corral"

    func run() throws {
        let path = "\(dataDir)/kubeconfig.yaml"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read \(path): is corrald running with --data-dir \(dataDir)?")
        }
        print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
    }
}

Corral.main()
