#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What `garbageCollect` freed.
public struct GCReport: Equatable, Sendable {
    /// Blobs deleted.
    public var blobsRemoved: [Digest] = []
    /// Unpacked layer trees deleted.
    public var layersRemoved: [Digest] = []
}

extension ImageStore {
    /// Deletes blobs no image references and unpacked layers no image uses, except layers in
    /// `keepingLayers` (those under running containers). Blobs of imports or pulls in progress in
    /// this process are kept too.
    public func garbageCollect(keepingLayers: Set<Digest> = []) throws -> GCReport {
        try withIndex { images in
            var live = Set<Digest>()
            for img in images {
                live.insert(img.manifestDigest)
                live.insert(img.configDigest)
                for l in img.layers { live.insert(l.digest) }
            }
            live.formUnion(pinned.snapshot())
            var report = GCReport()
            for name in FileOps.list(blobDir) {
                guard let d = Digest(hex: name), !live.contains(d) else { continue }
                FileOps.removeTree(blobPath(d))
                report.blobsRemoved.append(d)
            }
            for name in FileOps.list(layerDir) {
                guard let d = Digest(hex: name), !live.contains(d), !keepingLayers.contains(d) else { continue }
                FileOps.removeTree(layerDir + "/" + name)
                report.layersRemoved.append(d)
            }
            return report
        }
    }
}

/// Digests that GC must not touch while an import or pull is still writing them.
final class PinSet: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Digest: Int] = [:]

    func pin(_ ds: [Digest]) { lock.lock(); for d in ds { counts[d, default: 0] += 1 }; lock.unlock() }

    func unpin(_ ds: [Digest]) {
        lock.lock()
        for d in ds { if let c = counts[d] { counts[d] = c > 1 ? c - 1 : nil } }
        lock.unlock()
    }

    func snapshot() -> Set<Digest> { lock.lock(); defer { lock.unlock() }; return Set(counts.keys) }
}
