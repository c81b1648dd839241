import CorralModel
import Foundation

/// `corral kubeconfig --service-account NS/NAME`: a kubeconfig for a
/// namespace-limited user, made only through the HTTP API (optionally
/// creating the ServiceAccount and a RoleBinding to admin/edit/view), with a
/// TokenRequest token and the namespace set in its context.
struct ServiceAccountKubeconfig {
    var namespace: String
    var name: String
    var seconds: Int64
    var role: String?
    var createBinding: Bool

    /// Parses "NS/NAME".
    static func parseTarget(_ s: String) throws -> (String, String) {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw CLIError("--service-account wants NAMESPACE/NAME, got \"\(s)\"")
        }
        return (parts[0], parts[1])
    }

    /// Parses a Go-style duration ("24h", "90m", "1h30m", "3600s", or plain seconds) into seconds.
    static func parseDuration(_ s: String) throws -> Int64 {
        if let plain = Int64(s) { return plain }
        var total: Int64 = 0, number = ""
        for c in s {
            if c.isNumber { number.append(c); continue }
            guard let n = Int64(number) else { throw CLIError("invalid duration \"\(s)\"") }
            switch c {
            case "h": total += n * 3600
            case "m": total += n * 60
            case "s": total += n
            case "d": total += n * 86400
            default: throw CLIError("invalid duration \"\(s)\": unknown unit \"\(c)\"")
            }
            number = ""
        }
        guard number.isEmpty, total > 0 else { throw CLIError("invalid duration \"\(s)\"") }
        return total
    }

    /// Does the API calls and returns the kubeconfig text.
    func run(client: CurlClient, log: (String) -> Void) throws -> String {
        let saPath = "/api/v1/namespaces/\(namespace)/serviceaccounts"
        let existing = try client.call("GET", "\(saPath)/\(name)", allowed: [404])
        if existing.status == 404 {
            guard createBinding else {
                throw CLIError("serviceaccount \(namespace)/\(name) not found (add --role ROLE --create-binding to create it)")
            }
            try client.call("POST", saPath, body: ["apiVersion": "v1", "kind": "ServiceAccount",
                                                   "metadata": ["name": .string(name), "namespace": .string(namespace)]])
            log("serviceaccount/\(name) created in \(namespace)")
        }
        if createBinding {
            guard let role else { throw CLIError("--create-binding needs --role view|edit|admin") }
            let bindingName = "\(name)-\(role)"
            let binding: JSONValue = [
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": ["name": .string(bindingName), "namespace": .string(namespace),
                             "labels": ["app.kubernetes.io/managed-by": "corral"]],
                "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(role)],
                "subjects": [["kind": "ServiceAccount", "name": .string(name), "namespace": .string(namespace)]],
            ]
            let r = try client.call("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/\(namespace)/rolebindings",
                                    body: binding, allowed: [409])
            log(r.status == 409 ? "rolebinding/\(bindingName) already exists in \(namespace)"
                                : "rolebinding/\(bindingName) created in \(namespace) (ClusterRole \(role))")
        }
        let tr: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                             "spec": ["expirationSeconds": .int(seconds)]]
        let (_, body) = try client.call("POST", "\(saPath)/\(name)/token", body: tr)
        guard let token = body?[path: ["status", "token"]]?.stringValue else { throw CLIError("TokenRequest returned no token") }
        log("token expires \(body?[path: ["status", "expirationTimestamp"]]?.stringValue ?? "?")")
        return Self.render(server: client.credentials.server, caPEM: client.credentials.caPEM,
                           user: RBACUser.serviceAccountUsername(namespace: namespace, name: name), token: token,
                           context: "\(name)@corral", namespace: namespace)
    }

    /// A kubeconfig with one cluster, one token user and one context with a namespace.
    /// Strings are written as JSON strings, which YAML reads verbatim.
    static func render(server: String, caPEM: String?, user: String, token: String, context: String, namespace: String) -> String {
        func q(_ s: String) -> String { JSONValue.string(s).jsonString() }
        var cluster = ["    server: \(q(server))"]
        if let caPEM { cluster.append("    certificate-authority-data: \(Data(caPEM.utf8).base64EncodedString())") }
        return ([
            "apiVersion: v1",
            "kind: Config",
            "preferences: {}",
            "clusters:",
            "- name: corral",
            "  cluster:",
        ] + cluster + [
            "users:",
            "- name: \(q(user))",
            "  user:",
            "    token: \(q(token))",
            "contexts:",
            "- name: \(q(context))",
            "  context:",
            "    cluster: corral",
            "    user: \(q(user))",
            "    namespace: \(q(namespace))",
            "current-context: \(q(context))",
        ]).joined(separator: "\n") + "\n"
    }
}
