import Foundation
import XCTest
@testable import CorralImages

/// A scratch directory removed at the end of the test.
final class Scratch {
    let path: String
    init() {
        var t = Array("/tmp/corral-images-test-XXXXXX".utf8CString)
        path = t.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    deinit { FileOps.removeTree(path) }
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path + "/" + name
        try FileOps.makeDirectories((p as NSString).deletingLastPathComponent)
        try FileOps.writeFileAtomically(p, bytes)
        return p
    }
}

enum Layers {
    /// Base layer: busybox-like files, an absolute symlink, things the next layer hides.
    static var base: [UInt8] {
        var t = TarBuilder()
        t.dir("./"); t.dir("bin/")
        t.file("bin/busybox", "#!fake busybox\n", mode: 0o755)
        t.symlink("bin/sh", to: "/bin/busybox")
        t.dir("etc/"); t.file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")
        t.dir("data/"); t.file("data/old1", "1"); t.file("data/old2", "2")
        t.file("gone.txt", "soon hidden"); t.file("keep.txt", "kept", uid: 1000)
        return t.finished
    }

    /// Top layer: a whiteout, an opaque directory with one new file, a new file.
    static var top: [UInt8] {
        var t = TarBuilder()
        t.file(".wh.gone.txt", "")
        t.dir("data/")
        t.file("data/.wh..wh..opq", "")
        t.file("data/new", "new")
        t.file("etc/hostname", "corral\n")
        return t.finished
    }
}

func XCTAssertThrowsImageError(_ body: @autoclosure () throws -> Any, file: StaticString = #filePath, line: UInt = #line,
                               _ check: (ImageError) -> Bool) {
    do {
        _ = try body()
        XCTFail("expected an ImageError", file: file, line: line)
    } catch let e as ImageError {
        XCTAssertTrue(check(e), "unexpected error: \(e)", file: file, line: line)
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
    }
}
