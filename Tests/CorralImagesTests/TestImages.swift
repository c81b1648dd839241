import Foundation
@testable import CorralImages

/// Builds OCI-layout and docker-save archives from in-memory layers, for import tests.
struct TestImage {
    enum Compression { case none, gzip, zstd }
    var layers: [[UInt8]]                // uncompressed tars, bottom first
    var compression: Compression = .gzip
    var env = ["PATH=/bin"]
    var cmd = ["/bin/sh"]

    var diffIDs: [Digest] { layers.map { Digest.of($0) } }

    func compressedLayers() throws -> [[UInt8]] {
        try layers.map { l in
            switch compression {
            case .none: return l
            case .gzip: return try runCommand(["/usr/bin/gzip", "-c", "-n"], stdin: l)
            case .zstd: return try runCommand(["/usr/bin/zstd", "-q", "-c"], stdin: l)
            }
        }
    }

    func configJSON() -> [UInt8] {
        let diff = diffIDs.map { "\"\($0)\"" }.joined(separator: ",")
        let env = self.env.map { "\"\($0)\"" }.joined(separator: ",")
        let cmd = self.cmd.map { "\"\($0)\"" }.joined(separator: ",")
        return Array("""
        {"architecture":"amd64","os":"linux","created":"2024-01-02T03:04:05Z","config":{"Env":[\(env)],"Cmd":[\(cmd)],"WorkingDir":"/work","User":"1000:1000","ExposedPorts":{"8080/tcp":{}},"Labels":{"a":"b"},"StopSignal":"SIGTERM"},"rootfs":{"type":"layers","diff_ids":[\(diff)]}}
        """.utf8)
    }

    var layerMediaType: String {
        switch compression { case .none: return MediaType.ociLayer; case .gzip: return MediaType.ociLayerGzip; case .zstd: return MediaType.ociLayerZstd }
    }

    /// An oci-layout tar; `annotations` go on the index.json entry. `corrupt` flips a byte of the first layer.
    func ociArchive(annotations: [String: String], corrupt: Bool = false, wrapInIndex: Bool = false) throws -> (tar: [UInt8], manifest: Digest) {
        let blobs = try compressedLayers()
        let config = configJSON()
        let layerDescs = zip(blobs, blobs.indices).map { b, _ in "{\"mediaType\":\"\(layerMediaType)\",\"digest\":\"\(Digest.of(b))\",\"size\":\(b.count)}" }
        let manifest = Array("""
        {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)","digest":"\(Digest.of(config))","size":\(config.count)},"layers":[\(layerDescs.joined(separator: ","))]}
        """.utf8)
        var top = "{\"mediaType\":\"\(MediaType.ociManifest)\",\"digest\":\"\(Digest.of(manifest))\",\"size\":\(manifest.count)"
        var extra: [[UInt8]] = []
        if wrapInIndex {
            // A multi-arch index: an arm64 entry that is absent from the archive, then amd64.
            let inner = Array("""
            {"schemaVersion":2,"mediaType":"\(MediaType.ociIndex)","manifests":[{"mediaType":"\(MediaType.ociManifest)","digest":"sha256:\(String(repeating: "0", count: 64))","size":1,"platform":{"architecture":"arm64","os":"linux"}},\(top),"platform":{"architecture":"amd64","os":"linux"}}]}
            """.utf8)
            extra.append(inner)
            top = "{\"mediaType\":\"\(MediaType.ociIndex)\",\"digest\":\"\(Digest.of(inner))\",\"size\":\(inner.count)"
        }
        let ann = annotations.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
        let index = "{\"schemaVersion\":2,\"mediaType\":\"\(MediaType.ociIndex)\",\"manifests\":[\(top),\"annotations\":{\(ann)}}]}"
        var t = TarBuilder()
        t.file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}")
        t.dir("blobs/"); t.dir("blobs/sha256/")
        for (i, b) in blobs.enumerated() {
            var content = b
            if corrupt && i == 0 { content[content.count / 2] ^= 0xff }
            t.file("blobs/sha256/\(Digest.of(b).hex)", bytes: content)
        }
        for doc in [config, manifest] + extra { t.file("blobs/sha256/\(Digest.of(doc).hex)", bytes: doc) }
        t.file("index.json", index)
        return (t.finished, Digest.of(manifest))
    }

    /// A classic `docker save` tar: `<id>/layer.tar`, `<config hex>.json`, manifest.json.
    func dockerSaveArchive(repoTags: [String]) throws -> [UInt8] {
        let config = configJSON()
        var t = TarBuilder()
        var paths: [String] = []
        for (i, l) in layers.enumerated() {
            let id = Digest.of(Array("layer\(i)".utf8)).hex
            t.dir("\(id)/")
            t.file("\(id)/VERSION", "1.0")
            t.file("\(id)/layer.tar", bytes: l)
            paths.append("\(id)/layer.tar")
        }
        t.file("\(Digest.of(config).hex).json", bytes: config)
        let tags = repoTags.map { "\"\($0)\"" }.joined(separator: ",")
        let layerList = paths.map { "\"\($0)\"" }.joined(separator: ",")
        t.file("manifest.json", "[{\"Config\":\"\(Digest.of(config).hex).json\",\"RepoTags\":[\(tags)],\"Layers\":[\(layerList)]}]")
        t.file("repositories", "{}")
        return t.finished
    }
}

