import CorralModel
import Foundation
import XCTest
@testable import CorralContainers

final class GoldenSpecTests: XCTestCase {
    static let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// Compares each case's spec with Golden/spec-<name>.json; CORRAL_UPDATE_GOLDEN=1 rewrites them.
    func testSpecsMatchGoldenFiles() throws {
        let update = ProcessInfo.processInfo.environment["CORRAL_UPDATE_GOLDEN"] == "1"
        for (name, input) in try SpecFixtures.cases() {
            let text = JSONPretty.format(try OCISpecBuilder.build(input)) + "\n"
            let url = Self.goldenDir.appendingPathComponent("spec-\(name).json")
            if update { try text.write(to: url, atomically: true, encoding: .utf8); continue }
            let want = try String(contentsOf: url, encoding: .utf8)
            XCTAssertEqual(text, want, "spec for \(name) differs from \(url.path); rerun with CORRAL_UPDATE_GOLDEN=1 after review")
            // The golden text must also be valid JSON equal to the spec.
            XCTAssertEqual(try JSONParser.parse(want), try OCISpecBuilder.build(input))
        }
    }
}

final class SpecBuilderTests: XCTestCase {
    func spec(_ name: String) throws -> JSONValue {
        try OCISpecBuilder.build(try SpecFixtures.cases().first { $0.0 == name }!.1)
    }

    func testBasicProcess() throws {
        let s = try spec("basic")
        XCTAssertEqual(s[path: ["process", "args"]], ["sh", "-c", "echo hi; sleep 30"])
        let env = s[path: ["process", "env"]]!.arrayValue!.compactMap(\.stringValue)
        XCTAssertEqual(env, ["PATH=/bin", "HOSTNAME=basic", "GREETING=hi", "POD_IP=10.42.0.7"], "image PATH replaces the default in place")
        XCTAssertEqual(s[path: ["process", "cwd"]], "/")
        XCTAssertEqual(s[path: ["process", "noNewPrivileges"]], false, "kubelet sets NNP only for allowPrivilegeEscalation: false")
        XCTAssertEqual(s[path: ["process", "oomScoreAdj"]], 1000, "BestEffort")
        XCTAssertEqual(s[path: ["process", "capabilities", "bounding"]]?.arrayValue?.count, Capabilities.defaults.count)
        XCTAssertEqual(s[path: ["root", "readonly"]], false)
        XCTAssertEqual(s[path: ["linux", "seccomp", "defaultAction"]], "SCMP_ACT_ALLOW", "RuntimeDefault applies when nothing is set")
        XCTAssertEqual(s[path: ["linux", "resources", "cpu", "shares"]], 2)
        XCTAssertNil(s[path: ["linux", "resources", "memory"]])
        let ns = s[path: ["linux", "namespaces"]]!.arrayValue!
        XCTAssertEqual(ns.compactMap { $0["type"]?.stringValue }, ["pid", "ipc", "uts", "mount", "network"], "no cgroup ns on hybrid")
        XCTAssertEqual(ns.last?["path"], "/run/netns/corral-basic")
        XCTAssertEqual(s[path: ["linux", "maskedPaths"]]?.arrayValue?.count, LinuxConfigurator.maskedPaths.count)
    }

    func testRestrictedSecurityResourcesAndMounts() throws {
        let s = try spec("restricted")
        XCTAssertEqual(s[path: ["process", "args"]], ["/app", "--port", "8080"], "args replace CMD, ENTRYPOINT stays")
        XCTAssertEqual(s[path: ["process", "cwd"]], "/srv")
        XCTAssertEqual(s[path: ["process", "user"]], ["uid": 1000, "gid": 3000, "additionalGids": [2000]])
        XCTAssertEqual(s[path: ["process", "capabilities", "effective"]], ["CAP_NET_BIND_SERVICE"])
        XCTAssertEqual(s[path: ["process", "noNewPrivileges"]], true)
        XCTAssertEqual(s[path: ["root", "readonly"]], true)
        XCTAssertEqual(s[path: ["linux", "resources", "memory", "limit"]], 134_217_728)
        XCTAssertEqual(s[path: ["linux", "resources", "cpu"]], ["shares": 256, "quota": 50000, "period": 100_000])
        let request: Int64 = 64 << 20, capacity: Int64 = 8 << 30
        let expectedOOM: Int64 = 1000 - 1000 * request / capacity
        XCTAssertEqual(s[path: ["process", "oomScoreAdj"]]?.intValue, expectedOOM.clamped)
        XCTAssertEqual(s[path: ["linux", "sysctl"]], ["net.ipv4.ip_unprivileged_port_start": "0"])
        XCTAssertEqual(s[path: ["linux", "rootfsPropagation"]], "rslave")
        let mounts = s["mounts"]!.arrayValue!
        let dests = mounts.compactMap { $0["destination"]?.stringValue }
        XCTAssertLessThan(dests.firstIndex(of: "/srv/data")!, dests.firstIndex(of: "/srv/data/cache")!, "parents mount first")
        let cfg = mounts.first { $0["destination"] == "/etc/app" }!
        XCTAssertEqual(cfg["options"], ["rbind", "rprivate", "ro"])
        XCTAssertEqual(mounts.first { $0["destination"] == "/etc/hosts" }?["options"], ["rbind", "rprivate", "ro"], "read-only root → ro /etc files")
        XCTAssertEqual(mounts.first { $0["destination"] == "/srv/data/cache" }?["options"], ["rbind", "rslave", "rw"])
        // Dropping ALL but adding NET_BIND_SERVICE still denies mount via seccomp.
        let denied = s[path: ["linux", "seccomp", "syscalls"]]!.arrayValue![0]["names"]!.arrayValue!
        XCTAssertTrue(denied.contains("mount") && denied.contains("keyctl") && !denied.contains("read"))
    }

    func testPrivilegedHostNamespaces() throws {
        let s = try spec("privileged")
        XCTAssertNil(s[path: ["linux", "seccomp"]], "privileged → unconfined")
        XCTAssertNil(s[path: ["linux", "maskedPaths"]])
        XCTAssertEqual(s[path: ["process", "capabilities", "bounding"]]?.arrayValue?.count, Capabilities.all.count)
        XCTAssertEqual(s[path: ["linux", "namespaces"]]!.arrayValue!.compactMap { $0["type"]?.stringValue }, ["ipc", "mount"])
        XCTAssertNil(s["hostname"])
        XCTAssertEqual(s[path: ["linux", "resources", "devices"]], [["allow": true, "access": "rwm"]])
        XCTAssertEqual(s[path: ["linux", "devices"]]?.arrayValue?.first?["path"], "/dev/fuse")
        XCTAssertEqual(s[path: ["process", "terminal"]], true)
        XCTAssertEqual(s["mounts"]!.arrayValue!.first { $0["destination"] == "/sys" }?["options"], ["nosuid", "noexec", "nodev"])
    }

    func testGuaranteedLocalhostSeccompAndImageDefaults() throws {
        let s = try spec("guaranteed")
        XCTAssertEqual(s[path: ["process", "args"]], ["/usr/bin/db", "-c", "max_connections=50"])
        XCTAssertEqual(s[path: ["process", "cwd"]], "/var/lib/db")
        XCTAssertEqual(s[path: ["process", "oomScoreAdj"]], -997)
        XCTAssertEqual(s[path: ["linux", "resources", "cpu"]], ["shares": 2048, "quota": 200_000, "period": 100_000], "limit-only CPU → shares from limit")
        let env = s[path: ["process", "env"]]!.arrayValue!.compactMap(\.stringValue)
        XCTAssertEqual(env.first, "PATH=/opt/db/bin:/usr/bin:/bin", "container env replaces image PATH in place")
        XCTAssertTrue(env.contains("PGDATA=/var/lib/db"))
        let seccomp = s[path: ["linux", "seccomp"]]!
        XCTAssertEqual(seccomp["architectures"], ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
        let names = seccomp["syscalls"]!.arrayValue!.flatMap { $0["names"]!.arrayValue! }
        XCTAssertTrue(names.contains("mount"), "includes.caps CAP_SYS_ADMIN is held")
        XCTAssertFalse(names.contains("reboot"), "includes.caps CAP_SYS_BOOT is not held")
        let caps = s[path: ["process", "capabilities", "permitted"]]!.arrayValue!
        XCTAssertTrue(caps.contains("CAP_SYS_ADMIN") && !caps.contains("CAP_NET_RAW"))
    }

    func testErrors() throws {
        var input = try SpecFixtures.cases()[0].1
        input.container = ["name": "empty"]
        input.image = ImageConfig()
        XCTAssertThrowsError(try OCISpecBuilder.build(input)) { XCTAssertEqual("\($0)", "no command specified for container empty") }
        input.image = ImageConfig(cmd: ["sh"])
        input.pod.set(path: ["spec", "securityContext", "seccompProfile"], to: ["type": "Localhost", "localhostProfile": "x.json"])
        XCTAssertThrowsError(try OCISpecBuilder.build(input))
        input.localhostSeccompProfile = "not json"
        XCTAssertThrowsError(try OCISpecBuilder.build(input)) { XCTAssertTrue("\($0)".hasPrefix("invalid seccomp profile")) }
        var nonRoot = input
        nonRoot.container.set(path: ["securityContext", "runAsNonRoot"], to: true)
        XCTAssertThrowsError(try OCISpecBuilder.build(nonRoot)) {
            XCTAssertEqual("\($0)", "container has runAsNonRoot and image will run as root (pod: \"basic_default(uid-basic)\", container: empty)")
        }
        XCTAssertThrowsError(try OCISpecBuilder.build(input)) { XCTAssertTrue("\($0)".hasPrefix("invalid seccomp profile")) }
        input.pod.set(path: ["spec", "securityContext", "seccompProfile"], to: ["type": "Unconfined"])
        XCTAssertNil(try OCISpecBuilder.build(input)[path: ["linux", "seccomp"]])
    }

    func testMountPlanner() throws {
        let c: JSONValue = ["name": "c", "volumeMounts": [
            ["name": "data", "mountPath": "/data", "subPath": "a/b"],
            ["name": "cfg", "mountPath": "/cfg"],
            ["name": "data", "mountPath": "/logs", "subPathExpr": "logs/$(POD)", "mountPropagation": "Bidirectional"],
        ]]
        let vols = ["data": VolumeHostPath("/v/data/"), "cfg": VolumeHostPath("/v/cfg", forceReadOnly: true)]
        let m = try MountPlanner.plan(container: c, volumes: vols, env: [EnvVar("POD", "web-1")])
        XCTAssertEqual(m, [ResolvedMount(containerPath: "/data", hostPath: "/v/data/a/b"),
                           ResolvedMount(containerPath: "/cfg", hostPath: "/v/cfg", readOnly: true),
                           ResolvedMount(containerPath: "/logs", hostPath: "/v/data/logs/web-1", propagation: .bidirectional)])
        for bad in ["../x", "/abs", "a/../../b"] {
            let cc: JSONValue = ["name": "c", "volumeMounts": [["name": "data", "mountPath": "/d", "subPath": .string(bad)]]]
            XCTAssertThrowsError(try MountPlanner.plan(container: cc, volumes: vols, env: []), bad)
        }
        XCTAssertThrowsError(try MountPlanner.plan(container: ["name": "c", "volumeMounts": [["name": "nope", "mountPath": "/x"]]],
                                                   volumes: vols, env: [])) {
            XCTAssertEqual("\($0)", "cannot find volume \"nope\" to mount into container \"c\"")
        }
    }

    func testCapabilityArithmetic() {
        XCTAssertEqual(Capabilities.effective(securityContext: ["capabilities": ["add": ["ALL"], "drop": ["CHOWN"]]]).count, Capabilities.all.count - 1)
        XCTAssertEqual(Capabilities.effective(securityContext: ["capabilities": ["drop": ["all"], "add": ["CAP_KILL"]]]), ["CAP_KILL"])
        XCTAssertFalse(Capabilities.effective(securityContext: ["capabilities": ["drop": ["NET_RAW"]]]).contains("CAP_NET_RAW"))
    }
}

private extension Int64 {
    var clamped: Int64 { Swift.min(Swift.max(self, 2), 999) }
}
