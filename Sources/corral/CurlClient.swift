import CorralModel
import Foundation
import Yams

/// Where the API is and how to authenticate, read from a kubeconfig's current context.
struct APICredentials {
    var server: String
    var caPEM: String?
    var clientCertificatePEM: String?
    var clientKeyPEM: String?
    var token: String?

    /// Reads the current context of the kubeconfig at `path` (inline `-data` fields or file paths).
    static func load(kubeconfig path: String) throws -> APICredentials {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("cannot read kubeconfig \(path)") }
        guard let doc = try Yams.load(yaml: text) as? [String: Any] else { throw CLIError("\(path) is not a kubeconfig") }
        func named(_ list: String, _ name: String, _ field: String) -> [String: Any]? {
            (doc[list] as? [[String: Any]])?.first { $0["name"] as? String == name }?[field] as? [String: Any]
        }
        let ctxName = doc["current-context"] as? String ?? ""
        guard let ctx = named("contexts", ctxName, "context"), let clusterName = ctx["cluster"] as? String,
              let cluster = named("clusters", clusterName, "cluster"), let server = cluster["server"] as? String
        else { throw CLIError("\(path): current context \"\(ctxName)\" has no usable cluster") }
        let user = (ctx["user"] as? String).flatMap { named("users", $0, "user") } ?? [:]
        let dir = (path as NSString).deletingLastPathComponent
        func material(_ obj: [String: Any], _ key: String) throws -> String? {
            if let b64 = obj["\(key)-data"] as? String {
                guard let d = Data(base64Encoded: b64), let s = String(data: d, encoding: .utf8) else {
                    throw CLIError("\(path): \(key)-data is not base64 PEM")
                }
                return s
            }
            guard var file = obj[key] as? String else { return nil }
            if !file.hasPrefix("/") { file = dir + "/" + file }
            return try String(contentsOfFile: file, encoding: .utf8)
        }
        return APICredentials(server: server, caPEM: try material(cluster, "certificate-authority"),
                              clientCertificatePEM: try material(user, "client-certificate"),
                              clientKeyPEM: try material(user, "client-key"), token: user["token"] as? String)
    }
}

/// A small JSON-over-HTTPS client that runs curl (the CLI links no TLS stack;
/// curl handles the cluster CA and client certificates). Files holding key
/// material live in a private temporary directory removed on deinit.
final class CurlClient {
    let credentials: APICredentials
    let dir: String
    static let curl = "/usr/bin/curl"

    init(_ credentials: APICredentials) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.curl) else {
            throw CLIError("\(Self.curl) is missing: install the curl package")
        }
        self.credentials = credentials
        dir = NSTemporaryDirectory() + "corral-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (name, pem) in [("ca.crt", credentials.caPEM), ("client.crt", credentials.clientCertificatePEM), ("client.key", credentials.clientKeyPEM)] {
            if let pem { FileManager.default.createFile(atPath: "\(dir)/\(name)", contents: Data(pem.utf8), attributes: [.posixPermissions: 0o600]) }
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// Sends one request; returns the HTTP status and the decoded JSON body (nil when empty or not JSON).
    func request(_ method: String, _ path: String, body: JSONValue? = nil) throws -> (status: Int, body: JSONValue?) {
        var args = ["-sS", "--max-time", "30", "-X", method, "-H", "Accept: application/json", "-w", "\n%{http_code}"]
        if credentials.caPEM != nil { args += ["--cacert", "\(dir)/ca.crt"] }
        if credentials.clientCertificatePEM != nil && credentials.clientKeyPEM != nil {
            args += ["--cert", "\(dir)/client.crt", "--key", "\(dir)/client.key"]
        }
        // The token goes through a header file so it never shows in the process list.
        if let token = credentials.token {
            FileManager.default.createFile(atPath: "\(dir)/headers", contents: Data("Authorization: Bearer \(token)\n".utf8),
                                           attributes: [.posixPermissions: 0o600])
            args += ["-H", "@\(dir)/headers"]
        }
        if body != nil { args += ["-H", "Content-Type: application/json", "--data-binary", "@-"] }
        args.append(credentials.server + path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.curl)
        p.arguments = args
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let body { input.fileHandleForWriting.write(Data(body.serialized())) }
        input.fileHandleForWriting.closeFile()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(data: err.fileHandleForReading.readDataToEndOfFile(), encoding: .utf8) ?? ""
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw CLIError("\(method) \(credentials.server)\(path): \(errText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let nl = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: nl)...]) else {
            throw CLIError("\(method) \(path): unreadable response")
        }
        let payload = Array(text[..<nl].utf8)
        return (status, payload.isEmpty ? nil : try? JSONParser.parse(payload))
    }

    /// Like `request`, but a status outside 2xx (and not in `allowed`) becomes an error carrying the API's message.
    @discardableResult
    func call(_ method: String, _ path: String, body: JSONValue? = nil, allowed: Set<Int> = []) throws -> (status: Int, body: JSONValue?) {
        let r = try request(method, path, body: body)
        if (200..<300).contains(r.status) || allowed.contains(r.status) { return r }
        let msg = r.body?["message"]?.stringValue ?? "HTTP \(r.status)"
        throw CLIError("Error from server (\(r.body?["reason"]?.stringValue ?? String(r.status))): \(msg)")
    }
}

/// A CLI failure with the message to print.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
