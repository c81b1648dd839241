import Foundation

/// One entry of a docker-save `manifest.json`, resolved to digests.
struct DockerSaveEntry {
    var config: Digest
    var names: [String]
    var layers: [Digest]
}

extension ImageStore {
    /// Parses `manifest.json` and maps its paths to the digests the scan stored.
    func dockerSaveEntries(_ scan: ArchiveScan) throws -> [DockerSaveEntry] {
        struct Item: Decodable { var Config: String; var RepoTags: [String]?; var Layers: [String] }
        guard let bytes = scan.metadata["manifest.json"] else { return [] }
        let items = try JSONDecoder().decode([Item].self, from: Data(bytes))
        return try items.map { item in
            guard let config = scan.digest(of: item.Config) else {
                throw ImageError.invalidManifest("manifest.json names config \(item.Config), which is not in the archive")
            }
            // Old docker names the config after its digest: hold it to that.
            let base = (item.Config as NSString).lastPathComponent
            if base.hasSuffix(".json"), let named = Digest(hex: String(base.dropLast(5))), named != config {
                throw ImageError.digestMismatch(what: "archive entry \(item.Config)", expected: named.description, actual: config.description)
            }
            let layers = try item.Layers.map { path -> Digest in
                guard let d = scan.digest(of: path) else {
                    throw ImageError.invalidManifest("manifest.json names layer \(path), which is not in the archive")
                }
                return d
            }
            let names = (item.RepoTags ?? []).compactMap { (try? ImageReference(parsing: $0))?.description }
            return DockerSaveEntry(config: config, names: names, layers: layers)
        }
    }

    /// Builds a docker v2 schema 2 manifest for each docker-save entry and stores it as a blob.
    func planDockerSave(_ scan: ArchiveScan, archive: String) throws -> [PlannedImage] {
        let entries: [DockerSaveEntry]
        do { entries = try dockerSaveEntries(scan) } catch let e as ImageError { throw e } catch {
            throw ImageError.invalidArchive(path: archive, reason: "manifest.json: \(error)")
        }
        return try entries.map { e in
            let configBytes = try readBlob(e.config)
            let config = try ImageConfig.parse(configBytes)
            guard config.diffIDs.count == e.layers.count else {
                throw ImageError.invalidArchive(path: archive, reason: "config lists \(config.diffIDs.count) diff_ids for \(e.layers.count) layers")
            }
            var layers: [Descriptor] = []
            for (i, d) in e.layers.enumerated() {
                let kind = try LayerCompression.sniff(blobPath(d))
                // An uncompressed layer's digest is its diffID, so it can be checked right here.
                if kind == .none && config.diffIDs[i] != d {
                    throw ImageError.digestMismatch(what: "layer \(i) of \(archive)", expected: config.diffIDs[i].description, actual: d.description)
                }
                var st = stat()
                guard lstat(blobPath(d), &st) == 0 else { throw ImageError.blobMissing(d.description) }
                layers.append(Descriptor(mediaType: kind.dockerMediaType, digest: d, size: Int64(st.st_size)))
            }
            let manifest = ImageManifest(mediaType: MediaType.dockerManifest,
                                         config: Descriptor(mediaType: MediaType.dockerConfig, digest: e.config, size: Int64(configBytes.count)),
                                         layers: layers)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let digest = try writeBlob(Array(try encoder.encode(manifest)), what: "manifest")
            return PlannedImage(manifestDigest: digest, manifest: manifest, config: config, references: e.names)
        }
    }
}

/// How a layer blob is compressed, judged by its magic bytes.
enum LayerCompression: Equatable {
    case none, gzip, zstd

    static func sniff(_ path: String) throws -> LayerCompression {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileOps.fail("open", path) }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        let n = magic.withUnsafeMutableBytes { read(fd, $0.baseAddress, 4) }
        if n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b { return .gzip }
        if n == 4 && magic == [0x28, 0xb5, 0x2f, 0xfd] { return .zstd }
        return .none
    }

    var dockerMediaType: String {
        switch self {
        case .none: return MediaType.dockerLayer
        case .gzip: return MediaType.dockerLayerGzip
        case .zstd: return MediaType.ociLayerZstd
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
