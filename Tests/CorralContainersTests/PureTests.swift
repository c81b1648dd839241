import CorralModel
import XCTest
@testable import CorralContainers

final class QuantityTests: XCTestCase {
    func testParsesKubernetesForms() throws {
        let table: [(String, Int64, Int64)] = [  // text, value (rounded up), milliValue
            ("500m", 1, 500), ("1", 1, 1000), ("1Gi", 1 << 30, (1 << 30) * 1000), ("128974848", 128_974_848, 128_974_848_000),
            ("1e3", 1000, 1_000_000), ("2k", 2000, 2_000_000), ("0.5", 1, 500), (".5", 1, 500), ("1.5Ki", 1536, 1_536_000),
            ("129e6", 129_000_000, 129_000_000_000), ("123Mi", 128_974_848, 128_974_848_000), ("250m", 1, 250),
            ("1n", 1, 1), ("100u", 1, 1), ("2E", 2_000_000_000_000_000_000, Int64.max), ("0", 0, 0), ("+3", 3, 3000),
            ("1E-3", 1, 1),
        ]
        for (text, value, milli) in table {
            let q = try Quantity(parsing: text)
            XCTAssertEqual(q.value, value, text)
            XCTAssertEqual(q.milliValue, milli, text)
        }
    }

    func testRejectsInvalid() {
        for bad in ["", "1K", "abc", "1.2.3", "1Gb", "m", "1e", "--1", "1 Gi"] {
            XCTAssertThrowsError(try Quantity(parsing: bad), bad)
        }
    }
}

final class EnvExpansionTests: XCTestCase {
    func testKubernetesExpansionRules() {
        let vars = ["A": "a", "EMPTY": ""]
        let table: [(String, String)] = [
            ("$(A)", "a"), ("x$(A)y", "xay"), ("$(MISSING)", "$(MISSING)"), ("$$(A)", "$(A)"), ("$$", "$"),
            ("$(A", "$(A"), ("a$", "a$"), ("$A", "$A"), ("$(EMPTY)!", "!"), ("$(A)$(A)", "aa"), ("$$$(A)", "$a"),
        ]
        for (input, want) in table { XCTAssertEqual(EnvExpansion.expand(input) { vars[$0] }, want, input) }
    }
}

final class EnvResolverTests: XCTestCase {
    let pod: JSONValue = [
        "metadata": ["name": "web", "namespace": "prod", "uid": "u-1", "labels": ["app": "web"], "annotations": ["team": "blue"]],
        "spec": ["nodeName": "node1", "serviceAccountName": "sa",
                 "containers": [["name": "c", "resources": ["limits": ["cpu": "500m", "memory": "128Mi"], "requests": ["cpu": "250m"]]]]],
    ]
    var sources: EnvSources {
        EnvSources(configMaps: ["cfg": ["data": ["K1": "v1", "K2": "v2", "bad-key!": "x", "1NUM": "n"]]],
                   secrets: ["sec": ["data": ["PASS": .string(Data("hunter2".utf8).base64EncodedString())]]],
                   podIPs: ["10.42.0.5", "fd00::5"], hostIPs: ["192.168.1.2"], nodeName: "node1")
    }

    func resolve(_ container: JSONValue, _ s: EnvSources? = nil) throws -> EnvResolution {
        try EnvResolver.resolve(pod: pod, container: container, sources: s ?? sources)
    }

    func testPrecedenceExpansionAndSources() throws {
        var s = sources
        s.serviceEnv = [EnvVar("SVC_HOST", "10.43.0.9"), EnvVar("K1", "svc")]
        let c: JSONValue = [
            "name": "c",
            "envFrom": [["configMapRef": ["name": "cfg"]], ["secretRef": ["name": "sec"], "prefix": "S_"]],
            "env": [
                ["name": "K2", "value": "override-$(K1)"],
                ["name": "URL", "value": "http://$(SVC_HOST):$(PORT)/$$(K1)"],
                ["name": "PORT", "value": "80"],
                ["name": "POD", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
                ["name": "NS", "valueFrom": ["fieldRef": ["fieldPath": "metadata.namespace"]]],
                ["name": "APP", "valueFrom": ["fieldRef": ["fieldPath": "metadata.labels['app']"]]],
                ["name": "TEAM", "valueFrom": ["fieldRef": ["fieldPath": "metadata.annotations['team']"]]],
                ["name": "IP", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]],
                ["name": "IPS", "valueFrom": ["fieldRef": ["fieldPath": "status.podIPs"]]],
                ["name": "NODE", "valueFrom": ["fieldRef": ["fieldPath": "spec.nodeName"]]],
                ["name": "PW", "valueFrom": ["secretKeyRef": ["name": "sec", "key": "PASS"]]],
                ["name": "CM", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "K1"]]],
                ["name": "OPT", "valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "nope", "optional": true]]],
                ["name": "EMPTY"],
            ],
        ]
        let r = try resolve(c, s)
        let env = Dictionary(r.env.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
        XCTAssertEqual(env["K1"], "v1", "envFrom beats service env")
        XCTAssertEqual(env["K2"], "override-v1")
        XCTAssertEqual(env["URL"], "http://10.43.0.9:$(PORT)/$(K1)", "PORT is defined later, so it stays literal")
        XCTAssertEqual(env["S_PASS"], "hunter2")
        XCTAssertEqual(env["POD"], "web")
        XCTAssertEqual(env["NS"], "prod")
        XCTAssertEqual(env["APP"], "web")
        XCTAssertEqual(env["TEAM"], "blue")
        XCTAssertEqual(env["IP"], "10.42.0.5")
        XCTAssertEqual(env["IPS"], "10.42.0.5,fd00::5")
        XCTAssertEqual(env["NODE"], "node1")
        XCTAssertEqual(env["PW"], "hunter2")
        XCTAssertEqual(env["CM"], "v1")
        XCTAssertNil(env["OPT"])
        XCTAssertEqual(env["EMPTY"], "")
        XCTAssertEqual(env["SVC_HOST"], "10.43.0.9")
        XCTAssertEqual(Set(r.skippedKeys), ["bad-key!", "1NUM"])
        XCTAssertEqual(r.env.first?.name, "K1", "envFrom order is kept")
    }

    func testMissingSourcesAndKeys() {
        let cases: [(JSONValue, String)] = [
            (["valueFrom": ["configMapKeyRef": ["name": "cfg", "key": "X"]]], "couldn't find key X in ConfigMap prod/cfg"),
            (["valueFrom": ["secretKeyRef": ["name": "sec", "key": "Y"]]], "couldn't find key Y in Secret prod/sec"),
            (["valueFrom": ["configMapKeyRef": ["name": "gone", "key": "X"]]], "configmap \"gone\" not found"),
            (["valueFrom": ["secretKeyRef": ["name": "gone", "key": "X"]]], "secret \"gone\" not found"),
            (["valueFrom": ["fieldRef": ["fieldPath": "spec.bogus"]]], "unsupported fieldPath: spec.bogus"),
        ]
        for (entry, message) in cases {
            var e = entry
            e["name"] = "V"
            XCTAssertThrowsError(try resolve(["name": "c", "env": [e]])) { XCTAssertEqual("\($0)", message) }
        }
        XCTAssertThrowsError(try resolve(["name": "c", "envFrom": [["configMapRef": ["name": "gone"]]]])) {
            XCTAssertEqual("\($0)", "configmap \"gone\" not found")
        }
        XCTAssertNoThrow(try resolve(["name": "c", "envFrom": [["configMapRef": ["name": "gone", "optional": true]]]]))
    }

    func testResourceFieldRef() throws {
        var s = sources
        s.allocatableMemory = try Quantity(parsing: "8Gi")
        let c = pod[path: ["spec", "containers"]]!.arrayValue![0]
        func value(_ ref: JSONValue, _ container: JSONValue) throws -> String? {
            var cc = container
            cc["env"] = [["name": "R", "valueFrom": ["resourceFieldRef": ref]]]
            return try EnvResolver.resolve(pod: pod, container: cc, sources: s).env.first?.value
        }
        XCTAssertEqual(try value(["resource": "limits.cpu"], c), "1", "500m rounds up to 1 core")
        XCTAssertEqual(try value(["resource": "limits.cpu", "divisor": "1m"], c), "500")
        XCTAssertEqual(try value(["resource": "requests.cpu", "divisor": "1m"], c), "250")
        XCTAssertEqual(try value(["resource": "limits.memory", "divisor": "1Mi"], c), "128")
        XCTAssertEqual(try value(["resource": "limits.memory"], c), "134217728")
        XCTAssertEqual(try value(["resource": "limits.memory", "divisor": "1Gi"], ["name": "other"]), "8", "unset limit → allocatable")
        XCTAssertEqual(try value(["resource": "limits.cpu", "containerName": "c", "divisor": "1m"], ["name": "other"]), "500")
        XCTAssertThrowsError(try value(["resource": "limits.gpu"], c))
    }
}

final class UserResolverTests: XCTestCase {
    let passwd = PasswdParser.passwd("root:x:0:0:root:/root:/bin/sh\n# c\napp:x:1000:1000::/home/app:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n")
    let groups = PasswdParser.group("root:x:0:\nstaff:x:50:app,www\napp:x:1000:\nwheel:x:10:app\n")

    func resolve(_ imageUser: String, pod: JSONValue = ["metadata": ["name": "p", "namespace": "ns", "uid": "U"]], sc: JSONValue? = nil) throws -> ResolvedUser {
        var c: JSONValue = ["name": "c"]
        if let sc { c["securityContext"] = sc }
        return try UserResolver.resolve(pod: pod, container: c, imageUser: imageUser, passwd: passwd, groups: groups)
    }

    func testImageUserForms() throws {
        let table: [(String, UInt32, UInt32, [UInt32])] = [
            ("", 0, 0, []), ("app", 1000, 1000, [50, 10]), ("1000", 1000, 1000, [50, 10]), ("www:staff", 33, 50, []),
            ("1234", 1234, 0, []), ("1234:77", 1234, 77, []), ("app:0", 1000, 0, [50, 10]),
        ]
        for (user, uid, gid, extra) in table {
            let r = try resolve(user)
            XCTAssertEqual([r.uid, r.gid], [uid, gid], user)
            XCTAssertEqual(r.additionalGids, extra, user)
        }
        XCTAssertEqual(try resolve("app").home, "/home/app")
        XCTAssertThrowsError(try resolve("nobody")) { XCTAssertEqual("\($0)", "unable to find user nobody: no matching entries in passwd file") }
    }

    func testSecurityContextOverridesAndNonRoot() throws {
        let pod: JSONValue = ["metadata": ["name": "p", "namespace": "ns", "uid": "U"],
                              "spec": ["securityContext": ["runAsUser": 2000, "runAsGroup": 3000, "supplementalGroups": [4000], "fsGroup": 5000]]]
        let r = try resolve("app", pod: pod)
        XCTAssertEqual([r.uid, r.gid], [2000, 3000])
        XCTAssertEqual(r.additionalGids, [4000, 5000])
        XCTAssertEqual(try resolve("app", pod: pod, sc: ["runAsUser": 33]).uid, 33, "container level wins")
        XCTAssertThrowsError(try resolve("", sc: ["runAsNonRoot": true])) {
            XCTAssertEqual("\($0)", "container has runAsNonRoot and image will run as root (pod: \"p_ns(U)\", container: c)")
        }
        XCTAssertThrowsError(try resolve("app", sc: ["runAsNonRoot": true])) {
            XCTAssertTrue("\($0)".contains("image has non-numeric user (app), cannot verify user is non-root"))
        }
        XCTAssertThrowsError(try resolve("1000", sc: ["runAsNonRoot": true, "runAsUser": 0])) {
            XCTAssertTrue("\($0)".hasPrefix("container's runAsUser breaks non-root policy"))
        }
        XCTAssertEqual(try resolve("1000", sc: ["runAsNonRoot": true]).uid, 1000)
        XCTAssertEqual(try resolve("", sc: ["runAsNonRoot": true, "runAsUser": 7]).uid, 7)
    }
}

final class RuntimeChoiceTests: XCTestCase {
    let runc = OCIRuntime(name: "runc", path: "/usr/bin/runc"), crun = OCIRuntime(name: "crun", path: "/usr/bin/crun")

    func testChoice() throws {
        XCTAssertEqual(try OCIRuntimeChoice.choose(override: nil, cgroupMode: .hybrid, available: [runc, crun]), runc)
        XCTAssertEqual(try OCIRuntimeChoice.choose(override: nil, cgroupMode: .unified, available: [runc, crun]), crun)
        XCTAssertEqual(try OCIRuntimeChoice.choose(override: nil, cgroupMode: .v1, available: [runc]), runc)
        XCTAssertEqual(try OCIRuntimeChoice.choose(override: "crun", cgroupMode: .hybrid, available: [runc, crun]), crun)
        XCTAssertEqual(try OCIRuntimeChoice.choose(override: "/opt/runc", cgroupMode: .hybrid, available: []).path, "/opt/runc")
        XCTAssertThrowsError(try OCIRuntimeChoice.choose(override: nil, cgroupMode: .hybrid, available: [crun]))
        XCTAssertThrowsError(try OCIRuntimeChoice.choose(override: "youki", cgroupMode: .unified, available: [runc]))
        XCTAssertThrowsError(try OCIRuntimeChoice.choose(override: nil, cgroupMode: .unified, available: []))
    }

    func testCgroupModeFromMountinfo() {
        let hybrid = """
        31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
        35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
        41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
        """
        XCTAssertEqual(HostProbe.cgroupMode(mountinfo: hybrid), .hybrid)
        XCTAssertEqual(HostProbe.cgroupMode(mountinfo: "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate"), .unified)
        XCTAssertEqual(HostProbe.cgroupMode(mountinfo: "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory"), .v1)
        let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified/cgroup.controllers")
        let pureV2 = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        XCTAssertEqual(HostProbe.cgroupMode(), pureV2 ? .unified : (unified ? .hybrid : .v1))
    }
}
