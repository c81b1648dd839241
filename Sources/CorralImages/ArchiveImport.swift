import Foundation

/// One image an archive provides, ready to be recorded.
struct PlannedImage {
    var manifestDigest: Digest
    var manifest: ImageManifest
    var config: ImageConfig
    var references: [String]
}

extension ImageStore {
    /// Imports an OCI image layout tar (`oci-layout` + `index.json`) or a `docker save` tar
    /// (`manifest.json`), optionally compressed. Every blob is verified against its digest; nothing
    /// is recorded unless the whole archive is consistent. `baseName` names images whose archive
    /// gives only a tag (e.g. `org.opencontainers.image.ref.name: latest`). Returns the images.
    @discardableResult
    public func importArchive(path: String, baseName: String? = nil) throws -> [ImageRecord] {
        let scan = try ArchiveScan.scan(path: path, into: self)
        defer { pinned.unpin(Array(scan.files.values)) }
        do {
            let planned: [PlannedImage]
            if scan.metadata["index.json"] != nil {
                guard scan.metadata["oci-layout"] != nil else {
                    throw ImageError.invalidArchive(path: path, reason: "index.json without oci-layout")
                }
                planned = try planOCI(scan, baseName: baseName, archive: path)
            } else if scan.metadata["manifest.json"] != nil {
                planned = try planDockerSave(scan, archive: path)
            } else {
                throw ImageError.invalidArchive(path: path, reason: "neither an OCI layout (oci-layout, index.json) nor a docker save archive (manifest.json)")
            }
            guard !planned.isEmpty else { throw ImageError.invalidArchive(path: path, reason: "no images in archive") }
            var used = Set<Digest>()
            for p in planned {
                used.insert(p.manifestDigest)
                used.insert(p.manifest.config.digest)
                for l in p.manifest.layers { used.insert(l.digest) }
            }
            let file = (path as NSString).lastPathComponent
            let records = try planned.map {
                try record(manifestDigest: $0.manifestDigest, manifest: $0.manifest, config: $0.config,
                           references: $0.references, source: "import:" + file)
            }
            scan.discardNewBlobs(self, keeping: used)
            return records
        } catch {
            scan.discardNewBlobs(self)
            throw error
        }
    }

    /// Checks that the store holds every blob of `manifest` with the sizes it declares.
    func verifyBlobs(of manifest: ImageManifest, archive: String) throws {
        for d in [manifest.config] + manifest.layers {
            guard hasBlob(d.digest) else {
                throw ImageError.invalidArchive(path: archive, reason: "blob \(d.digest) is referenced but not in the archive")
            }
            var st = stat()
            if lstat(blobPath(d.digest), &st) == 0, Int64(st.st_size) != d.size {
                throw ImageError.invalidArchive(path: archive, reason: "blob \(d.digest) has \(st.st_size) bytes, manifest says \(d.size)")
            }
        }
    }

    private func planOCI(_ scan: ArchiveScan, baseName: String?, archive: String) throws -> [PlannedImage] {
        let index: ImageIndex
        do { index = try JSONDecoder().decode(ImageIndex.self, from: Data(scan.metadata["index.json"]!)) } catch {
            throw ImageError.invalidArchive(path: archive, reason: "index.json: \(error)")
        }
        let dockerNames = try? dockerSaveEntries(scan)
        var out: [PlannedImage] = []
        for desc in index.manifests {
            let (digest, manifest) = try resolvePlatform(desc, archive: archive)
            try verifyBlobs(of: manifest, archive: archive)
            let config = try ImageConfig.parse(try readBlob(manifest.config.digest))
            var names: [String] = []
            let ann = desc.annotations ?? [:]
            if let full = ann["io.containerd.image.name"], let r = try? ImageReference(parsing: full) {
                names.append(r.description)
            } else if let ref = ann["org.opencontainers.image.ref.name"] {
                if ref.contains("/") || ref.contains(":"), let r = try? ImageReference(parsing: ref) {
                    names.append(r.description)
                } else if let baseName, let r = try? ImageReference(parsing: baseName + ":" + ref) {
                    names.append(r.description)
                }
            }
            if names.isEmpty, let entries = dockerNames {
                names = entries.filter { $0.config == manifest.config.digest }.flatMap(\.names)
            }
            if names.isEmpty, let baseName, let r = try? ImageReference(parsing: baseName) { names.append(r.description) }
            out.append(PlannedImage(manifestDigest: digest, manifest: manifest, config: config, references: names))
        }
        return out
    }

    /// Follows an index descriptor down to the linux/amd64 manifest (or the only one).
    func resolvePlatform(_ desc: Descriptor, archive: String, depth: Int = 0) throws -> (Digest, ImageManifest) {
        guard depth < 4 else { throw ImageError.invalidArchive(path: archive, reason: "indexes nested too deeply") }
        guard hasBlob(desc.digest) else {
            throw ImageError.invalidArchive(path: archive, reason: "manifest \(desc.digest) is referenced but not in the archive")
        }
        switch try ManifestDocument.parse(try readBlob(desc.digest), mediaType: desc.mediaType) {
        case .manifest(let m):
            return (desc.digest, m)
        case .index(let idx):
            let pick = ManifestDocument.select(idx, platform: .linuxAMD64)
                ?? (idx.manifests.count == 1 && idx.manifests[0].platform == nil ? idx.manifests[0] : nil)
            guard let pick else { throw ImageError.noMatchingPlatform(reference: archive, platform: Platform.linuxAMD64.description) }
            return try resolvePlatform(pick, archive: archive, depth: depth + 1)
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
