import XCTest
@testable import CorralImages

final class ImageReferenceTests: XCTestCase {
    let pin = "sha256:" + String(repeating: "ab", count: 32)

    func testNormalisationTable() throws {
        let table: [(String, String)] = [
            ("busybox", "docker.io/library/busybox:latest"),
            ("busybox:1.36", "docker.io/library/busybox:1.36"),
            ("library/busybox", "docker.io/library/busybox:latest"),
            ("user/app:v1", "docker.io/user/app:v1"),
            ("index.docker.io/user/app", "docker.io/user/app:latest"),
            ("docker.io/busybox", "docker.io/library/busybox:latest"),
            ("localhost/corral-test/busybox:latest", "localhost/corral-test/busybox:latest"),
            ("localhost/x", "localhost/x:latest"),
            ("localhost:5000/a/b", "localhost:5000/a/b:latest"),
            ("host:5000/a/b@\(pin)", "host:5000/a/b@\(pin)"),
            ("host:5000/a/b:t@\(pin)", "host:5000/a/b:t@\(pin)"),
            ("quay.io/a/b-c__d.e:1.0-rc_1", "quay.io/a/b-c__d.e:1.0-rc_1"),
            ("127.0.0.1:5000/x:y", "127.0.0.1:5000/x:y"),
            ("registry.example/x/y/z", "registry.example/x/y/z:latest"),
        ]
        for (input, want) in table {
            XCTAssertEqual(try ImageReference(parsing: input).description, want, input)
        }
    }

    func testParts() throws {
        let r = try ImageReference(parsing: "host:5000/a/b@\(pin)")
        XCTAssertEqual(r.domain, "host:5000")
        XCTAssertEqual(r.path, "a/b")
        XCTAssertNil(r.tag)
        XCTAssertEqual(r.digest?.description, pin)
        XCTAssertEqual(r.manifestReference, pin)
        XCTAssertEqual(r.repository, "host:5000/a/b")
        let t = try ImageReference(parsing: "busybox")
        XCTAssertEqual(t.manifestReference, "latest")
        XCTAssertEqual(t.withTag("2").description, "docker.io/library/busybox:2")
    }

    func testRejected() {
        let bad = ["", "Busybox", "busybox:", "a//b", "-a/b", "a/b:-x", "a/b@sha256:123", "a/b@md5:" + String(repeating: "0", count: 32),
                   "host:port/a", "a/B", ":tag", "a/b:" + String(repeating: "t", count: 129), "a..b/c"]
        for s in bad {
            XCTAssertThrowsError(try ImageReference(parsing: s), s) { err in
                guard case ImageError.invalidReference = err else { return XCTFail("\(s): \(err)") }
            }
        }
    }

    func testSHA256KnownVectors() {
        func hex(_ s: String) -> String { var h = SHA256(); h.update(Array(s.utf8)); return h.finalizeHex() }
        XCTAssertEqual(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // One million 'a' fed in uneven chunks exercises the partial-block buffering.
        var h = SHA256()
        let chunk = [UInt8](repeating: 0x61, count: 997)
        var fed = 0
        while fed < 1_000_000 { let n = min(997, 1_000_000 - fed); h.update(Array(chunk[0..<n])); fed += n }
        XCTAssertEqual(h.finalizeHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Lengths around the padding boundary agree with one-shot hashing.
        for n in [55, 56, 63, 64, 65, 119, 120] {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            var a = SHA256(); a.update(bytes)
            var b = SHA256(); for byte in bytes { b.update([byte]) }
            XCTAssertEqual(a.finalizeHex(), b.finalizeHex(), "length \(n)")
        }
    }

    func testDigestParsing() throws {
        XCTAssertEqual(try Digest(pin).hex, String(repeating: "ab", count: 32))
        XCTAssertThrowsError(try Digest("sha256:" + String(repeating: "AB", count: 32)))
        XCTAssertThrowsError(try Digest("sha512:" + String(repeating: "a", count: 64)))
        XCTAssertEqual(Digest.of(Array("abc".utf8)).description, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
