import Foundation
import XCTest
@testable import CorralImages

/// Pulls from real `docker-registry` instances (Debian package docker-registry) started in a
/// network namespace this test creates: one plain-HTTP anonymous, one HTTPS with a self-signed CA
/// and htpasswd Basic auth, both on 127.0.0.1 inside the namespace. Images are pushed with curl
/// per the distribution spec; pulls run on an event-loop thread that joined the namespace.
final class RegistryE2ETests: XCTestCase {
    static let user = "corral", password = "corral-pull-pw"
    // bcrypt of `password` (cost 5), as `htpasswd -B` would write it.
    static let htpasswd = "corral:$2b$05$2.p8gJZOF9TkjhstX.9KtuLJGB5d8.JA3N8kMd.0czC06fRUt7J6i\n"

    func testPullFromRealRegistriesInNetworkNamespace() async throws {
        try XCTSkipUnless(getuid() == 0, "needs root to create a network namespace")
        for tool in ["/usr/bin/docker-registry", "/usr/bin/curl", "/usr/bin/openssl", "/usr/sbin/ip"] where !FileManager.default.isExecutableFile(atPath: tool) {
            return XCTFail("\(tool) missing: apt-get install -y --no-install-recommends docker-registry curl openssl iproute2")
        }
        let s = Scratch()
        let ns = "corral-h-images-\(getpid())"
        try runCommand(["/usr/sbin/ip", "netns", "add", ns])
        var registries: [Process] = []
        defer {
            for p in registries where p.isRunning { p.terminate(); p.waitUntilExit() }
            _ = try? runCommand(["/usr/sbin/ip", "netns", "del", ns])
        }
        try runCommand(["/usr/sbin/ip", "netns", "exec", ns, "/usr/sbin/ip", "link", "set", "lo", "up"])
        let transport = try HTTPTransports.inNetworkNamespace("/var/run/netns/" + ns)
        try makeCertificates(in: s.path)
        _ = try s.write("htpasswd", Array(Self.htpasswd.utf8))
        registries.append(try startRegistry(ns: ns, dir: s.path, name: "plain", port: 5000, tls: false))
        registries.append(try startRegistry(ns: ns, dir: s.path, name: "secure", port: 5443, tls: true))

        let image = TestImage(layers: [Layers.base, Layers.top])
        try push(image, ns: ns, dir: s.path, base: "http://127.0.0.1:5000", curlArgs: "")
        try push(image, ns: ns, dir: s.path, base: "https://127.0.0.1:5443", curlArgs: "--cacert \(s.path)/ca.crt -u \(Self.user):\(Self.password)")

        // 1. Anonymous plain HTTP, multi-arch index -> amd64.
        let plain = RegistryConfig(configs: ["127.0.0.1:5000": RegistryHostConfig(plainHTTP: true)])
        let store = try ImageStore(root: s.path + "/images")
        let t0 = Date()
        let rec = try await ImagePuller(store: store, client: RegistryClient(config: plain, transport: transport))
            .pull("127.0.0.1:5000/corral-test/busybox:latest")
        print("pull over HTTP took \(Int(Date().timeIntervalSince(t0) * 1000)) ms")
        XCTAssertEqual(rec.references, ["127.0.0.1:5000/corral-test/busybox:latest"])
        XCTAssertEqual(rec.layers.map(\.diffID), image.diffIDs)
        XCTAssertNotNil(rec.indexDigest)
        XCTAssertEqual(try store.config(of: rec).architecture, "amd64")
        let dirs = try store.unpackLayers(of: rec)
        XCTAssertEqual(String(decoding: try FileOps.readFile(dirs[0] + "/etc/passwd"), as: UTF8.self), "root:x:0:0::/root:/bin/sh\n")

        // 2. HTTPS with our CA and Basic auth.
        let secureHost = "127.0.0.1:5443"
        let tlsCA = RegistryTLS(caFile: s.path + "/ca.crt")
        let cred = RegistryCredential(username: Self.user, password: Self.password)
        func pull(_ config: RegistryConfig, creds: [String: RegistryCredential], root: String) async throws -> ImageRecord {
            try await ImagePuller(store: try ImageStore(root: s.path + "/" + root), client: RegistryClient(config: config, transport: transport))
                .pull(secureHost + "/corral-test/busybox:latest", credentials: creds)
        }
        do {
            _ = try await pull(RegistryConfig(configs: [secureHost: RegistryHostConfig(tls: tlsCA)]), creds: [:], root: "s1")
            XCTFail("anonymous pull from an htpasswd registry succeeded")
        } catch ImageError.unauthorized(let msg) {
            XCTAssertTrue(msg.contains("username and password"), msg)
        }
        let viaSecret = try await pull(RegistryConfig(configs: [secureHost: RegistryHostConfig(tls: tlsCA)]), creds: [secureHost: cred], root: "s2")
        XCTAssertEqual(viaSecret.manifestDigest, rec.manifestDigest)
        let viaConfig = try await pull(RegistryConfig(configs: [secureHost: RegistryHostConfig(auth: cred, tls: tlsCA)]), creds: [:], root: "s3")
        XCTAssertEqual(viaConfig.manifestDigest, rec.manifestDigest)
        do {
            _ = try await pull(RegistryConfig(), creds: [secureHost: cred], root: "s4")
            XCTFail("self-signed certificate accepted without ca_file")
        } catch ImageError.registry(let msg) {
            XCTAssertTrue(msg.lowercased().contains("certificate") || msg.contains("handshake") || msg.contains("SSL"), msg)
        }
        let insecure = RegistryConfig(configs: [secureHost: RegistryHostConfig(auth: cred, tls: RegistryTLS(insecureSkipVerify: true))])
        let viaInsecure = try await pull(insecure, creds: [:], root: "s5")
        XCTAssertEqual(viaInsecure.manifestDigest, rec.manifestDigest)
    }

    private func makeCertificates(in dir: String) throws {
        let ossl = "/usr/bin/openssl"
        try runCommand([ossl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                        "-subj", "/CN=corral-test-ca", "-keyout", dir + "/ca.key", "-out", dir + "/ca.crt"])
        try runCommand([ossl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-subj", "/CN=localhost", "-keyout", dir + "/srv.key", "-out", dir + "/srv.csr"])
        _ = try Scratch.writeAbsolute(dir + "/ext.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        try runCommand([ossl, "x509", "-req", "-in", dir + "/srv.csr", "-CA", dir + "/ca.crt", "-CAkey", dir + "/ca.key",
                        "-CAcreateserial", "-days", "1", "-extfile", dir + "/ext.cnf", "-out", dir + "/srv.crt"])
    }

    private func startRegistry(ns: String, dir: String, name: String, port: Int, tls: Bool) throws -> Process {
        var yaml = """
        version: 0.1
        log: {level: error}
        storage: {filesystem: {rootdirectory: \(dir)/reg-\(name)}}
        http:
          addr: 127.0.0.1:\(port)

        """
        if tls {
            yaml += "  tls: {certificate: \(dir)/srv.crt, key: \(dir)/srv.key}\n"
            yaml += "auth: {htpasswd: {realm: corral-test, path: \(dir)/htpasswd}}\n"
        }
        let cfg = try Scratch.writeAbsolute(dir + "/\(name).yml", yaml)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = ["netns", "exec", ns, "/usr/bin/docker-registry", "serve", cfg]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Wait until it answers /v2/ inside the namespace (any HTTP status will do).
        let scheme = tls ? "https" : "http"
        for _ in 0..<100 {
            if let out = try? runCommand(["/usr/sbin/ip", "netns", "exec", ns, "/usr/bin/curl", "-s", "-k", "-o", "/dev/null", "-w", "%{http_code}",
                                          "\(scheme)://127.0.0.1:\(port)/v2/"]), String(decoding: out, as: UTF8.self) != "000" {
                return p
            }
            usleep(50_000)
        }
        p.terminate()
        throw NSError(domain: "registry", code: 1, userInfo: [NSLocalizedDescriptionKey: "docker-registry \(name) did not start"])
    }

    /// Pushes `image` as corral-test/busybox:latest behind an index with amd64 and arm64 entries.
    private func push(_ image: TestImage, ns: String, dir: String, base: String, curlArgs: String) throws {
        let blobDir = dir + "/push-" + (base.hasPrefix("https") ? "s" : "p")
        try FileOps.makeDirectories(blobDir)
        var armImage = image
        armImage.env = ["ARCH=arm64"]
        var script = """
        set -e
        B='\(base)'; R=corral-test/busybox
        blob() {
          loc=$(curl -sS -f -X POST -D - -o /dev/null \(curlArgs) "$B/v2/$R/blobs/uploads/" | tr -d '\\r' | sed -n 's/^[Ll]ocation: //p')
          case "$loc" in http*) ;; *) loc="$B$loc";; esac
          case "$loc" in *\\?*) sep='&';; *) sep='?';; esac
          curl -sS -f -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$1" \(curlArgs) "$loc${sep}digest=$2" >/dev/null
        }
        manifest() { curl -sS -f -X PUT -H "Content-Type: $1" --data-binary @"$2" \(curlArgs) "$B/v2/$R/manifests/$3" >/dev/null; }

        """
        var entries: [String] = []
        for (img, arch) in [(image, "amd64"), (armImage, "arm64")] {
            let layers = try img.compressedLayers()
            var config = img.configJSON()
            config = Array(String(decoding: config, as: UTF8.self).replacingOccurrences(of: "\"amd64\"", with: "\"\(arch)\"").utf8)
            for b in layers + [config] {
                let path = try Scratch.writeAbsolute(blobDir + "/" + Digest.of(b).hex, b)
                script += "blob \(path) \(Digest.of(b))\n"
            }
            let descs = layers.map { "{\"mediaType\":\"\(img.layerMediaType)\",\"digest\":\"\(Digest.of($0))\",\"size\":\($0.count)}" }
            let manifest = Array("""
            {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)","config":{"mediaType":"\(MediaType.ociConfig)","digest":"\(Digest.of(config))","size":\(config.count)},"layers":[\(descs.joined(separator: ","))]}
            """.utf8)
            let mpath = try Scratch.writeAbsolute(blobDir + "/manifest-" + arch, manifest)
            script += "manifest \(MediaType.ociManifest) \(mpath) \(Digest.of(manifest))\n"
            entries.append("{\"mediaType\":\"\(MediaType.ociManifest)\",\"digest\":\"\(Digest.of(manifest))\",\"size\":\(manifest.count),\"platform\":{\"architecture\":\"\(arch)\",\"os\":\"linux\"}}")
        }
        let index = "{\"schemaVersion\":2,\"mediaType\":\"\(MediaType.ociIndex)\",\"manifests\":[\(entries.reversed().joined(separator: ","))]}"
        let ipath = try Scratch.writeAbsolute(blobDir + "/index", Array(index.utf8))
        script += "manifest \(MediaType.ociIndex) \(ipath) latest\n"
        try runCommand(["/usr/sbin/ip", "netns", "exec", ns, "/bin/sh", "-c", script])
    }
}

extension Scratch {
    @discardableResult
    static func writeAbsolute(_ path: String, _ text: String) throws -> String { try writeAbsolute(path, Array(text.utf8)) }
    @discardableResult
    static func writeAbsolute(_ path: String, _ bytes: [UInt8]) throws -> String {
        try FileOps.writeFileAtomically(path, bytes)
        return path
    }
}
