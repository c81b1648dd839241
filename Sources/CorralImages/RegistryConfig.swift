import Foundation

/// Credentials for one registry (from registries.yaml or an imagePullSecret).
public struct RegistryCredential: Codable, Equatable, Sendable {
    public var username: String?
    public var password: String?
    /// base64("user:password"), docker config style; used when username/password are absent.
    public var auth: String?
    /// A refresh token sent as the token request's password (`identitytoken` in docker config).
    public var identityToken: String?

    enum CodingKeys: String, CodingKey {
        case username, password, auth
        case identityToken = "identity_token"
    }

    public init(username: String? = nil, password: String? = nil, auth: String? = nil, identityToken: String? = nil) {
        self.username = username
        self.password = password
        self.auth = auth
        self.identityToken = identityToken
    }

    /// The user and password, decoding `auth` when needed.
    public var basic: (user: String, password: String)? {
        if let username, let password { return (username, password) }
        if let auth, let data = Data(base64Encoded: auth), let s = String(data: data, encoding: .utf8), let colon = s.firstIndex(of: ":") {
            return (String(s[..<colon]), String(s[s.index(after: colon)...]))
        }
        return nil
    }
}

/// TLS settings for one registry host, as k3s's registries.yaml `configs.<host>.tls`.
public struct RegistryTLS: Codable, Equatable, Sendable {
    /// PEM file of CA certificates to trust (instead of the system store) for this host.
    public var caFile: String?
    /// Skip server certificate verification.
    public var insecureSkipVerify: Bool?

    enum CodingKeys: String, CodingKey {
        case caFile = "ca_file"
        case insecureSkipVerify = "insecure_skip_verify"
    }

    public init(caFile: String? = nil, insecureSkipVerify: Bool? = nil) {
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
    }
}

/// Per-host settings: credentials, TLS, and whether to speak plain HTTP.
public struct RegistryHostConfig: Codable, Equatable, Sendable {
    public var auth: RegistryCredential?
    public var tls: RegistryTLS?
    /// Speak HTTP instead of HTTPS to this host.
    public var plainHTTP: Bool?

    enum CodingKeys: String, CodingKey {
        case auth, tls
        case plainHTTP = "plain_http"
    }

    public init(auth: RegistryCredential? = nil, tls: RegistryTLS? = nil, plainHTTP: Bool? = nil) {
        self.auth = auth
        self.tls = tls
        self.plainHTTP = plainHTTP
    }
}

/// Registry settings of the node, shaped like k3s's registries.yaml (`configs:` keyed by host[:port])
/// so a YAML decoder can fill it directly. Also maps `docker.io` to its real API host.
public struct RegistryConfig: Codable, Equatable, Sendable {
    public var configs: [String: RegistryHostConfig]

    public init(configs: [String: RegistryHostConfig] = [:]) { self.configs = configs }

    /// Settings for `host` (empty when not configured).
    public func host(_ host: String) -> RegistryHostConfig { configs[host] ?? RegistryHostConfig() }

    /// The host that serves the registry API for a reference's domain.
    public static func apiHost(for domain: String) -> String {
        domain == ImageReference.dockerHub ? "registry-1.docker.io" : domain
    }

    /// `http` or `https` for `host`.
    public func scheme(for host: String) -> String { self.host(host).plainHTTP == true ? "http" : "https" }
}

/// Reads `kubernetes.io/dockerconfigjson` / `.dockercfg` secret payloads into credentials by host.
public enum DockerConfigCredentials {
    /// Parses `{"auths": {"host": {...}}}` (or the legacy form without `auths`). Host keys are
    /// normalised: scheme and path dropped, docker hub spellings mapped to `docker.io`.
    public static func parse(_ bytes: [UInt8]) throws -> [String: RegistryCredential] {
        struct Entry: Decodable { var username: String?; var password: String?; var auth: String?; var identitytoken: String? }
        struct File: Decodable { var auths: [String: Entry]? }
        let data = Data(bytes)
        var entries: [String: Entry]
        if let f = try? JSONDecoder().decode(File.self, from: data), let auths = f.auths {
            entries = auths
        } else {
            do { entries = try JSONDecoder().decode([String: Entry].self, from: data) } catch {
                throw ImageError.registry("pull secret is not a docker config: \(error)")
            }
        }
        var out: [String: RegistryCredential] = [:]
        for (key, e) in entries {
            out[normaliseHost(key)] = RegistryCredential(username: e.username, password: e.password, auth: e.auth, identityToken: e.identitytoken)
        }
        return out
    }

    /// `https://index.docker.io/v1/` -> `docker.io`; `http://h:5000/x` -> `h:5000`.
    public static func normaliseHost(_ key: String) -> String {
        var h = Substring(key)
        if let r = h.range(of: "://") { h = h[r.upperBound...] }
        if let slash = h.firstIndex(of: "/") { h = h[..<slash] }
        let host = String(h).lowercased()
        return ["index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"].contains(host) ? ImageReference.dockerHub : host
    }
}
