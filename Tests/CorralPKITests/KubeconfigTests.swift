import CorralPKI
import Foundation
import XCTest

final class KubeconfigTests: XCTestCase {
    func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }

    func testRenderClientCertificate() {
        let text = Kubeconfig.render(
            server: "https://127.0.0.1:6443", caPEM: "CA PEM\n", userName: "corral-admin",
            clientCertificatePEM: "CERT PEM\n", clientKeyPEM: "KEY PEM\n")
        XCTAssertTrue(text.hasPrefix("apiVersion: v1\nkind: Config\n"))
        XCTAssertTrue(text.contains("certificate-authority-data: \(b64("CA PEM\n"))\n"))
        XCTAssertTrue(text.contains("client-certificate-data: \(b64("CERT PEM\n"))\n"))
        XCTAssertTrue(text.contains("client-key-data: \(b64("KEY PEM\n"))\n"))
        XCTAssertTrue(text.contains("server: https://127.0.0.1:6443\n"))
        XCTAssertTrue(text.contains("current-context: corral\n"))
        XCTAssertTrue(text.contains("- name: corral-admin\n"))
        XCTAssertFalse(text.contains("namespace:"))
    }

    func testRenderTokenWithNamespaceAndAwkwardStrings() {
        let text = Kubeconfig.render(
            server: "https://[::1]:6443", caPEM: "CA", userName: "system:serviceaccount:ns:sa",
            token: "123abc", contextName: "lab", namespace: "no")
        XCTAssertTrue(text.contains("token: \"123abc\"\n"), text)
        XCTAssertTrue(text.contains("namespace: \"no\"\n"), text)
        XCTAssertTrue(text.contains("current-context: lab\n"))
        XCTAssertTrue(text.contains("server: https://[::1]:6443\n"))
        XCTAssertFalse(text.contains("client-key-data"))
    }

    func testWriteIsAtomicWithMode0600() throws {
        let dir = try makeTempDir(self)
        let path = "\(dir)/sub/kubeconfig.yaml"
        let oldMask = umask(0)
        defer { umask(oldMask) }
        try Kubeconfig.write("first\n", to: path)
        XCTAssertEqual(permissions(path), 0o600)
        XCTAssertEqual(permissions("\(dir)/sub"), 0o700)
        chmod(path, 0o644)
        try Kubeconfig.write("second\n", to: path)
        XCTAssertEqual(try readText(path), "second\n")
        XCTAssertEqual(permissions(path), 0o600)
        // No temporary files are left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/sub"), ["kubeconfig.yaml"])
        XCTAssertThrowsError(try Kubeconfig.write("x", to: "\(dir)/sub/kubeconfig.yaml/inside"))
    }

    /// kubectl itself must accept the rendered files (parsing, base64 data, quoting).
    func testKubectlParsesRenderedConfigs() throws {
        guard let kubectl = which("kubectl") else { throw XCTSkip("kubectl not installed") }
        let dir = try makeTempDir(self)
        let material = try PKI.ensure(directory: "\(dir)/pki", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        let certConfig = Kubeconfig.render(
            server: "https://[::1]:6443", caPEM: material.caCertificatePEM, userName: "corral-admin",
            clientCertificatePEM: material.adminCertificatePEM, clientKeyPEM: material.adminPrivateKeyPEM,
            namespace: "default")
        try Kubeconfig.write(certConfig, to: "\(dir)/a.yaml")
        let view = try runTool(kubectl, ["--kubeconfig", "\(dir)/a.yaml", "config", "view", "--raw", "--minify", "-o",
                                     "jsonpath={.current-context}|{.clusters[0].cluster.server}|{.contexts[0].context.namespace}|{.users[0].user.client-key-data}"])
        XCTAssertEqual(view.status, 0, view.output)
        XCTAssertEqual(view.output, "corral|https://[::1]:6443|default|\(b64(material.adminPrivateKeyPEM))")

        let tokenConfig = Kubeconfig.render(
            server: "https://127.0.0.1:6443", caPEM: material.caCertificatePEM, userName: "user: with \"quotes\"",
            token: "0123:abc=", contextName: "true", namespace: "kube-system")
        try Kubeconfig.write(tokenConfig, to: "\(dir)/b.yaml")
        let tokenView = try runTool(kubectl, ["--kubeconfig", "\(dir)/b.yaml", "config", "view", "--raw", "-o",
                                          "jsonpath={.current-context}|{.users[0].name}|{.users[0].user.token}"])
        XCTAssertEqual(tokenView.status, 0, tokenView.output)
        XCTAssertEqual(tokenView.output, "true|user: with \"quotes\"|0123:abc=")
    }
}
