import Foundation

/// Media types of the OCI image spec and docker's v2 schema 2 that the store understands.
public enum MediaType {
    // Each constant is the media type string its name says.
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayer = "application/vnd.oci.image.layer.v1.tar"
    public static let ociLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let ociLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayer = "application/vnd.docker.image.rootfs.diff.tar"
    public static let dockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"

    /// Types that denote a list of per-platform manifests.
    public static let indexTypes: Set<String> = [ociIndex, dockerManifestList]
    /// Types that denote a single-image manifest.
    public static let manifestTypes: Set<String> = [ociManifest, dockerManifest]
}

/// An OCI platform (`architecture`, `os`, optional `variant`).
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?

    public init(architecture: String, os: String, variant: String? = nil) {
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// linux/amd64, the only platform this node runs.
    public static let linuxAMD64 = Platform(architecture: "amd64", os: "linux")

    public var description: String { os + "/" + architecture + (variant.map { "/" + $0 } ?? "") }
}

/// A content descriptor: what a manifest or index says about one blob.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String?
    public var digest: Digest
    public var size: Int64
    public var annotations: [String: String]?
    public var platform: Platform?

    public init(mediaType: String?, digest: Digest, size: Int64, annotations: [String: String]? = nil, platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.annotations = annotations
        self.platform = platform
    }
}

/// An image manifest (OCI or docker v2 schema 2): a config blob and ordered layers, bottom first.
public struct ImageManifest: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(mediaType: String?, config: Descriptor, layers: [Descriptor]) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
    }
}

/// An image index / docker manifest list: manifests per platform.
public struct ImageIndex: Codable, Hashable, Sendable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?
}

/// A parsed manifest-like document: either an index or a single manifest.
public enum ManifestDocument: Sendable {
    case index(ImageIndex)
    case manifest(ImageManifest)

    /// Classifies `bytes` by media type, falling back to the fields present (`manifests` vs `layers`).
    public static func parse(_ bytes: [UInt8], mediaType: String? = nil) throws -> ManifestDocument {
        let data = Data(bytes)
        struct Probe: Decodable {
            var schemaVersion: Int?
            var mediaType: String?
            var manifests: [Descriptor]?
            var layers: [Descriptor]?
        }
        let probe: Probe
        do { probe = try JSONDecoder().decode(Probe.self, from: data) } catch {
            throw ImageError.invalidManifest("not a manifest document: \(error)")
        }
        guard probe.schemaVersion == 2 else {
            throw ImageError.invalidManifest("unsupported schemaVersion \(probe.schemaVersion.map(String.init) ?? "missing") (only 2)")
        }
        let type = probe.mediaType ?? mediaType
        do {
            if let type, MediaType.indexTypes.contains(type) { return .index(try JSONDecoder().decode(ImageIndex.self, from: data)) }
            if let type, MediaType.manifestTypes.contains(type) { return .manifest(try JSONDecoder().decode(ImageManifest.self, from: data)) }
            if probe.manifests != nil { return .index(try JSONDecoder().decode(ImageIndex.self, from: data)) }
            if probe.layers != nil { return .manifest(try JSONDecoder().decode(ImageManifest.self, from: data)) }
        } catch let e as ImageError {
            throw e
        } catch {
            throw ImageError.invalidManifest("\(error)")
        }
        throw ImageError.invalidManifest("unknown media type \(type ?? "none")")
    }

    /// Picks the descriptor for `platform` from an index (variant ignored when the index gives none).
    public static func select(_ index: ImageIndex, platform: Platform) -> Descriptor? {
        index.manifests.first { d in
            guard let p = d.platform else { return false }
            return p.os == platform.os && p.architecture == platform.architecture
                && (platform.variant == nil || p.variant == nil || p.variant == platform.variant)
        }
    }
}
