import CorralAPI
import CorralModel
import CorralPKI
import Foundation
import NIOSSL
import XCTest

@testable import CorralControllers

/// kubectl 1.32 against an API server wired like corrald (a private copy
/// of its wiring) with the scheduler, the workload controllers and the fake
/// kubelet: rollout status / history / undo / restart and scale.
final class KubectlEndToEndTests: XCTestCase {
    var h: ControllerHarness!
    var server: HTTPServer!
    var kubeconfig = ""

    override func setUp() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/kubectl") else {
            XCTFail("kubectl 1.32 is needed at /usr/bin/kubectl")
            return
        }
        h = try await ControllerHarness()
        let pki = try PKI.ensure(directory: h.dir + "/pki", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.serverCertificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.serverPrivateKeyPEM.utf8), format: .pem)))
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pki.caCertificatePEM.utf8)))
        tls.certificateVerification = .optionalVerification
        tls.applicationProtocols = ["http/1.1"]
        let api = APIServer(objects: h.objects, info: ServerInfo(advertiseAddress: "127.0.0.1:0"), authenticator: Authenticator(), logger: h.logger)
        server = try HTTPServer(handler: api, tls: tls, threads: 1, logger: h.logger)
        let port = try server.start(host: "127.0.0.1", port: 0)
        api.ready = true
        kubeconfig = h.dir + "/kubeconfig.yaml"
        try Kubeconfig.write(Kubeconfig.render(server: "https://127.0.0.1:\(port)", caPEM: pki.caCertificatePEM, userName: "admin",
                                               clientCertificatePEM: pki.adminCertificatePEM, clientKeyPEM: pki.adminPrivateKeyPEM), to: kubeconfig)
        h.start()
    }

    override func tearDown() async throws {
        server?.stop()
        await h?.stop()
    }

    /// Runs kubectl; returns (exit status, stdout + stderr).
    @discardableResult
    func kubectl(_ args: String..., input: String? = nil) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/kubectl")
        p.arguments = ["--kubeconfig", kubeconfig] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        let inPipe = Pipe()
        p.standardInput = inPipe
        try p.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try? inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        // CORRAL_E2E_TRANSCRIPT=FILE keeps every command and its output for reading.
        if let path = ProcessInfo.processInfo.environment["CORRAL_E2E_TRANSCRIPT"], let fh = FileHandle(forWritingAtPath: path) ?? {
            FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() {
            fh.seekToEndOfFile()
            fh.write(Data("$ kubectl \(args.joined(separator: " "))\n\(text)\n".utf8))
            try? fh.close()
        }
        return (p.terminationStatus, text)
    }

    func testRolloutCommands() throws {
        let manifest = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              annotations:
                kubernetes.io/change-cause: first
            spec:
              replicas: 3
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: web, image: "nginx:1"}]
            """
        var (rc, out) = try kubectl("apply", "-f", "-", input: manifest)
        XCTAssertEqual(rc, 0, out)
        (rc, out) = try kubectl("rollout", "status", "deployment/web", "--timeout=60s")
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(out.contains("deployment \"web\" successfully rolled out"), out)

        (rc, out) = try kubectl("set", "image", "deployment/web", "web=nginx:2")
        XCTAssertEqual(rc, 0, out)
        (rc, out) = try kubectl("annotate", "deployment/web", "kubernetes.io/change-cause=second", "--overwrite")
        XCTAssertEqual(rc, 0, out)
        (rc, out) = try kubectl("rollout", "status", "deployment/web", "--timeout=60s")
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(out.contains("successfully rolled out"), out)

        (rc, out) = try kubectl("rollout", "history", "deployment/web")
        XCTAssertEqual(rc, 0, out)
        let rows = out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        XCTAssertTrue(rows.contains("1 first"), out)
        XCTAssertTrue(rows.contains("2 second"), out)

        (rc, out) = try kubectl("rollout", "undo", "deployment/web")
        XCTAssertEqual(rc, 0, out)
        XCTAssertTrue(out.contains("rolled back"), out)
        (rc, out) = try kubectl("rollout", "status", "deployment/web", "--timeout=60s")
        XCTAssertEqual(rc, 0, out)
        (rc, out) = try kubectl("get", "deployment/web", "-o", "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision} {.spec.template.spec.containers[0].image}")
        XCTAssertEqual(out, "3 nginx:1")
        (rc, out) = try kubectl("get", "rs", "-o", "name")
        XCTAssertEqual(out.split(separator: "\n").count, 2, out)

        (rc, out) = try kubectl("rollout", "restart", "deployment/web")
        XCTAssertEqual(rc, 0, out)
        (rc, out) = try kubectl("rollout", "status", "deployment/web", "--timeout=60s")
        XCTAssertEqual(rc, 0, out)
        (rc, out) = try kubectl("get", "rs", "-o", "name")
        XCTAssertEqual(out.split(separator: "\n").count, 3, out)

        (rc, out) = try kubectl("scale", "deployment/web", "--replicas=5")
        XCTAssertEqual(rc, 0, out)
        (rc, out) = try kubectl("rollout", "status", "deployment/web", "--timeout=60s")
        XCTAssertEqual(rc, 0, out)
        (rc, out) = try kubectl("get", "deployment/web", "-o", "jsonpath={.status.readyReplicas}/{.status.updatedReplicas}/{.status.availableReplicas}")
        XCTAssertEqual(out, "5/5/5")
        // Scaled-down pods terminate gracefully (the fake kubelet finishes that quickly).
        for _ in 0..<100 {
            (rc, out) = try kubectl("get", "pods", "-l", "app=web", "--no-headers")
            if out.split(separator: "\n").count == 5 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertEqual(out.split(separator: "\n").count, 5, out)
        XCTAssertFalse(out.contains("Terminating"), out)

        (rc, out) = try kubectl("describe", "deployment/web")
        XCTAssertTrue(out.contains("ScalingReplicaSet"), out)
        XCTAssertTrue(out.contains("NewReplicaSetAvailable"), out)
    }
}
