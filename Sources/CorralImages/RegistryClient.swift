import Foundation

/// A client for the OCI distribution API (`/v2/`): manifests and blobs with anonymous, Basic and
/// Bearer-token auth, following redirects (credentials are never sent to another host).
public final class RegistryClient: @unchecked Sendable {
    public let config: RegistryConfig
    let transport: HTTPTransport
    private let lock = NSLock()
    private var tokens: [String: String] = [:]   // "host repository" -> Authorization value

    /// Manifest types we accept, most specific first.
    public static let manifestAccept = [MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifestList, MediaType.dockerManifest]
    static let maxManifestBytes = 4 << 20

    public init(config: RegistryConfig = RegistryConfig(), transport: HTTPTransport) {
        self.config = config
        self.transport = transport
    }

    /// Fetches a manifest or index by tag or digest; verifies it against a pinned digest.
    /// Returns the document, its media type and its digest.
    public func fetchManifest(_ ref: ImageReference, reference: String? = nil, credential: RegistryCredential? = nil) async throws -> (bytes: [UInt8], mediaType: String?, digest: Digest) {
        let what = reference ?? ref.manifestReference
        let sink = CollectingSink(limit: RegistryClient.maxManifestBytes)
        let head = try await get(ref, path: "manifests/" + what, accept: RegistryClient.manifestAccept, credential: credential, sink: sink)
        let digest = Digest.of(sink.bytes)
        if let pinned = try? Digest(what), pinned != digest {
            throw ImageError.digestMismatch(what: "manifest of \(ref.repository)", expected: pinned.description, actual: digest.description)
        }
        if let claimed = head.header("Docker-Content-Digest"), let c = try? Digest(claimed), c != digest {
            throw ImageError.digestMismatch(what: "manifest \(what) of \(ref.repository) (Docker-Content-Digest)", expected: c.description, actual: digest.description)
        }
        let type = head.header("Content-Type").map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces) }
        return (sink.bytes, type, digest)
    }

    /// Streams the blob `desc` of `ref`'s repository into `store`, verifying digest and size.
    public func fetchBlob(_ ref: ImageReference, _ desc: Descriptor, into store: ImageStore, credential: RegistryCredential? = nil) async throws {
        if store.hasBlob(desc.digest) { return }
        let writer = try store.makeBlobWriter()
        defer { writer.abort() }
        _ = try await get(ref, path: "blobs/" + desc.digest.description, accept: ["*/*"], credential: credential, sink: writer)
        guard writer.count == desc.size else {
            throw ImageError.registry("blob \(desc.digest) of \(ref.repository): got \(writer.count) bytes, manifest says \(desc.size)")
        }
        try writer.commit(expected: desc.digest, what: "blob \(desc.digest) of \(ref.repository)")
    }

    /// Checks that the registry answers `/v2/` (after auth, if asked for).
    public func ping(_ ref: ImageReference, credential: RegistryCredential? = nil) async throws {
        _ = try await get(ref, path: nil, accept: ["application/json"], credential: credential, sink: CollectingSink(limit: 1 << 20))
    }

    /// GET `/v2/<repo>/<path>` (or `/v2/` when `path` is nil), handling auth and redirects.
    /// A 2xx body goes to `sink`; anything else becomes an error carrying the registry's message.
    func get(_ ref: ImageReference, path: String?, accept: [String], credential: RegistryCredential?, sink: ResponseSink) async throws -> HTTPResponseHead {
        let host = RegistryConfig.apiHost(for: ref.domain)
        let hostConfig = config.configs[ref.domain] ?? config.host(host)
        let cred = credential ?? hostConfig.auth
        let tls = TLSSettings(caFile: hostConfig.tls?.caFile, insecureSkipVerify: hostConfig.tls?.insecureSkipVerify ?? false)
        let scheme = hostConfig.plainHTTP == true ? "http" : "https"
        let tokenKey = host + " " + ref.path
        guard var url = URL(string: "\(scheme)://\(host)/v2/" + (path.map { ref.path + "/" + $0 } ?? "")) else {
            throw ImageError.registry("cannot build a URL for \(ref)")
        }
        let origin = RegistryClient.authority(url)
        var authorization = lock.withLock { tokens[tokenKey] }
        var triedAuth = false
        for _ in 0..<8 {
            var headers = [("Accept", accept.joined(separator: ", ")), ("User-Agent", "corral")]
            if let authorization, RegistryClient.authority(url) == origin { headers.append(("Authorization", authorization)) }
            let errorBody = CollectingSink(limit: 64 << 10)
            let head = try await transport.perform(HTTPRequest(url: url, headers: headers), tls: tls) { head in
                (200..<300).contains(head.status) ? sink : errorBody
            }
            switch head.status {
            case 200..<300:
                return head
            case 401 where !triedAuth:
                triedAuth = true
                authorization = try await authorize(head.header("WWW-Authenticate"), ref: ref, credential: cred, tls: tls)
                lock.withLock { tokens[tokenKey] = authorization }
            case 301, 302, 303, 307, 308:
                guard let loc = head.header("Location"), let next = URL(string: loc, relativeTo: url)?.absoluteURL else {
                    throw ImageError.registry("redirect without Location from \(url)")
                }
                url = next
            case 401, 403:
                throw ImageError.unauthorized("\(ref.repository): \(head.status) \(RegistryClient.errorText(errorBody.bytes))")
            case 404:
                throw ImageError.registryNotFound(what: RegistryClient.describe(ref, path), detail: RegistryClient.errorText(errorBody.bytes))
            default:
                throw ImageError.registry("\(url): HTTP \(head.status) \(RegistryClient.errorText(errorBody.bytes))")
            }
        }
        throw ImageError.registry("too many redirects fetching \(ref)")
    }

    /// Answers a 401 challenge: Basic with the credential, or a Bearer token from the realm.
    private func authorize(_ header: String?, ref: ImageReference, credential: RegistryCredential?, tls: TLSSettings) async throws -> String {
        guard let header, let challenge = AuthChallenge.parse(header) else {
            throw ImageError.unauthorized("\(ref.repository): registry asked for authentication without a WWW-Authenticate challenge")
        }
        let basic = credential?.basic.map { "Basic " + Data("\($0.user):\($0.password)".utf8).base64EncodedString() }
        switch challenge.scheme {
        case "basic":
            guard let basic else { throw ImageError.unauthorized("\(ref.repository): registry wants a username and password and none is configured") }
            return basic
        case "bearer":
            guard let s = challenge.tokenURL(defaultScope: "repository:\(ref.path):pull"), let tokenURL = URL(string: s) else {
                throw ImageError.unauthorized("\(ref.repository): bad Bearer challenge \(header)")
            }
            let sink = CollectingSink(limit: 1 << 20)
            let headers = basic.map { [("Authorization", $0)] } ?? []
            let head = try await transport.perform(HTTPRequest(url: tokenURL, headers: headers), tls: tls) { _ in sink }
            guard head.status == 200 else {
                throw ImageError.unauthorized("\(ref.repository): token server \(tokenURL.host ?? "") answered \(head.status) \(RegistryClient.errorText(sink.bytes))")
            }
            struct Token: Decodable { var token: String?; var access_token: String? }
            guard let t = try? JSONDecoder().decode(Token.self, from: Data(sink.bytes)), let token = t.token ?? t.access_token, !token.isEmpty else {
                throw ImageError.unauthorized("\(ref.repository): token server gave no token")
            }
            return "Bearer " + token
        default:
            throw ImageError.unauthorized("\(ref.repository): unsupported auth scheme \(challenge.scheme)")
        }
    }

    /// `repo:tag`, `repo@digest` or `blob sha256:… of repo`, for messages.
    static func describe(_ ref: ImageReference, _ path: String?) -> String {
        guard let path else { return ref.domain + "/v2/" }
        if path.hasPrefix("manifests/") {
            let what = String(path.dropFirst(10))
            return ref.repository + (what.hasPrefix("sha256:") ? "@" : ":") + what
        }
        return path.replacingOccurrences(of: "blobs/", with: "blob ") + " of " + ref.repository
    }

    /// scheme://host:port of `url`, to tell whether a redirect left the registry.
    static func authority(_ url: URL) -> String {
        "\(url.scheme ?? "")://\(url.host ?? ""):\(url.port ?? (url.scheme == "http" ? 80 : 443))"
    }

    /// The first `errors[].message` of a registry error body, or the body's start.
    static func errorText(_ body: [UInt8]) -> String {
        struct E: Decodable { struct Item: Decodable { var code: String?; var message: String? }; var errors: [Item]? }
        if let e = try? JSONDecoder().decode(E.self, from: Data(body)), let first = e.errors?.first {
            return [first.code, first.message].compactMap { $0 }.joined(separator: ": ")
        }
        return String(decoding: body.prefix(200), as: UTF8.self)
    }
}
