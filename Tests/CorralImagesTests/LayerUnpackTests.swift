import Foundation
import XCTest
@testable import CorralImages

final class LayerUnpackTests: XCTestCase {
    override func setUpWithError() throws {
        // Owners, device nodes (whiteouts) and trusted.* xattrs need root.
        try XCTSkipUnless(getuid() == 0, "layer unpacking tests need root (chown, mknod, trusted.* xattrs)")
    }

    private func storeLayer(_ store: ImageStore, _ tar: [UInt8], diffID: Digest? = nil, gzip: Bool = false) throws -> LayerRecord {
        let blob = gzip ? try runCommand(["/usr/bin/gzip", "-c", "-n"], stdin: tar) : tar
        let d = try store.writeBlob(blob)
        return LayerRecord(digest: d, diffID: diffID ?? Digest.of(tar), size: Int64(blob.count), mediaType: nil)
    }

    func testUnpackPreservesMetadataAndMakesOverlayWhiteouts() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let base = try store.unpackLayer(try storeLayer(store, Layers.base, gzip: true))
        XCTAssertEqual(base, store.root + "/layers/sha256/" + Digest.of(try runCommand(["/usr/bin/gzip", "-c", "-n"], stdin: Layers.base)).hex)
        var st = stat()
        XCTAssertEqual(lstat(base + "/bin/sh", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFLNK)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: base + "/bin/sh"), "/bin/busybox")
        XCTAssertEqual(lstat(base + "/bin/busybox", &st), 0)
        XCTAssertEqual(st.st_mode & 0o7777, 0o755)
        XCTAssertEqual(st.st_mtim.tv_sec, 1_700_000_000)
        XCTAssertEqual(lstat(base + "/keep.txt", &st), 0)
        XCTAssertEqual(st.st_uid, 1000)
        XCTAssertEqual(String(decoding: try FileOps.readFile(base + "/etc/passwd"), as: UTF8.self), "root:x:0:0::/root:/bin/sh\n")

        let top = try store.unpackLayer(try storeLayer(store, Layers.top))
        XCTAssertEqual(lstat(top + "/gone.txt", &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFCHR)
        XCTAssertEqual(st.st_rdev, 0)
        XCTAssertFalse(FileOps.exists(top + "/.wh.gone.txt"))
        XCTAssertEqual(Xattr.get(top + "/data", name: "trusted.overlay.opaque"), Array("y".utf8))
        XCTAssertFalse(FileOps.exists(top + "/data/.wh..wh..opq"))
        XCTAssertEqual(FileOps.list(top + "/data"), ["new"])
        // Unpacking again reuses the tree.
        XCTAssertEqual(try store.unpackLayer(try storeLayer(store, Layers.top)), top)
        XCTAssertEqual(FileOps.list(store.tmpDir), [])
    }

    func testZstdLayerAndOverlayXattrsStripped() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        var t = TarBuilder()
        t.file("f", "x", xattrs: ["user.keep": "1", "trusted.overlay.redirect": "/etc"])
        let tar = t.finished
        let blob = try runCommand(["/usr/bin/zstd", "-q", "-c"], stdin: tar)
        let rec = LayerRecord(digest: try store.writeBlob(blob), diffID: Digest.of(tar), size: Int64(blob.count), mediaType: MediaType.ociLayerZstd)
        let dir = try store.unpackLayer(rec)
        XCTAssertEqual(Xattr.get(dir + "/f", name: "user.keep"), Array("1".utf8))
        XCTAssertNil(Xattr.get(dir + "/f", name: "trusted.overlay.redirect"))
    }

    func testDiffIDMismatchRefused() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let rec = try storeLayer(store, Layers.base, diffID: Digest.of(Layers.top), gzip: true)
        XCTAssertThrowsImageError(try store.unpackLayer(rec)) { e in
            if case .digestMismatch(let what, _, _) = e { return what.contains("diffID") }
            return false
        }
        XCTAssertFalse(store.isUnpacked(rec.digest))
        XCTAssertEqual(FileOps.list(store.tmpDir), [])
    }

    /// Each hostile layer is refused, names the entry, and leaves the sentinel and the store untouched.
    func testMaliciousLayersRefused() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let sentinel = s.path + "/sentinel"
        try FileOps.makeDirectories(sentinel)
        _ = try s.write("sentinel/secret", Array("secret".utf8))
        let sentinelRel = String(sentinel.dropFirst())  // for `evil -> /` style paths
        let cases: [(String, (inout TarBuilder) -> Void)] = [
            ("../escape", { $0.file("../escape", "x") }),
            ("a/../../escape2", { $0.dir("a/"); $0.file("a/../../escape2", "x") }),
            (sentinel + "/abs", { $0.file(sentinel + "/abs", "x") }),
            ("hl", { $0.hardlink("hl", to: "../sentinel/secret") }),
            ("hl-abs", { $0.hardlink("hl-abs", to: sentinel + "/secret") }),
            ("evil/x", { $0.symlink("evil", to: sentinel); $0.file("evil/x", "x") }),
            ("root/\(sentinelRel)/y", { $0.symlink("root", to: "/"); $0.file("root/\(sentinelRel)/y", "y") }),
            ("up/z", { $0.symlink("up", to: "../../../../../../../../.." + sentinel); $0.file("up/z", "z") }),
            ("hl-through", { $0.symlink("evil", to: sentinel); $0.hardlink("hl-through", to: "evil/secret") }),
            ("evil/.wh.secret", { $0.symlink("evil", to: sentinel); $0.file("evil/.wh.secret", "") }),
            ("evil/.wh..wh..opq", { $0.symlink("evil", to: sentinel); $0.file("evil/.wh..wh..opq", "") }),
            ("evil/dir/", { $0.symlink("evil", to: sentinel); $0.dir("evil/dir/") }),
        ]
        for (entry, build) in cases {
            var t = TarBuilder()
            t.file("ok", "fine")
            build(&t)
            let rec = try storeLayer(store, t.finished)
            XCTAssertThrowsImageError(try store.unpackLayer(rec)) { e in
                guard case .unsafeLayerEntry(let layer, let name, _) = e else { return false }
                return name == entry && layer == rec.digest.description && "\(e)".contains(entry)
            }
            XCTAssertEqual(FileOps.list(sentinel), ["secret"], entry)
            XCTAssertEqual(String(decoding: try FileOps.readFile(sentinel + "/secret"), as: UTF8.self), "secret", entry)
            var st = stat()
            XCTAssertEqual(stat(sentinel + "/secret", &st), 0)
            XCTAssertEqual(st.st_nlink, 1, "\(entry): secret gained a hard link")
            XCTAssertEqual(FileOps.list(s.path), ["images", "sentinel"], entry)
            XCTAssertEqual(FileOps.list(store.root).filter { $0 != "images.lock" }, ["blobs", "layers", "tmp"], entry)
            XCTAssertEqual(FileOps.list(store.tmpDir), [], entry)
            XCTAssertFalse(store.isUnpacked(rec.digest), entry)
        }
        XCTAssertFalse(FileOps.exists("/escape") || FileOps.exists("/escape2"))
    }

    func testHardlinkInsideLayerAndSymlinkReplacement() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        var t = TarBuilder()
        t.dir("bin/")
        t.file("bin/busybox", "bb", mode: 0o755)
        t.hardlink("bin/ls", to: "bin/busybox")
        t.symlink("link", to: "/etc/passwd")
        t.file("link", "replaced")   // a later entry replaces the symlink, never writes through it
        let dir = try store.unpackLayer(try storeLayer(store, t.finished))
        var a = stat(), b = stat()
        XCTAssertEqual(stat(dir + "/bin/busybox", &a), 0)
        XCTAssertEqual(stat(dir + "/bin/ls", &b), 0)
        XCTAssertEqual(a.st_ino, b.st_ino)
        XCTAssertEqual(String(decoding: try FileOps.readFile(dir + "/link"), as: UTF8.self), "replaced")
        XCTAssertNotEqual(String(decoding: try FileOps.readFile("/etc/passwd"), as: UTF8.self), "replaced")
    }

    /// A pax tar made by GNU tar: UTF-8 names, names longer than ustar allows.
    func testPaxNamesFromGNUTar() throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let long = String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 80)
        _ = try s.write("src/café", Array("ü".utf8))
        _ = try s.write("src/" + long, Array("long".utf8))
        let tar = try runCommand(["/usr/bin/tar", "--format=pax", "-C", s.path + "/src", "-cf", "-", "."])
        let dir = try store.unpackLayer(try storeLayer(store, tar))
        XCTAssertEqual(String(decoding: try FileOps.readFile(dir + "/café"), as: UTF8.self), "ü")
        XCTAssertEqual(String(decoding: try FileOps.readFile(dir + "/" + long), as: UTF8.self), "long")
    }

    func testPolicyTable() {
        func act(_ n: String, _ h: String? = nil) -> LayerEntryAction? { try? LayerEntryPolicy.action(name: n, hardlinkTarget: h).get() }
        XCTAssertEqual(act("./a/b"), .extract(["a", "b"]))
        XCTAssertEqual(act("./"), .skip)
        XCTAssertEqual(act("a/.wh.b"), .whiteout(dir: ["a"], name: "b"))
        XCTAssertEqual(act("a/.wh..wh..opq"), .opaque(dir: ["a"]))
        XCTAssertEqual(act(".wh..wh.plnk"), .skip)
        XCTAssertEqual(act("x", "./bin/y"), .hardlink(path: ["x"], target: ["bin", "y"]))
        XCTAssertNil(act("/a"))
        XCTAssertNil(act("a/../b"))
        XCTAssertNil(act("x", "../y"))
        XCTAssertNil(act("x", "/y"))
        XCTAssertNil(act(".wh.."))
    }
}
