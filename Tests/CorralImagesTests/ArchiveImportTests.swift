import Foundation
import XCTest
@testable import CorralImages

final class ArchiveImportTests: XCTestCase {
    let ref = "localhost/corral-test/busybox:latest"

    func testOCIImportRecordsImageAndConfig() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let img = TestImage(layers: [Layers.base, Layers.top])
        let (tar, manifestDigest) = try img.ociArchive(annotations: ["org.opencontainers.image.ref.name": ref])
        let file = try s.write("busybox.tar", tar)
        let records = try store.importArchive(path: file)
        XCTAssertEqual(records.map(\.references), [[ref]])
        XCTAssertEqual(records[0].manifestDigest, manifestDigest)
        XCTAssertEqual(records[0].layers.map(\.diffID), img.diffIDs)
        let found = try XCTUnwrap(try store.resolve(ref))
        XCTAssertEqual(found.manifestDigest, manifestDigest)
        XCTAssertEqual(try store.resolve(found.id.description)?.manifestDigest, manifestDigest)
        XCTAssertEqual(try store.resolve(String(found.id.hex.prefix(12)))?.manifestDigest, manifestDigest)
        XCTAssertEqual(try store.resolve("localhost/corral-test/busybox@\(manifestDigest)")?.id, found.id)
        XCTAssertNil(try store.resolve("busybox"))
        let config = try store.config(of: found)
        XCTAssertEqual(config.env, ["PATH=/bin"])
        XCTAssertEqual(config.cmd, ["/bin/sh"])
        XCTAssertEqual(config.workingDir, "/work")
        XCTAssertEqual(config.user, "1000:1000")
        XCTAssertEqual(config.exposedPorts, ["8080/tcp"])
        XCTAssertEqual(config.labels, ["a": "b"])
        XCTAssertEqual(config.stopSignal, "SIGTERM")
        // Blobs are content addressed and verified.
        for l in found.layers { XCTAssertEqual(Digest.of(try FileOps.readFile(store.blobPath(l.digest))), l.digest) }
        // Importing again changes nothing.
        try store.importArchive(path: file)
        XCTAssertEqual(try store.list().count, 1)
        XCTAssertEqual(try ImageStore(root: s.path + "/images").list().map(\.manifestDigest), [manifestDigest])
    }

    func testContainerdNameAndTagOnlyRefAndMultiArch() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let img = TestImage(layers: [Layers.base], compression: .zstd)
        let (a, _) = try img.ociArchive(annotations: ["io.containerd.image.name": "docker.io/library/busybox:1.36",
                                                     "org.opencontainers.image.ref.name": "1.36"], wrapInIndex: true)
        let recs = try store.importArchive(path: try s.write("a.tar", a))
        XCTAssertEqual(recs[0].references, ["docker.io/library/busybox:1.36"])
        XCTAssertEqual(recs[0].layers[0].mediaType, MediaType.ociLayerZstd)
        let (b, _) = try TestImage(layers: [Layers.top]).ociArchive(annotations: ["org.opencontainers.image.ref.name": "v2"])
        let recsB = try store.importArchive(path: try s.write("b.tar", b), baseName: "localhost/app")
        XCTAssertEqual(recsB[0].references, ["localhost/app:v2"])
        XCTAssertEqual(try store.list().count, 2)
    }

    func testRetagMovesNameAndUnnamedImagesStay() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let (unnamed, _) = try TestImage(layers: [Layers.top]).ociArchive(annotations: [:])
        let u = try store.importArchive(path: try s.write("u.tar", unnamed))[0]
        XCTAssertEqual(u.references, [])
        let (a, da) = try TestImage(layers: [Layers.base]).ociArchive(annotations: ["org.opencontainers.image.ref.name": ref])
        try store.importArchive(path: try s.write("a.tar", a))
        let (b, db) = try TestImage(layers: [Layers.base, Layers.top]).ociArchive(annotations: ["org.opencontainers.image.ref.name": ref])
        try store.importArchive(path: try s.write("b.tar", b))
        XCTAssertNotEqual(da, db)
        XCTAssertEqual(try store.resolve(ref)?.manifestDigest, db)
        XCTAssertEqual(Set(try store.list().map(\.manifestDigest)), [db, u.manifestDigest])
        XCTAssertEqual(try store.resolve(u.id.description)?.references, [])
    }

    func testDockerSaveImport() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let img = TestImage(layers: [Layers.base, Layers.top], compression: .none)
        let recs = try store.importArchive(path: try s.write("save.tar", try img.dockerSaveArchive(repoTags: ["busybox:1.0", "localhost/x:y"])))
        XCTAssertEqual(recs.count, 1)
        XCTAssertEqual(recs[0].references, ["docker.io/library/busybox:1.0", "localhost/x:y"])
        XCTAssertEqual(recs[0].layers.map(\.digest), img.diffIDs)
        let manifest = try store.manifest(of: recs[0])
        XCTAssertEqual(manifest.layers.map(\.mediaType), [MediaType.dockerLayer, MediaType.dockerLayer])
        XCTAssertEqual(try store.config(of: recs[0]).diffIDs, img.diffIDs)
        XCTAssertEqual(recs[0].repoDigests, ["docker.io/library/busybox@\(recs[0].manifestDigest)", "localhost/x@\(recs[0].manifestDigest)"])
    }

    func testDigestMismatchRefusedAndNothingKept() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let (tar, _) = try TestImage(layers: [Layers.base]).ociArchive(annotations: ["org.opencontainers.image.ref.name": ref], corrupt: true)
        XCTAssertThrowsImageError(try store.importArchive(path: try s.write("bad.tar", tar))) { e in
            if case .digestMismatch(let what, _, _) = e { return what.contains("blobs/sha256/") }
            return false
        }
        XCTAssertEqual(try store.list().count, 0)
        XCTAssertEqual(FileOps.list(store.blobDir), [])
        XCTAssertEqual(FileOps.list(store.tmpDir), [])
    }

    func testDockerSaveDiffIDMismatchRefused() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        var img = TestImage(layers: [Layers.base], compression: .none)
        var tar = try img.dockerSaveArchive(repoTags: ["x:y"])
        // Same archive but the config claims another diffID: config is rebuilt from other layers.
        img.layers = [Layers.top]
        let wrongConfig = img.configJSON()
        var t = TarBuilder()
        t.file("l/layer.tar", bytes: Layers.base)
        t.file("\(Digest.of(wrongConfig).hex).json", bytes: wrongConfig)
        t.file("manifest.json", "[{\"Config\":\"\(Digest.of(wrongConfig).hex).json\",\"RepoTags\":[\"x:y\"],\"Layers\":[\"l/layer.tar\"]}]")
        tar = t.finished
        XCTAssertThrowsImageError(try store.importArchive(path: try s.write("bad.tar", tar))) { e in
            if case .digestMismatch = e { return true }
            return false
        }
        XCTAssertEqual(try store.list().count, 0)
    }

    func testNotAnImageArchive() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        var t = TarBuilder()
        t.file("hello.txt", "hi")
        XCTAssertThrowsImageError(try store.importArchive(path: try s.write("x.tar", t.finished))) { e in
            if case .invalidArchive(_, let why) = e { return why.contains("neither") }
            return false
        }
        XCTAssertThrowsImageError(try store.importArchive(path: try s.write("y.tar", Array("garbage".utf8)))) { _ in true }
    }

    func testRemoveAndGarbageCollect() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let (tar, _) = try TestImage(layers: [Layers.base, Layers.top]).ociArchive(annotations: ["org.opencontainers.image.ref.name": ref])
        let rec = try store.importArchive(path: try s.write("a.tar", tar))[0]
        try store.unpackLayer(rec.layers[0])
        XCTAssertThrowsImageError(try store.remove("localhost/nope:1")) { if case .notFound = $0 { return true }; return false }
        XCTAssertEqual(try store.garbageCollect(), GCReport())
        try store.remove(ref)
        XCTAssertNil(try store.resolve(ref))
        let gc = try store.garbageCollect(keepingLayers: [rec.layers[0].digest])
        XCTAssertEqual(Set(gc.blobsRemoved), Set([rec.manifestDigest, rec.configDigest] + rec.layers.map(\.digest)))
        XCTAssertEqual(gc.layersRemoved, [])
        XCTAssertTrue(store.isUnpacked(rec.layers[0].digest))
        XCTAssertEqual(try store.garbageCollect().layersRemoved, [rec.layers[0].digest])
        XCTAssertEqual(FileOps.list(store.blobDir), [])
    }

    func testImportPendingMovesDoneFilesAndReportsFailures() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let dir = s.path + "/images/import"
        let (tar, _) = try TestImage(layers: [Layers.base]).ociArchive(annotations: ["org.opencontainers.image.ref.name": ref])
        _ = try s.write("images/import/good.tar.gz", try runCommand(["/usr/bin/gzip", "-c"], stdin: tar))
        _ = try s.write("images/import/bad.tar", Array("not a tar".utf8))
        _ = try s.write("images/import/notes.txt", Array("ignored".utf8))
        let report = store.importPending(directory: dir)
        XCTAssertEqual(report.imported.map(\.file), ["good.tar.gz"])
        XCTAssertEqual(report.imported.first?.images.first?.references, [ref])
        XCTAssertEqual(report.failed.map(\.file), ["bad.tar"])
        XCTAssertEqual(FileOps.list(dir), ["bad.tar", "imported", "notes.txt"])
        XCTAssertEqual(FileOps.list(dir + "/imported"), ["good.tar.gz"])
        XCTAssertEqual(store.importPending(directory: dir).imported.count, 0)
    }
}
