import Foundation
@testable import CorralImages

/// A stateful in-memory registry behind `HTTPTransport`: serves manifests and blobs, demands Basic
/// or Bearer auth, can redirect blobs to another host and serve corrupt content. Records requests.
final class FakeRegistry: HTTPTransport, @unchecked Sendable {
    enum Auth { case none, basic(String, String), bearer(String, String) }
    var auth: Auth = .none
    var manifests: [String: (type: String, bytes: [UInt8])] = [:]  // "repo reference" -> document
    var blobs: [Digest: [UInt8]] = [:]
    var redirectBlobs = false
    var corruptBlobs = false
    private(set) var log: [(url: String, authorization: String?)] = []
    private let lock = NSLock()
    let token = "tok-123"

    /// Stores a manifest under its tag and its digest.
    func put(repo: String, tag: String?, type: String, _ bytes: [UInt8]) {
        let d = Digest.of(bytes)
        manifests["\(repo) \(d)"] = (type, bytes)
        if let tag { manifests["\(repo) \(tag)"] = (type, bytes) }
    }

    func perform(_ request: HTTPRequest, tls: TLSSettings, sinkFor: @escaping @Sendable (HTTPResponseHead) -> ResponseSink) async throws -> HTTPResponseHead {
        let authz = request.headers.first { $0.0 == "Authorization" }?.1
        lock.withLock { log.append((request.url.absoluteString, authz)) }
        let (status, headers, body) = route(request.url, authz)
        let head = HTTPResponseHead(status: status, headers: headers)
        let sink = sinkFor(head)
        // Deliver in two chunks to exercise streaming.
        let mid = body.count / 2
        try body[..<mid].withUnsafeBytes { try sink.receive($0) }
        try body[mid...].withUnsafeBytes { try sink.receive($0) }
        return head
    }

    private func route(_ url: URL, _ authz: String?) -> (Int, [(String, String)], [UInt8]) {
        if url.host == "auth.test" {
            guard case .bearer(let u, let p) = auth, authz == "Basic " + Data("\(u):\(p)".utf8).base64EncodedString(),
                  url.query?.contains("scope=repository%3Aapp%2Fweb%3Apull") == true, url.query?.contains("service=fake") == true else {
                return (401, [], Array("{\"details\":\"bad credentials\"}".utf8))
            }
            return (200, [], Array("{\"token\":\"\(token)\"}".utf8))
        }
        if url.host == "cdn.test" {
            guard let d = try? Digest("sha256:" + url.lastPathComponent), var b = blobs[d] else { return (404, [], []) }
            if corruptBlobs { b[0] ^= 1 }
            return (200, [], b)
        }
        switch auth {
        case .none: break
        case .basic(let u, let p):
            if authz != "Basic " + Data("\(u):\(p)".utf8).base64EncodedString() {
                return (401, [("WWW-Authenticate", "Basic realm=\"fake\"")], Array("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".utf8))
            }
        case .bearer:
            if authz != "Bearer " + token {
                return (401, [("WWW-Authenticate", "Bearer realm=\"https://auth.test/token\",service=\"fake\",scope=\"repository:app/web:pull\"")], [])
            }
        }
        let parts = url.path.split(separator: "/").map(String.init)   // v2 app web manifests ref
        guard parts.count >= 4, parts[0] == "v2" else { return (200, [], Array("{}".utf8)) }
        let repo = parts[1..<(parts.count - 2)].joined(separator: "/")
        let kind = parts[parts.count - 2], ref = parts[parts.count - 1]
        if kind == "manifests", let m = manifests["\(repo) \(ref)"] {
            return (200, [("Content-Type", m.type), ("Docker-Content-Digest", Digest.of(m.bytes).description)], m.bytes)
        }
        if kind == "blobs", let d = try? Digest(ref), var b = blobs[d] {
            if redirectBlobs { return (307, [("Location", "https://cdn.test/store/\(d.hex)")], []) }
            if corruptBlobs { b[0] ^= 1 }
            return (200, [], b)
        }
        return (404, [], Array("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}".utf8))
    }

    /// Publishes `image` as `repo:tag` behind a multi-arch index (arm64 entry first); returns
    /// (index digest, amd64 manifest digest).
    @discardableResult
    func publish(_ image: TestImage, repo: String, tag: String) throws -> (index: Digest, manifest: Digest) {
        let layers = try image.compressedLayers()
        let config = image.configJSON()
        for b in layers + [config] { blobs[Digest.of(b)] = b }
        let layerDescs = layers.map { "{\"mediaType\":\"\(image.layerMediaType)\",\"digest\":\"\(Digest.of($0))\",\"size\":\($0.count)}" }
        let manifest = Array("""
        {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)","digest":"\(Digest.of(config))","size":\(config.count)},"layers":[\(layerDescs.joined(separator: ","))]}
        """.utf8)
        put(repo: repo, tag: nil, type: MediaType.ociManifest, manifest)
        let index = Array("""
        {"schemaVersion":2,"mediaType":"\(MediaType.ociIndex)","manifests":[{"mediaType":"\(MediaType.ociManifest)","digest":"sha256:\(String(repeating: "1", count: 64))","size":10,"platform":{"architecture":"arm64","os":"linux"}},{"mediaType":"\(MediaType.ociManifest)","digest":"\(Digest.of(manifest))","size":\(manifest.count),"platform":{"architecture":"amd64","os":"linux"}}]}
        """.utf8)
        put(repo: repo, tag: tag, type: MediaType.ociIndex, index)
        return (Digest.of(index), Digest.of(manifest))
    }
}
