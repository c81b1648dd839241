#if canImport(Glibc)
import Glibc
#endif

extension ImageStore {
    /// Where the unpacked tree of the layer blob `digest` lives (whether or not it is unpacked yet).
    public func unpackedLayerPath(_ digest: Digest) -> String { layerDir + "/" + digest.hex }

    /// Whether the layer is already unpacked.
    public func isUnpacked(_ digest: Digest) -> Bool { FileOps.isDirectory(unpackedLayerPath(digest)) }

    /// Unpacks `layer` once (into a temp dir under `tmp/`, then renamed into place) and returns its
    /// directory. Verifies the uncompressed content against the layer's diffID when known. An unsafe
    /// entry refuses the whole layer with `ImageError.unsafeLayerEntry` and leaves nothing behind.
    @discardableResult
    public func unpackLayer(_ layer: LayerRecord) throws -> String {
        let final = unpackedLayerPath(layer.digest)
        if FileOps.isDirectory(final) { return final }
        guard hasBlob(layer.digest) else { throw ImageError.blobMissing(layer.digest.description) }
        let tmp = try FileOps.makeTempDirectory(in: tmpDir, prefix: "unpack-pid\(getpid())-")
        do {
            chmod(tmp, 0o755)
            try LayerUnpacker(blobPath: blobPath(layer.digest), dest: tmp, layerName: layer.digest.description,
                              expectedDiffID: layer.diffID).run()
            if rename(tmp, final) != 0 {
                // Another unpack of the same layer won the race; use its result.
                guard errno == ENOTEMPTY || errno == EEXIST, FileOps.isDirectory(final) else { throw FileOps.fail("rename", final) }
                FileOps.removeTree(tmp)
            }
            return final
        } catch {
            FileOps.removeTree(tmp)
            throw error
        }
    }

    /// Unpacks every layer of `image` and returns their directories, bottom layer first.
    public func unpackLayers(of image: ImageRecord) throws -> [String] {
        try image.layers.map { try unpackLayer($0) }
    }
}
