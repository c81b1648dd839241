import Foundation
import XCTest
@testable import CorralImages

final class RootfsTests: XCTestCase {
    func testOverlayPlanOrderAndLimits() throws {
        let p = try OverlayPlan.plan(layersBottomFirst: ["/l/a", "/l/b"], containerDir: "/c/1/", emptyLayer: "/l/empty")
        XCTAssertEqual(p.options, "lowerdir=/l/b:/l/a,upperdir=/c/1/upper,workdir=/c/1/work")
        XCTAssertEqual(p.target, "/c/1/rootfs")
        XCTAssertEqual(try OverlayPlan.plan(layersBottomFirst: [], containerDir: "/c", emptyLayer: "/e").lowerDirs, ["/e"])
        XCTAssertThrowsError(try OverlayPlan.plan(layersBottomFirst: ["/l/a"], containerDir: "/c,x", emptyLayer: "/e"))
        let many = (0..<60).map { "/var/lib/corral/images/layers/sha256/" + String(repeating: "a", count: 62) + String($0) }
        XCTAssertThrowsError(try OverlayPlan.plan(layersBottomFirst: many, containerDir: "/c", emptyLayer: "/e"))
    }

    func testMountInfoParsing() {
        let text = """
        22 27 0:21 / /proc rw,relatime - proc proc rw
        99 27 0:50 / /var/lib/x\\040y/rootfs rw - overlay overlay rw,lowerdir=/a
        """
        XCTAssertEqual(MountInfo.mountPoints(text), ["/proc", "/var/lib/x y/rootfs"])
    }

    func testOverlayMountShowsMergedView() throws {
        try XCTSkipUnless(getuid() == 0, "overlay mounts need root")
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let (tar, _) = try TestImage(layers: [Layers.base, Layers.top]).ociArchive(annotations: ["org.opencontainers.image.ref.name": "localhost/corral-test/t:1"])
        let image = try store.importArchive(path: try s.write("t.tar", tar))[0]
        let rootfs = RootfsManager(store: store)
        let cdir = s.path + "/containers/c1"
        let merged = try rootfs.mount(image: image, containerDir: cdir)
        defer { try? rootfs.unmount(containerDir: cdir) }
        XCTAssertTrue(rootfs.isMounted(containerDir: cdir))
        XCTAssertEqual(try rootfs.mount(image: image, containerDir: cdir), merged)   // idempotent
        XCTAssertEqual(FileOps.list(merged), ["bin", "data", "etc", "keep.txt"])    // gone.txt whited out
        XCTAssertEqual(FileOps.list(merged + "/data"), ["new"])                      // opaque dir hides old1/old2
        XCTAssertEqual(FileOps.list(merged + "/etc"), ["hostname", "passwd"])
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: merged + "/bin/sh"), "/bin/busybox")
        // Writes land in the container's upper dir, never in the shared layers.
        try FileOps.writeFileAtomically(merged + "/etc/passwd", Array("changed".utf8))
        XCTAssertEqual(String(decoding: try FileOps.readFile(cdir + "/upper/etc/passwd"), as: UTF8.self), "changed")
        XCTAssertEqual(String(decoding: try FileOps.readFile(store.unpackedLayerPath(image.layers[0].digest) + "/etc/passwd"), as: UTF8.self),
                       "root:x:0:0::/root:/bin/sh\n")
        try rootfs.unmount(containerDir: cdir)
        XCTAssertFalse(rootfs.isMounted(containerDir: cdir))
        XCTAssertEqual(FileOps.list(merged), [])
        try rootfs.unmount(containerDir: cdir)                                       // idempotent
        // Remounting keeps the container's changes.
        try rootfs.mount(image: image, containerDir: cdir)
        XCTAssertEqual(String(decoding: try FileOps.readFile(merged + "/etc/passwd"), as: UTF8.self), "changed")
        try rootfs.unmount(containerDir: cdir, removeData: true)
        XCTAssertFalse(FileOps.exists(cdir))
    }
}
