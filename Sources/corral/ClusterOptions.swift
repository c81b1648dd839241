import ArgumentParser
import Foundation
import Yams

/// Where a cluster verb talks to and in which namespace: kubectl's lookup
/// (--kubeconfig, $KUBECONFIG, ~/.kube/config, then corrald's admin kubeconfig)
/// and -n, else the context's namespace, else "default".
struct ClusterOptions: ParsableArguments {
    @Option(help: "Kubeconfig to talk to the API with.") var kubeconfig: String?
    @Option(name: [.short, .long], help: "Namespace of the virtual machine (default: the context's, else default).") var namespace: String?
    @Option(help: "corrald's state directory (its admin kubeconfig is the last fallback).") var dataDir: String = "/var/lib/corral"

    /// The kubeconfig file in effect.
    func kubeconfigPath() -> String {
        if let kubeconfig { return kubeconfig }
        if let env = ProcessInfo.processInfo.environment["KUBECONFIG"], !env.isEmpty {
            return String(env.split(separator: ":").first ?? Substring(env))
        }
        let home = FileManager.default.homeDirectoryForCurrentUser.path + "/.kube/config"
        if FileManager.default.fileExists(atPath: home) { return home }
        return "\(dataDir)/kubeconfig.yaml"
    }

    func credentials() throws -> APICredentials { try APICredentials.load(kubeconfig: kubeconfigPath()) }

    /// -n, else the current context's namespace, else "default".
    func resolvedNamespace() -> String {
        if let namespace, !namespace.isEmpty { return namespace }
        return Self.contextNamespace(kubeconfig: kubeconfigPath()) ?? "default"
    }

    /// The namespace set in the kubeconfig's current context, if any.
    static func contextNamespace(kubeconfig path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let doc = (try? Yams.load(yaml: text)) as? [String: Any],
              let current = doc["current-context"] as? String,
              let ctx = (doc["contexts"] as? [[String: Any]])?.first(where: { $0["name"] as? String == current })?["context"] as? [String: Any],
              let ns = ctx["namespace"] as? String, !ns.isEmpty
        else { return nil }
        return ns
    }
}

/// Runs a CLI body, printing a CLIError as kubectl plugins do (message on stderr, exit 1).
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as CLIError {
        FileHandle.standardError.write(Data("\(e.description)\n".utf8))
        throw ExitCode.failure
    }
}

/// Runs async work from a synchronous command (the CLI's root command is not async).
func runBlocking(_ body: @escaping @Sendable () async throws -> Void) throws {
    final class Box: @unchecked Sendable { var error: Error? }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { try await body() } catch { box.error = error }
        done.signal()
    }
    done.wait()
    if let e = box.error { throw e }
}

/// Percent-encodes one path segment (names are DNS labels, but be safe).
func pathSegment(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
}
