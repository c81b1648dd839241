import ArgumentParser
import Foundation

/// corral: the Vagrant-like CLI. Verbs that talk to the cluster use only the
/// HTTP API; `kubeconfig` reads the daemon's state directory.
struct Corral: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corral",
        abstract: "Run VMs and containers side by side through the Kubernetes API.",
        subcommands: [KubeconfigCommand.self, ImageCommand.self] + VirtVerbs.commands)
}

struct KubeconfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubeconfig",
        abstract: "Print the admin kubeconfig written by corrald, or mint one for a service account.",
        discussion: """
            With --service-account NS/NAME, talks to the API (as the --kubeconfig/$KUBECONFIG/~/.kube/config user, \
            else the admin kubeconfig in --data-dir) and prints a kubeconfig holding a TokenRequest token for that \
            service account, with NS as the context's namespace. --role R --create-binding first creates the \
            service account if missing and a RoleBinding in NS to ClusterRole R (view, edit or admin).
            """)

    @Option(help: "corrald's state directory.") var dataDir: String = "/var/lib/corral"
    @Option(help: "Kubeconfig to talk to the API with (with --service-account).") var kubeconfig: String?
    @Option(help: "Mint a kubeconfig for this service account (NAMESPACE/NAME).") var serviceAccount: String?
    @Option(help: "Token lifetime, e.g. 24h, 90m (minimum 10m).") var duration: String = "24h"
    @Option(help: "ClusterRole to bind in the namespace: view, edit or admin.") var role: String?
    @Flag(help: "Create the service account (if missing) and the RoleBinding to --role.") var createBinding = false

    func run() throws {
        guard let serviceAccount else {
            if role != nil || createBinding { throw ValidationError("--role and --create-binding need --service-account") }
            let path = "\(dataDir)/kubeconfig.yaml"
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read \(path): is corrald running with --data-dir \(dataDir)?")
            }
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            return
        }
        if let role, !["view", "edit", "admin"].contains(role) { throw ValidationError("--role must be view, edit or admin") }
        do {
            let (ns, name) = try ServiceAccountKubeconfig.parseTarget(serviceAccount)
            let seconds = try ServiceAccountKubeconfig.parseDuration(duration)
            let client = try CurlClient(APICredentials.load(kubeconfig: sourceKubeconfig()))
            let job = ServiceAccountKubeconfig(namespace: ns, name: name, seconds: seconds, role: role, createBinding: createBinding)
            let text = try job.run(client: client) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
            print(text, terminator: "")
        } catch let e as CLIError {
            FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// kubectl's lookup order, then the daemon's admin kubeconfig.
    func sourceKubeconfig() -> String {
        if let kubeconfig { return kubeconfig }
        if let env = ProcessInfo.processInfo.environment["KUBECONFIG"], !env.isEmpty {
            return String(env.split(separator: ":").first ?? Substring(env))
        }
        let home = FileManager.default.homeDirectoryForCurrentUser.path + "/.kube/config"
        if FileManager.default.fileExists(atPath: home) { return home }
        return "\(dataDir)/kubeconfig.yaml"
    }
}

if KubectlVirt.invokedAsPlugin { KubectlVirt.main() } else { Corral.main() }
