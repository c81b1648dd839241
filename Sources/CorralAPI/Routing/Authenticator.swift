import Foundation

/// Decides who a request comes from: a verified client certificate (CN is
/// the user, O the groups) or a bearer token from the token file. Anonymous
/// requests get no identity and are refused with 401.
public final class Authenticator: @unchecked Sendable {
    private var tokens: [String: Identity] = [:]
    private let lock = NSLock()

    public init() {}

    /// Loads a kube-apiserver style token file: `token,user,uid,"group1,group2"` per line.
    public func loadTokenFile(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var map: [String: Identity] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = splitCSV(String(line))
            guard fields.count >= 2, !fields[0].isEmpty else { continue }
            let groups = fields.count >= 4 ? fields[3].split(separator: ",").map(String.init) : []
            map[fields[0]] = Identity(user: fields[1], groups: groups + ["system:authenticated"])
        }
        lock.withLock { tokens = map }
    }

    /// Registers one token (tests, bootstrap).
    public func addToken(_ token: String, identity: Identity) {
        lock.withLock { tokens[token] = identity }
    }

    func authenticate(_ req: HTTPRequest) -> Identity? {
        if var id = req.certificateIdentity {
            if !id.groups.contains("system:authenticated") { id.groups.append("system:authenticated") }
            return id
        }
        guard let auth = req.headers.first(name: "Authorization"), auth.lowercased().hasPrefix("bearer ") else { return nil }
        let token = auth.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return lock.withLock { tokens[token] }
    }

    private func splitCSV(_ line: String) -> [String] {
        var out: [String] = []
        var cur = ""
        var quoted = false
        for c in line {
            if c == "\"" { quoted.toggle(); continue }
            if c == "," && !quoted { out.append(cur); cur = ""; continue }
            cur.append(c)
        }
        out.append(cur)
        return out.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
