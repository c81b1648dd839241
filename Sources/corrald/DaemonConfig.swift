import CorralStore
import Foundation
import Yams

/// Daemon settings: defaults, then the config file, then flags.
struct DaemonConfig {
    var dataDir = "/var/lib/corral"
    var listenHost = "127.0.0.1"
    var listenPort = 6443
    var nodeName: String?
    var sync: SyncMode = .full
    var compactionInterval: Double = 300
    var bookmarkInterval: Double = 5
    /// No scheduler and no node agent: an API-only daemon (control-plane tests, remote nodes).
    var disableAgent = false
    var ociRuntime = "auto"
    var emulation = "auto"

    static func load(file: String?, overrides f: Corrald) throws -> DaemonConfig {
        var c = DaemonConfig()
        if let file {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            guard let y = try Yams.load(yaml: text) as? [String: Any] else { throw ConfigError("\(file): not a YAML mapping") }
            for (k, v) in y {
                switch k {
                case "dataDir": c.dataDir = "\(v)"
                case "listen": try c.setListen("\(v)")
                case "nodeName": c.nodeName = "\(v)"
                case "sync": c.sync = try parseSync("\(v)")
                case "compactionInterval": c.compactionInterval = Double("\(v)") ?? c.compactionInterval
                case "bookmarkInterval": c.bookmarkInterval = Double("\(v)") ?? c.bookmarkInterval
                case "disableAgent": c.disableAgent = "\(v)" == "true"
                case "ociRuntime": c.ociRuntime = try parseChoice("ociRuntime", "\(v)", ["auto", "runc", "crun"])
                case "emulation": c.emulation = try parseChoice("emulation", "\(v)", ["auto", "kvm", "tcg"])
                default: throw ConfigError("\(file): unknown setting \"\(k)\"")
                }
            }
        }
        if let v = f.dataDir { c.dataDir = v }
        if let v = f.listen { try c.setListen(v) }
        if let v = f.nodeName { c.nodeName = v }
        if let v = f.sync { c.sync = try parseSync(v) }
        if let v = f.compactionInterval { c.compactionInterval = v }
        if let v = f.bookmarkInterval { c.bookmarkInterval = v }
        if f.disableAgent { c.disableAgent = true }
        if let v = f.ociRuntime { c.ociRuntime = try parseChoice("--oci-runtime", v, ["auto", "runc", "crun"]) }
        if let v = f.emulation { c.emulation = try parseChoice("--emulation", v, ["auto", "kvm", "tcg"]) }
        return c
    }

    mutating func setListen(_ s: String) throws {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else {
            throw ConfigError("--listen must be HOST:PORT, got \"\(s)\"")
        }
        listenHost = String(s[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        listenPort = port
    }

    static func parseChoice(_ name: String, _ v: String, _ allowed: [String]) throws -> String {
        guard allowed.contains(v) else { throw ConfigError("\(name) must be one of \(allowed.joined(separator: ", ")), got \"\(v)\"") }
        return v
    }

    static func parseSync(_ s: String) throws -> SyncMode {
        guard let m = SyncMode(rawValue: s) else { throw ConfigError("--sync must be full or normal, got \"\(s)\"") }
        return m
    }
}

struct ConfigError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
