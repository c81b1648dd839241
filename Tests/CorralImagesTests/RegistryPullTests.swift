import Foundation
import XCTest
@testable import CorralImages

final class RegistryPullTests: XCTestCase {
    func testPullIndexPicksAMD64AndRecordsImage() async throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let fake = FakeRegistry()
        let image = TestImage(layers: [Layers.base, Layers.top])
        let (index, manifest) = try fake.publish(image, repo: "app/web", tag: "v1")
        let puller = ImagePuller(store: store, client: RegistryClient(transport: fake))
        let rec = try await puller.pull("reg.test:5000/app/web:v1")
        XCTAssertEqual(rec.references, ["reg.test:5000/app/web:v1"])
        XCTAssertEqual(rec.manifestDigest, manifest)
        XCTAssertEqual(rec.indexDigest, index)
        XCTAssertEqual(rec.repoDigests, ["reg.test:5000/app/web@\(index)"])
        XCTAssertEqual(rec.layers.map(\.diffID), image.diffIDs)
        XCTAssertEqual(try store.resolve("reg.test:5000/app/web@\(index)")?.manifestDigest, manifest)
        XCTAssertEqual(fake.log.first?.url, "https://reg.test:5000/v2/app/web/manifests/v1")
        XCTAssertTrue(try store.unpackLayers(of: rec).allSatisfy { FileOps.isDirectory($0) })
        // Pull by digest needs no tag, and fetches nothing it already has.
        let before = fake.log.count
        let byDigest = try await puller.pull("reg.test:5000/app/web@\(manifest)")
        XCTAssertEqual(byDigest.manifestDigest, manifest)
        XCTAssertEqual(fake.log.count - before, 1)
        XCTAssertEqual(Set(byDigest.references), ["reg.test:5000/app/web:v1", "reg.test:5000/app/web@\(manifest)"])
    }

    func testBearerTokenFlowAndRedirectDropsCredentials() async throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let fake = FakeRegistry()
        fake.auth = .bearer("u", "p")
        fake.redirectBlobs = true
        try fake.publish(TestImage(layers: [Layers.base]), repo: "app/web", tag: "v1")
        let client = RegistryClient(transport: fake)
        let puller = ImagePuller(store: store, client: client)
        do {
            _ = try await puller.pull("reg.test/app/web:v1")
            XCTFail("pull without credentials must fail")
        } catch let e as ImageError {
            guard case .unauthorized(let msg) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(msg.contains("token server"), msg)
        }
        let rec = try await puller.pull("reg.test/app/web:v1", credentials: ["reg.test": RegistryCredential(username: "u", password: "p")])
        XCTAssertEqual(rec.references, ["reg.test/app/web:v1"])
        let cdn = fake.log.filter { $0.url.hasPrefix("https://cdn.test/") }
        XCTAssertEqual(cdn.count, 2)                              // config + layer
        XCTAssertTrue(cdn.allSatisfy { $0.authorization == nil })  // token never leaves the registry host
        XCTAssertTrue(fake.log.contains { $0.url.hasPrefix("https://reg.test/v2/") && $0.authorization == "Bearer tok-123" })
    }

    func testBasicAuthFromDockerConfigSecret() async throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let fake = FakeRegistry()
        fake.auth = .basic("alice", "pw:with:colons")
        try fake.publish(TestImage(layers: [Layers.base]), repo: "app/web", tag: "v1")
        let secret = "{\"auths\":{\"https://reg.test\":{\"auth\":\"\(Data("alice:pw:with:colons".utf8).base64EncodedString())\"}}}"
        let creds = try DockerConfigCredentials.parse(Array(secret.utf8))
        XCTAssertEqual(creds["reg.test"]?.basic?.password, "pw:with:colons")
        let rec = try await ImagePuller(store: store, client: RegistryClient(transport: fake)).pull("reg.test/app/web:v1", credentials: creds)
        XCTAssertEqual(rec.references, ["reg.test/app/web:v1"])
        // Credentials from the node's registry config work too.
        let store2 = try ImageStore(root: s.path + "/images2")
        let config = RegistryConfig(configs: ["reg.test": RegistryHostConfig(auth: RegistryCredential(username: "alice", password: "pw:with:colons"))])
        _ = try await ImagePuller(store: store2, client: RegistryClient(config: config, transport: fake)).pull("reg.test/app/web:v1")
        let store3 = try ImageStore(root: s.path + "/images3")
        do {
            _ = try await ImagePuller(store: store3, client: RegistryClient(transport: fake)).pull("reg.test/app/web:v1")
            XCTFail("expected unauthorized")
        } catch ImageError.unauthorized(let msg) {
            XCTAssertTrue(msg.contains("username and password"), msg)
        }
    }

    func testCorruptBlobAndUnknownTagRefused() async throws {
        let s = Scratch()
        let store = try ImageStore(root: s.path + "/images")
        let fake = FakeRegistry()
        try fake.publish(TestImage(layers: [Layers.base]), repo: "app/web", tag: "v1")
        fake.corruptBlobs = true
        let puller = ImagePuller(store: store, client: RegistryClient(transport: fake))
        do {
            _ = try await puller.pull("reg.test/app/web:v1")
            XCTFail("corrupt blob accepted")
        } catch ImageError.digestMismatch(let what, _, _) {
            XCTAssertTrue(what.contains("reg.test/app/web"), what)
        }
        XCTAssertEqual(try store.list().count, 0)
        XCTAssertEqual(FileOps.list(store.blobDir), [])
        XCTAssertEqual(FileOps.list(store.tmpDir), [])
        do {
            _ = try await puller.pull("reg.test/app/web:nope")
            XCTFail("unknown tag accepted")
        } catch let e as ImageError {
            XCTAssertEqual("\(e)", "reg.test/app/web:nope: not found (MANIFEST_UNKNOWN: manifest unknown)")
        }
        // A manifest whose bytes do not match the pinned digest is refused.
        let wrong = try Digest("sha256:" + String(repeating: "2", count: 64))
        fake.manifests["app/web \(wrong)"] = fake.manifests["app/web v1"]
        do {
            _ = try await puller.pull("reg.test/app/web@\(wrong)")
            XCTFail("mismatching manifest accepted")
        } catch ImageError.digestMismatch {}
    }

    func testChallengeParsing() {
        let c = AuthChallenge.parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"")
        XCTAssertEqual(c?.scheme, "bearer")
        XCTAssertEqual(c?.parameters["realm"], "https://auth.docker.io/token")
        XCTAssertEqual(c?.parameters["scope"], "repository:library/busybox:pull")
        XCTAssertEqual(c?.tokenURL(defaultScope: "x"),
                       "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fbusybox%3Apull")
        XCTAssertEqual(AuthChallenge.parse("Basic realm=\"Registry Realm\"")?.scheme, "basic")
        XCTAssertNil(AuthChallenge.parse(""))
        XCTAssertEqual(DockerConfigCredentials.normaliseHost("https://index.docker.io/v1/"), "docker.io")
        XCTAssertEqual(RegistryConfig.apiHost(for: "docker.io"), "registry-1.docker.io")
    }

    func testPullPolicyDecisions() {
        XCTAssertEqual(PullPolicy.defaulted(for: "busybox"), .always)
        XCTAssertEqual(PullPolicy.defaulted(for: "busybox:latest"), .always)
        XCTAssertEqual(PullPolicy.defaulted(for: "busybox:1.36"), .ifNotPresent)
        XCTAssertEqual(PullPolicy.defaulted(for: "busybox@sha256:" + String(repeating: "a", count: 64)), .ifNotPresent)
        XCTAssertEqual(PullPolicy.resolve("", image: "x:1"), .ifNotPresent)
        XCTAssertEqual(PullPolicy.resolve("Never", image: "x"), .never)
        XCTAssertEqual(PullDecision.decide(policy: .always, image: "x", present: true), .pull)
        XCTAssertEqual(PullDecision.decide(policy: .ifNotPresent, image: "x", present: true), .useLocal)
        XCTAssertEqual(PullDecision.decide(policy: .ifNotPresent, image: "x", present: false), .pull)
        XCTAssertEqual(PullDecision.decide(policy: .never, image: "x", present: true), .useLocal)
        guard case .fail(let e) = PullDecision.decide(policy: .never, image: "localhost/corral-test/busybox:latest", present: false) else {
            return XCTFail("Never without the image must fail")
        }
        XCTAssertEqual("\(e)", "Container image \"localhost/corral-test/busybox:latest\" is not present with pull policy of Never")
    }
}
