import Foundation

/// Pulls images from registries into the store: resolves the tag, picks linux/amd64 from an
/// index, downloads and verifies the config and layers, then records the image.
public struct ImagePuller: Sendable {
    /// Where pulled images go.
    public let store: ImageStore
    /// The registry client (config, auth, transport).
    public let client: RegistryClient
    /// The platform to pick from multi-arch indexes.
    public var platform: Platform = .linuxAMD64

    public init(store: ImageStore, client: RegistryClient) {
        self.store = store
        self.client = client
    }

    /// Pulls `image` (any reference docker accepts). `credentials` maps registry hosts (as in
    /// references, e.g. `docker.io`, `host:5000`) to credentials, e.g. from imagePullSecrets.
    @discardableResult
    public func pull(_ image: String, credentials: [String: RegistryCredential] = [:]) async throws -> ImageRecord {
        let ref = try ImageReference(parsing: image)
        let cred = credentials[ref.domain]
        var (bytes, type, digest) = try await client.fetchManifest(ref, credential: cred)
        var indexDigest: Digest?
        var pinned: [Digest] = []
        defer { store.pinned.unpin(pinned) }
        var doc = try ManifestDocument.parse(bytes, mediaType: type)
        if case .index(let index) = doc {
            guard let pick = ManifestDocument.select(index, platform: platform) else {
                throw ImageError.noMatchingPlatform(reference: ref.description, platform: platform.description)
            }
            indexDigest = digest
            (bytes, type, digest) = try await client.fetchManifest(ref, reference: pick.digest.description, credential: cred)
            guard digest == pick.digest else {
                throw ImageError.digestMismatch(what: "manifest for \(platform) of \(ref)", expected: pick.digest.description, actual: digest.description)
            }
            doc = try ManifestDocument.parse(bytes, mediaType: pick.mediaType ?? type)
        }
        guard case .manifest(let manifest) = doc else {
            throw ImageError.invalidManifest("\(ref): an index inside an index")
        }
        pinned = [digest, manifest.config.digest] + manifest.layers.map(\.digest)
        store.pinned.pin(pinned)
        try await client.fetchBlob(ref, manifest.config, into: store, credential: cred)
        let config = try ImageConfig.parse(try store.readBlob(manifest.config.digest))
        guard config.diffIDs.count == manifest.layers.count else {
            throw ImageError.invalidManifest("\(ref): config lists \(config.diffIDs.count) diff_ids for \(manifest.layers.count) layers")
        }
        for layer in manifest.layers {
            try await client.fetchBlob(ref, layer, into: store, credential: cred)
        }
        try store.writeBlob(bytes, expected: digest, what: "manifest of \(ref)")
        var record = try store.record(manifestDigest: digest, manifest: manifest, config: config,
                                      references: [ref.description], source: "pull:" + ref.domain)
        if let indexDigest, record.indexDigest != indexDigest {
            record = try store.setIndexDigest(indexDigest, of: digest) ?? record
        }
        return record
    }
}
