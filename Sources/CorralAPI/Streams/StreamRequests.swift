import CorralModel
import Foundation

/// Pure checks kube-apiserver makes before connecting a pod stream
/// (pkg/registry/core/pod/strategy.go), with its wording.
enum StreamRequests {
    /// The container a request means: the only one when none is named; a named one
    /// must be a container, init container or ephemeral container of the pod.
    static func resolveContainer(_ requested: String?, pod: JSONValue) throws -> String {
        let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        let spec = pod["spec"]
        let regular = names(spec?["containers"])
        let all = names(spec?["initContainers"]) + regular + names(spec?["ephemeralContainers"])
        guard let requested, !requested.isEmpty else {
            switch regular.count {
            case 1: return regular[0]
            case 0: throw APIError.badRequest("a container name must be specified for pod \(name)")
            default:
                throw APIError.badRequest("a container name must be specified for pod \(name), choose one of: [\(all.joined(separator: " "))]")
            }
        }
        guard all.contains(requested) else { throw APIError.badRequest("container \(requested) is not valid for pod \(name)") }
        return requested
    }

    /// Streams (other than logs) need the pod bound to a node.
    static func requireNode(_ pod: JSONValue) throws {
        if (pod[path: ["spec", "nodeName"]]?.stringValue ?? "").isEmpty {
            let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
            throw APIError.badRequest("pod \(name) does not have a host assigned")
        }
    }

    /// stdin/stdout/stderr/tty from the query (PodExecOptions / PodAttachOptions).
    /// Like kubelet, stderr is dropped with a TTY, and at least one stream is required.
    static func stdio(_ query: [String: [String]]) throws -> StdioOptions {
        let tty = queryBool(query["tty"])
        let o = StdioOptions(stdin: queryBool(query["stdin"]), stdout: queryBool(query["stdout"]),
                             stderr: queryBool(query["stderr"]) && !tty, tty: tty)
        if !o.stdin && !o.stdout && !o.stderr {
            throw APIError.badRequest("you must specify at least 1 of stdin, stdout, stderr")
        }
        return o
    }

    /// The command of an exec request (repeated `command` parameters).
    static func command(_ query: [String: [String]]) throws -> [String] {
        let cmd = query["command"] ?? []
        if cmd.isEmpty { throw APIError.badRequest("you must specify at least 1 command") }
        return cmd
    }

    /// Ports of a WebSocket port-forward: `ports` (PodPortForwardOptions) or kubelet's `port`,
    /// each a comma-separated list.
    static func ports(_ query: [String: [String]]) throws -> [UInt16] {
        let raw = (query["ports"] ?? []) + (query["port"] ?? [])
        if raw.isEmpty { throw APIError.badRequest("query parameter \"port\" is required") }
        var out: [UInt16] = []
        for value in raw {
            if value.isEmpty { throw APIError.badRequest("query parameter \"port\" cannot be empty") }
            for p in value.split(separator: ",", omittingEmptySubsequences: false) {
                guard let port = UInt16(p.trimmingCharacters(in: .whitespaces)) else {
                    throw APIError.badRequest("unable to parse \"\(value)\" as a port")
                }
                if port < 1 { throw APIError.badRequest("port \"\(value)\" must be > 0") }
                out.append(port)
            }
        }
        return out
    }

    private static func names(_ list: JSONValue?) -> [String] {
        (list?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }
}
