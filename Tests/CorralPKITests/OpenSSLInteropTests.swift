import CorralPKI
import Foundation
import XCTest

/// Real-world checks: the generated files must satisfy OpenSSL's verifier and Go's TLS stack (kubectl).
final class OpenSSLInteropTests: XCTestCase {
    func testOpenSSLVerifiesServerAndAdmin() throws {
        guard let openssl = which("openssl") else { throw XCTSkip("openssl not installed") }
        let dir = try makeTempDir(self)
        _ = try PKI.ensure(directory: dir, dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"])
        for (file, purpose) in [("server.crt", "sslserver"), ("admin.crt", "sslclient")] {
            let plain = try runTool(openssl, ["verify", "-CAfile", "\(dir)/ca.crt", "\(dir)/\(file)"])
            XCTAssertEqual(plain.status, 0, plain.output)
            XCTAssertTrue(plain.output.contains("\(dir)/\(file): OK"), plain.output)
            let strict = try runTool(openssl, ["verify", "-x509_strict", "-purpose", purpose, "-CAfile", "\(dir)/ca.crt", "\(dir)/\(file)"])
            XCTAssertEqual(strict.status, 0, strict.output)
        }
        // Purposes are not interchangeable.
        let wrong = try runTool(openssl, ["verify", "-purpose", "sslclient", "-CAfile", "\(dir)/ca.crt", "\(dir)/server.crt"])
        XCTAssertNotEqual(wrong.status, 0, wrong.output)
        // The keys belong to the certificates.
        for name in ["ca", "server", "admin"] {
            let fromCert = try runTool(openssl, ["x509", "-noout", "-pubkey", "-in", "\(dir)/\(name).crt"])
            let fromKey = try runTool(openssl, ["pkey", "-pubout", "-in", "\(dir)/\(name).key"])
            XCTAssertEqual(fromCert.status, 0, fromCert.output)
            XCTAssertEqual(fromCert.output, fromKey.output, name)
        }
        let text = try runTool(openssl, ["x509", "-noout", "-subject", "-ext", "subjectAltName", "-in", "\(dir)/server.crt"])
        XCTAssertTrue(text.output.contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"), text.output)
        let admin = try runTool(openssl, ["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", "\(dir)/admin.crt"])
        XCTAssertTrue(admin.output.contains("CN=corral-admin,O=system:masters"), admin.output)
    }

    /// kubectl (Go crypto/tls) talks to `openssl s_server` presenting server.crt and demanding a
    /// client certificate from the CA: proves the kubeconfig, the server SANs and the admin
    /// certificate all work together in both directions.
    func testKubectlAgainstOpenSSLServer() throws {
        guard let openssl = which("openssl") else { throw XCTSkip("openssl not installed") }
        guard let kubectl = which("kubectl") else { throw XCTSkip("kubectl not installed") }
        let dir = try makeTempDir(self)
        let material = try PKI.ensure(directory: "\(dir)/pki", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])

        var server: Process?
        var port = 0
        for _ in 0..<5 where server == nil {
            port = Int.random(in: 20000...60000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = [
                "s_server", "-accept", "127.0.0.1:\(port)", "-www", "-quiet",
                "-cert", "\(dir)/pki/server.crt", "-key", "\(dir)/pki/server.key",
                "-CAfile", "\(dir)/pki/ca.crt", "-Verify", "1", "-verify_return_error",
            ]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: 0.5)
            if process.isRunning { server = process } else { process.waitUntilExit() }
        }
        guard let server else { return XCTFail("openssl s_server could not start") }
        defer {
            server.terminate()
            server.waitUntilExit()
        }

        var env = ProcessInfo.processInfo.environment
        env["HOME"] = dir
        env["NO_PROXY"] = "*"
        env.removeValue(forKey: "KUBECONFIG")

        func kubectlGet(_ url: String, clientPEM: String, keyPEM: String) throws -> (status: Int32, output: String) {
            let config = Kubeconfig.render(
                server: url, caPEM: material.caCertificatePEM, userName: "corral-admin",
                clientCertificatePEM: clientPEM, clientKeyPEM: keyPEM)
            let path = "\(dir)/kubeconfig-\(UUID().uuidString).yaml"
            try Kubeconfig.write(config, to: path)
            var last: (status: Int32, output: String) = (-1, "")
            for _ in 0..<10 {
                last = try runTool(kubectl, ["--kubeconfig", path, "--request-timeout=5s", "get", "--raw", "/"], environment: env)
                if last.status == 0 || !last.output.contains("connection refused") { break }
                Thread.sleep(forTimeInterval: 0.3)
            }
            return last
        }

        for url in ["https://127.0.0.1:\(port)", "https://localhost:\(port)"] {
            let ok = try kubectlGet(url, clientPEM: material.adminCertificatePEM, keyPEM: material.adminPrivateKeyPEM)
            XCTAssertEqual(ok.status, 0, "\(url): \(ok.output)")
            XCTAssertTrue(ok.output.contains("s_server"), ok.output)
        }

        // A client certificate from another CA is refused by the server.
        let other = try PKI.ensure(directory: "\(dir)/other", dnsNames: [], ipAddresses: [])
        let refused = try kubectlGet("https://127.0.0.1:\(port)", clientPEM: other.adminCertificatePEM, keyPEM: other.adminPrivateKeyPEM)
        XCTAssertNotEqual(refused.status, 0, refused.output)
        XCTAssertTrue(refused.output.contains("tls:"), refused.output)
    }
}
