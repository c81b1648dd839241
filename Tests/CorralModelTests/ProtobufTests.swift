import XCTest
@testable import CorralModel

/// A tiny protobuf writer for building test vectors by hand (no Go, no protoc).
private struct PB {
    var bytes: [UInt8] = []

    mutating func rawVarint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func tag(_ field: Int, _ wire: Int) { rawVarint(UInt64(field << 3 | wire)) }
    /// int32/int64/bool/enum: negative values are sign-extended to 10 bytes, as Go does.
    mutating func int(_ field: Int, _ v: Int64) { tag(field, 0); rawVarint(UInt64(bitPattern: v)) }
    mutating func bool(_ field: Int, _ v: Bool) { int(field, v ? 1 : 0) }
    mutating func bytes(_ field: Int, _ b: [UInt8]) { tag(field, 2); rawVarint(UInt64(b.count)); bytes += b }
    mutating func string(_ field: Int, _ s: String) { bytes(field, Array(s.utf8)) }
    mutating func message(_ field: Int, _ build: (inout PB) -> Void) {
        var m = PB(); build(&m); bytes(field, m.bytes)
    }
    mutating func mapEntry(_ field: Int, _ k: String, _ v: String) {
        message(field) { $0.string(1, k); $0.string(2, v) }
    }
    mutating func mapEntry(_ field: Int, _ k: String, bytes v: [UInt8]) {
        message(field) { $0.string(1, k); $0.bytes(2, v) }
    }
    /// ObjectMeta as gogo writes it: every non-pointer field, zero or not.
    mutating func objectMeta(_ field: Int, name: String, namespace: String = "", labels: [(String, String)] = [],
                             created: (Int64, Int64)? = nil) {
        message(field) { m in
            m.string(1, name); m.string(2, ""); m.string(3, namespace); m.string(4, ""); m.string(5, "")
            m.string(6, ""); m.int(7, 0)
            m.message(8) { t in if let (s, n) = created { t.int(1, s); t.int(2, n) } }
            for (k, v) in labels { m.mapEntry(11, k, v) }
        }
    }
}

/// The wire body client-go sends: "k8s\0" + runtime.Unknown.
private func envelope(_ apiVersion: String, _ kind: String, _ raw: PB) -> [UInt8] {
    var u = PB()
    u.message(1) { $0.string(1, apiVersion); $0.string(2, kind) }
    u.bytes(2, raw.bytes)
    u.string(3, "")
    u.string(4, "")
    return [0x6b, 0x38, 0x73, 0x00] + u.bytes
}

private func j(_ s: String, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
    do { return try JSONParser.parse(s) } catch {
        XCTFail("bad test JSON: \(error)\n\(s)", file: file, line: line)
        return .null
    }
}

private func assertDecodes(_ body: [UInt8], _ want: String, _ label: String = "",
                           file: StaticString = #filePath, line: UInt = #line) {
    do {
        let got = try KubeProtobuf.decode(body)
        let w = j(want, file: file, line: line)
        XCTAssertEqual(got, w, "\(label)\n got: \(got.jsonString())\nwant: \(w.jsonString())", file: file, line: line)
    } catch {
        XCTFail("\(label): decode failed: \(error)", file: file, line: line)
    }
}

private func assertFails(_ body: [UInt8], containing text: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try KubeProtobuf.decode(body), file: file, line: line) { error in
        guard let e = error as? KubeProtobufError else {
            return XCTFail("unexpected error type \(error)", file: file, line: line)
        }
        XCTAssertTrue(e.message.contains(text), "message \"\(e.message)\" lacks \"\(text)\"", file: file, line: line)
    }
}

private func hexBytes(_ s: Substring) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.utf8.makeIterator()
    func nib(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
    while let a = it.next(), let b = it.next() { out.append(nib(a) << 4 | nib(b)) }
    return out
}

final class ProtobufTests: XCTestCase {
    func testConfigMap() {
        var cm = PB()
        cm.objectMeta(1, name: "cm1", namespace: "team-a", labels: [("app", "web"), ("tier", "")])
        cm.mapEntry(2, "a", "b")
        cm.mapEntry(2, "empty", "")
        assertDecodes(envelope("v1", "ConfigMap", cm), #"""
            {"apiVersion":"v1","kind":"ConfigMap",
             "metadata":{"name":"cm1","namespace":"team-a","labels":{"app":"web","tier":""}},
             "data":{"a":"b","empty":""}}
            """#)
    }

    func testSecretBytesBecomeBase64() {
        var s = PB()
        s.objectMeta(1, name: "s1")
        s.mapEntry(2, "x", bytes: Array("y".utf8))
        s.mapEntry(2, "bin", bytes: [0x00, 0xff, 0x10])
        s.string(3, "Opaque")
        s.bool(5, false)  // *bool immutable, set explicitly to false: kept
        assertDecodes(envelope("v1", "Secret", s), #"""
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s1"},
             "data":{"x":"eQ==","bin":"AP8Q"},"type":"Opaque","immutable":false}
            """#)
    }

    func testDeployment() {
        var d = PB()
        d.objectMeta(1, name: "d1", labels: [("app", "d1")])
        d.message(2) { spec in
            spec.int(1, 2)  // *int32 replicas
            spec.message(2) { sel in sel.mapEntry(1, "app", "d1") }
            spec.message(3) { tpl in
                tpl.objectMeta(1, name: "", labels: [("app", "d1")])
                tpl.message(2) { ps in
                    ps.message(2) { c in  // containers
                        c.string(1, "busybox"); c.string(2, "busybox")
                        c.message(6) { p in p.string(1, ""); p.int(2, 0); p.int(3, 80); p.string(4, "TCP"); p.string(5, "") }
                        c.message(8) { _ in }  // resources {}
                        c.string(5, ""); c.bool(16, false); c.bool(17, false); c.bool(18, false)
                    }
                    ps.string(3, "")  // restartPolicy ""
                }
            }
            spec.message(4) { _ in }  // strategy {}
            spec.int(5, 0)  // minReadySeconds 0 (omitempty): dropped
            spec.bool(7, false)  // paused false (omitempty): dropped
        }
        d.message(3) { _ in }  // status {}
        assertDecodes(envelope("apps/v1", "Deployment", d), #"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d1","labels":{"app":"d1"}},
             "spec":{"replicas":2,"selector":{"matchLabels":{"app":"d1"}},
               "template":{"metadata":{"labels":{"app":"d1"}},
                 "spec":{"containers":[{"name":"busybox","image":"busybox",
                   "ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{}}]}},
               "strategy":{}},
             "status":{}}
            """#)

        // replicas is a pointer: an explicit 0 must survive (scale to zero).
        var z = PB()
        z.objectMeta(1, name: "d0")
        z.message(2) { $0.int(1, 0) }
        assertDecodes(envelope("apps/v1", "Deployment", z),
                      #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d0"},"spec":{"replicas":0}}"#)
    }

    func testServiceIntOrString() {
        var s = PB()
        s.objectMeta(1, name: "svc1")
        s.message(2) { spec in
            spec.message(1) { p in  // targetPort as int
                p.string(1, "web"); p.string(2, "TCP"); p.int(3, 80)
                p.message(4) { t in t.int(1, 0); t.int(2, 8080); t.string(3, "") }
                p.int(5, 0)
            }
            spec.message(1) { p in  // targetPort as string
                p.string(1, "alt"); p.string(2, "TCP"); p.int(3, 81)
                p.message(4) { t in t.int(1, 1); t.int(2, 0); t.string(3, "http") }
                p.int(5, 0)
            }
            spec.message(1) { p in  // targetPort unset: IntOrString{0,0,""} -> dropped, defaulted later
                p.string(1, "plain"); p.string(2, "TCP"); p.int(3, 82)
                p.message(4) { t in t.int(1, 0); t.int(2, 0); t.string(3, "") }
            }
            spec.mapEntry(2, "app", "svc1")
            spec.string(4, "ClusterIP")
        }
        s.message(3) { st in st.message(1) { _ in } }
        assertDecodes(envelope("v1", "Service", s), #"""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"svc1"},
             "spec":{"ports":[{"name":"web","protocol":"TCP","port":80,"targetPort":8080},
                              {"name":"alt","protocol":"TCP","port":81,"targetPort":"http"},
                              {"name":"plain","protocol":"TCP","port":82}],
                     "selector":{"app":"svc1"},"type":"ClusterIP"},
             "status":{"loadBalancer":{}}}
            """#)
    }

    func testTimesAndMicroTimes() {
        var pod = PB()
        pod.objectMeta(1, name: "p", created: (1_704_164_645, 123_000_000))
        var lease = PB()
        lease.objectMeta(1, name: "l")
        lease.message(2) { spec in
            spec.string(1, "me")
            spec.int(2, 15)
            spec.message(3) { t in t.int(1, 1_704_164_645); t.int(2, 123_456_789) }
            spec.message(4) { t in t.int(1, 0); t.int(2, 0) }  // the epoch, explicitly set
            spec.int(5, 0)  // *int32 leaseTransitions = 0: kept
        }
        assertDecodes(envelope("v1", "Pod", pod),
                      #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","creationTimestamp":"2024-01-02T03:04:05Z"}}"#)
        assertDecodes(envelope("coordination.k8s.io/v1", "Lease", lease), #"""
            {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"l"},
             "spec":{"holderIdentity":"me","leaseDurationSeconds":15,
                     "acquireTime":"2024-01-02T03:04:05.123456Z","renewTime":"1970-01-01T00:00:00.000000Z",
                     "leaseTransitions":0}}
            """#)
        XCTAssertEqual(KubeTimeFormat.rfc3339(seconds: 951_782_400, nanos: 0, micro: false), "2000-02-29T00:00:00Z")
        XCTAssertEqual(KubeTimeFormat.rfc3339(seconds: -1, nanos: 0, micro: false), "1969-12-31T23:59:59Z")
        XCTAssertEqual(KubeTimeFormat.rfc3339(seconds: 253_402_300_799, nanos: 0, micro: false), "9999-12-31T23:59:59Z")
    }

    func testGoDurations() {
        let cases: [(Int64, String)] = [
            (0, "0s"), (1, "1ns"), (1_500, "1.5µs"), (2_000_000, "2ms"), (1_500_000_000, "1.5s"),
            (30_000_000_000, "30s"), (90_000_000_000, "1m30s"), (3_600_000_000_000, "1h0m0s"),
            (3_723_000_000_000, "1h2m3s"), (-5_000_000_000, "-5s"), (100 * 3_600_000_000_000, "100h0m0s"),
        ]
        for (ns, want) in cases {
            XCTAssertEqual(KubeTimeFormat.goDuration(nanoseconds: ns), want, "\(ns)ns")
        }
    }

    func testNegativeAndZeroIntegers() {
        // int32 -5 is a 10-byte varint; value has no omitempty, so 0 is kept too.
        var neg = PB()
        neg.objectMeta(1, name: "low")
        neg.int(2, -5)
        neg.bool(3, false)
        neg.string(4, "")
        XCTAssertEqual(neg.bytes.suffix(15).prefix(11), [0x10, 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
        assertDecodes(envelope("scheduling.k8s.io/v1", "PriorityClass", neg),
                      #"{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"low"},"value":-5}"#)
        var zero = PB()
        zero.objectMeta(1, name: "zero")
        zero.int(2, 0)
        assertDecodes(envelope("scheduling.k8s.io/v1", "PriorityClass", zero),
                      #"{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"zero"},"value":0}"#)
        // int64 negative: *int64 runAsUser.
        var pod = PB()
        pod.objectMeta(1, name: "p")
        pod.message(2) { spec in spec.message(14) { sc in sc.int(2, -1_000_000_000_000) } }
        assertDecodes(envelope("v1", "Pod", pod),
                      #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"securityContext":{"runAsUser":-1000000000000}}}"#)
    }

    func testPackedAndUnpackedRepeatedScalars() {
        func pod(_ build: (inout PB) -> Void) -> [UInt8] {
            var p = PB()
            p.objectMeta(1, name: "p")
            p.message(2) { spec in spec.message(14) { sc in build(&sc) } }
            return envelope("v1", "Pod", p)
        }
        let want = #"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"securityContext":{"supplementalGroups":[1,2000,-3]}}}"#
        assertDecodes(pod { sc in sc.int(4, 1); sc.int(4, 2000); sc.int(4, -3) }, want, "unpacked")
        assertDecodes(pod { sc in
            var packed = PB()
            packed.rawVarint(1); packed.rawVarint(2000); packed.rawVarint(UInt64(bitPattern: -3))
            sc.bytes(4, packed.bytes)
        }, want, "packed")
    }

    func testInlinedEmbeddedStructsAndListWrappers() {
        var pod = PB()
        pod.objectMeta(1, name: "p")
        pod.message(2) { spec in
            spec.message(1) { v in  // volumes[0]: Volume{name, VolumeSource inline}
                v.string(1, "cfg")
                v.message(2) { vs in
                    vs.message(19) { cmv in  // configMap: ConfigMapVolumeSource{LocalObjectReference inline}
                        cmv.message(1) { $0.string(1, "cm1") }
                        cmv.int(3, 420)
                    }
                }
            }
        }
        assertDecodes(envelope("v1", "Pod", pod), #"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
             "spec":{"volumes":[{"name":"cfg","configMap":{"name":"cm1","defaultMode":420}}]}}
            """#)

        // map<string, ExtraValue>: ExtraValue is a Go []string, so JSON is a bare array.
        var tr = PB()
        tr.objectMeta(1, name: "")
        tr.message(2) { $0.string(1, "tok") }
        tr.message(3) { st in
            st.bool(1, true)
            st.message(2) { u in
                u.string(1, "alice"); u.string(2, ""); u.string(3, "devs")
                u.message(4) { e in e.string(1, "scopes"); e.message(2) { $0.string(1, "a"); $0.string(1, "b") } }
            }
        }
        assertDecodes(envelope("authentication.k8s.io/v1", "TokenReview", tr), #"""
            {"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","metadata":{},
             "spec":{"token":"tok"},
             "status":{"authenticated":true,"user":{"username":"alice","groups":["devs"],"extra":{"scopes":["a","b"]}}}}
            """#)
    }

    func testRawExtensionAndQuantity() {
        var cr = PB()
        cr.objectMeta(1, name: "rev")
        cr.message(2) { $0.bytes(1, Array(#"{"spec":{"x":[1,true,null]}}"#.utf8)) }
        cr.int(3, 7)
        assertDecodes(envelope("apps/v1", "ControllerRevision", cr), #"""
            {"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"rev"},
             "data":{"spec":{"x":[1,true,null]}},"revision":7}
            """#)

        var q = PB()
        q.objectMeta(1, name: "q")
        q.message(2) { spec in
            spec.message(1) { e in e.string(1, "cpu"); e.message(2) { $0.string(1, "500m") } }
            spec.message(1) { e in e.string(1, "pods"); e.message(2) { $0.string(1, "10") } }
        }
        q.message(3) { _ in }
        assertDecodes(envelope("v1", "ResourceQuota", q), #"""
            {"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q"},
             "spec":{"hard":{"cpu":"500m","pods":"10"}},"status":{}}
            """#)
    }

    func testUnknownFieldsAreSkippedAndOptionsKinds() {
        var cm = PB()
        cm.objectMeta(1, name: "c")
        cm.int(99, 12345)                   // unknown varint
        cm.bytes(98, [1, 2, 3])             // unknown length-delimited
        cm.tag(97, 5); cm.bytes += [0, 0, 0, 0]                // unknown fixed32
        cm.tag(96, 1); cm.bytes += [0, 0, 0, 0, 0, 0, 0, 0]    // unknown fixed64
        assertDecodes(envelope("v1", "ConfigMap", cm), #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"#)

        var del = PB()
        del.int(1, 0)  // *int64 gracePeriodSeconds
        del.message(2) { $0.string(1, "uid-1") }  // preconditions
        del.string(4, "Foreground")  // *DeletionPropagation
        XCTAssertTrue(KubeProtobuf.supports(apiVersion: "v1", kind: "DeleteOptions"))
        assertDecodes(envelope("v1", "DeleteOptions", del), #"""
            {"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0,
             "preconditions":{"uid":"uid-1"},"propagationPolicy":"Foreground"}
            """#)
    }

    func testSupports() {
        for (v, k) in [("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Namespace"), ("v1", "Pod"), ("v1", "Service"),
                       ("v1", "ServiceAccount"), ("v1", "ResourceQuota"), ("apps/v1", "Deployment"),
                       ("batch/v1", "Job"), ("batch/v1", "CronJob"), ("rbac.authorization.k8s.io/v1", "Role"),
                       ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"), ("authentication.k8s.io/v1", "TokenRequest"),
                       ("scheduling.k8s.io/v1", "PriorityClass"), ("policy/v1", "Eviction"),
                       ("policy/v1", "PodDisruptionBudget"), ("networking.k8s.io/v1", "Ingress"),
                       ("coordination.k8s.io/v1", "Lease"), ("storage.k8s.io/v1", "StorageClass"),
                       ("discovery.k8s.io/v1", "EndpointSlice")] {
            XCTAssertTrue(KubeProtobuf.supports(apiVersion: v, kind: k), "\(v) \(k)")
        }
        XCTAssertFalse(KubeProtobuf.supports(apiVersion: "kubevirt.io/v1", kind: "VirtualMachine"))
        XCTAssertFalse(KubeProtobuf.supports(apiVersion: "v1", kind: "Deployment"))
        XCTAssertFalse(KubeProtobuf.supports(apiVersion: "apps/v1", kind: "Nonexistent"))
    }

    func testErrors() {
        var cm = PB()
        cm.objectMeta(1, name: "c")
        let good = envelope("v1", "ConfigMap", cm)

        assertFails(Array("{\"kind\":\"ConfigMap\"}".utf8), containing: "prefix")
        assertFails([0x6b, 0x38], containing: "prefix")
        assertFails([0x6b, 0x38, 0x73, 0x00, 0x08, 0x80, 0x80], containing: "truncated protobuf varint")
        assertFails(Array(good.dropLast(3)), containing: "truncated")
        assertFails([0x6b, 0x38, 0x73, 0x00, 0x08] + [UInt8](repeating: 0xff, count: 10) + [0x01], containing: "overflows")
        assertFails(envelope("example.com/v1", "Widget", cm), containing: "no protobuf schema for apiVersion \"example.com/v1\", kind \"Widget\"")
        assertFails(envelope("", "", cm), containing: "apiVersion/kind")
        // A string field sent with the varint wire type.
        var bad = PB()
        bad.message(1) { $0.int(1, 5) }
        assertFails(envelope("v1", "ConfigMap", bad), containing: "wire type")
        // Length prefix that runs past the end of the message.
        var short = PB()
        short.tag(2, 2); short.rawVarint(50); short.bytes += [1, 2]
        assertFails(envelope("v1", "ConfigMap", short), containing: "exceeds")
        // RawExtension contents must be JSON (or a nested protobuf body).
        var raw = PB()
        raw.objectMeta(1, name: "r")
        raw.message(2) { $0.bytes(1, Array("{not json".utf8)) }
        assertFails(envelope("apps/v1", "ControllerRevision", raw), containing: "not valid JSON")
    }

    /// Bodies captured from kubectl v1.32.4 (`kubectl create ...` against a recording proxy),
    /// each with what the same command prints with `--dry-run=client -o json` (null members removed:
    /// `creationTimestamp: null` and friends mean "unset" and are omitted by the decoder).
    func testRealKubectlBodies() {
        var name = "", hex = ""
        var count = 0
        for line in Self.kubectlVectors.split(separator: "\n") {
            if line.hasPrefix("# ") {
                name = String(line.dropFirst(2)); hex = ""
            } else if line.hasPrefix("= ") {
                assertDecodes(hexBytes(Substring(hex)), String(line.dropFirst(2)), name)
                count += 1
            } else {
                hex += line
            }
        }
        XCTAssertEqual(count, 27)
    }

    static let kubectlVectors = #"""
# kubectl create configmap
6b3873000a0f0a0276311209436f6e6669674d617012200a160a0670627465737412001a0022002a0032003800420012060a
01611201621a002200
= {"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"pbtest"},"data":{"a":"b"}}
# kubectl create secret generic
6b3873000a0c0a0276311206536563726574121e0a120a02733112001a0022002a0032003800420012060a01781201791a00
1a002200
= {"kind":"Secret","apiVersion":"v1","metadata":{"name":"s1"},"data":{"x":"eQ=="}}
# kubectl create deployment
6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b8010a1d0a02643112001a0022002a00320038004200
5a090a03617070120264311288010802120b0a090a03617070120264311a6f0a1b0a0012001a0022002a003200380042005a
090a0361707012026431125012320a0762757379626f78120762757379626f782a00320a0a001000185022002a0042006a00
7200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a0028003800
1a0c0800100018002000280038001a002200
= {"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d1","labels":{"app":"d1"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"d1"}},"template":{"metadata":{"labels":{"app":"d1"}},"spec":{"containers":[{"name":"busybox","image":"busybox","ports":[{"containerPort":80}],"resources":{}}]}},"strategy":{}},"status":{}}
# kubectl create namespace
6b3873000a0f0a02763112094e616d657370616365121c0a140a0470626e7312001a0022002a0032003800420012001a020a
001a002200
= {"kind":"Namespace","apiVersion":"v1","metadata":{"name":"pbns"},"spec":{},"status":{}}
# kubectl create service clusterip
6b3873000a0d0a027631120753657276696365126c0a210a047376633112001a0022002a003200380042005a0b0a03617070
12047376633112430a1b0a0738302d38303830120354435018502207080010903f1a002800120b0a03617070120473766331
1a002209436c757374657249503a00420052005a00600068001a020a001a002200
= {"kind":"Service","apiVersion":"v1","metadata":{"name":"svc1","labels":{"app":"svc1"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":"svc1"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}
# kubectl create job
6b3873000a0f0a0862617463682f763112034a6f62127a0a120a026a3112001a0022002a00320038004200125a32580a100a
0012001a0022002a00320038004200124412210a026a31120762757379626f782a0042006a007200800100880100900100a2
01001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000280030003a001a002200
= {"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"j1"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"name":"j1","image":"busybox","resources":{}}],"restartPolicy":"Never"}}},"status":{}}
# kubectl create serviceaccount
6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200380042001a
002200
= {"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa1"}}
# kubectl create role
6b3873000a240a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311204526f6c6512230a120a027231
12001a0022002a00320038004200120d0a0367657412001a04706f64731a002200
= {"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r1"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]}
# kubectl create token
6b3873000a280a1861757468656e7469636174696f6e2e6b38732e696f2f7631120c546f6b656e52657175657374121a0a10
0a0012001a0022002a0032003800420012001a040a0012001a002200
= {"kind":"TokenRequest","apiVersion":"authentication.k8s.io/v1","metadata":{},"spec":{},"status":{"token":""}}
# kubectl create cronjob
6b3873000a130a0862617463682f7631120743726f6e4a6f6212a1010a130a03636a3112001a0022002a0032003800420012
87010a0b2a2f35202a202a202a202a1a002a760a130a03636a3112001a0022002a00320038004200125f325d0a100a001200
1a0022002a00320038004200124912220a03636a31120762757379626f782a0042006a007200800100880100900100a20100
1a094f6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a001a002200
= {"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"cj1"},"spec":{"schedule":"*/5 * * * *","jobTemplate":{"metadata":{"name":"cj1"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"name":"cj1","image":"busybox","resources":{}}],"restartPolicy":"OnFailure"}}}}},"status":{}}
# kubectl create clusterrole
6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c6512
2a0a130a0363723112001a0022002a0032003800420012130a036765740a046c69737412001a04706f64731a002200
= {"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"cr1"},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}]}
# kubectl create rolebinding
6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b526f6c6542696e64696e6712
680a130a0372623112001a0022002a00320038004200122a0a04557365721219726261632e617574686f72697a6174696f6e
2e6b38732e696f1a05616c69636522001a250a19726261632e617574686f72697a6174696f6e2e6b38732e696f1204526f6c
651a0272311a002200
= {"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"rb1"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r1"}}
# kubectl create clusterrolebinding
6b3873000a320a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f76311212436c7573746572526f6c6542
696e64696e6712710a140a046372623112001a0022002a00320038004200122a0a04557365721219726261632e617574686f
72697a6174696f6e2e6b38732e696f1a05616c69636522001a2d0a19726261632e617574686f72697a6174696f6e2e6b3873
2e696f120b436c7573746572526f6c651a036372311a002200
= {"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"crb1"},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"alice"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cr1"}}
# kubectl create quota
6b3873000a130a027631120d5265736f7572636551756f746112320a120a02713112001a0022002a00320038004200121a0a
0a0a0363707512030a01320a0c0a04706f647312040a0231301a001a002200
= {"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"q1"},"spec":{"hard":{"cpu":"2","pods":"10"}},"status":{}}
# kubectl create priorityclass value 0
6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c61737312320a130a0370
633112001a0022002a00320038004200100018002201782a14507265656d70744c6f7765725072696f726974791a002200
= {"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc1"},"value":0,"description":"x","preemptionPolicy":"PreemptLowerPriority"}
# kubectl create priorityclass value -5
6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c617373123a0a130a0370
633212001a0022002a0032003800420010fbffffffffffffffff01180022002a14507265656d70744c6f7765725072696f72
6974791a002200
= {"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc2"},"value":-5,"preemptionPolicy":"PreemptLowerPriority"}
# kubectl create poddisruptionbudget
6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e42756467657412380a140a04706462311200
1a0022002a0032003800420012140a06080010011a00120a0a080a036170701201781a0a080018002000280030001a002200
= {"kind":"PodDisruptionBudget","apiVersion":"policy/v1","metadata":{"name":"pdb1"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"x"}}},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}
# kubectl create ingress
6b3873000a1f0a146e6574776f726b696e672e6b38732e696f2f76311207496e6772657373124a0a140a04696e673112001a
0022002a00320038004200122e1a2c0a07666f6f2e636f6d12210a1f0a1d0a042f626172120e220c0a047376633112040a00
10501a0545786163741a020a001a002200
= {"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing1"},"spec":{"rules":[{"host":"foo.com","http":{"paths":[{"path":"/bar","pathType":"Exact","backend":{"service":{"name":"svc1","port":{"number":80}}}}]}}]},"status":{"loadBalancer":{}}}
# kubectl create service nodeport
6b3873000a0d0a027631120753657276696365126b0a1f0a036e703112001a0022002a003200380042005a0a0a0361707012
036e703112440a1e0a0738302d6874747012035443501850220a080110001a04687474702800120a0a0361707012036e7031
1a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200
= {"kind":"Service","apiVersion":"v1","metadata":{"name":"np1","labels":{"app":"np1"}},"spec":{"ports":[{"name":"80-http","protocol":"TCP","port":80,"targetPort":"http"}],"selector":{"app":"np1"},"type":"NodePort"},"status":{"loadBalancer":{}}}
# kubectl create secret docker-registry
6b3873000a0c0a027631120653656372657412a3010a130a0364723112001a0022002a00320038004200126c0a112e646f63
6b6572636f6e6669676a736f6e12577b226175746873223a7b2268747470733a2f2f696e6465782e646f636b65722e696f2f
76312f223a7b22757365726e616d65223a2275222c2270617373776f7264223a2270222c2261757468223a2264547077227d
7d7d1a1e6b756265726e657465732e696f2f646f636b6572636f6e6669676a736f6e1a002200
= {"kind":"Secret","apiVersion":"v1","metadata":{"name":"dr1"},"data":{".dockerconfigjson":"eyJhdXRocyI6eyJodHRwczovL2luZGV4LmRvY2tlci5pby92MS8iOnsidXNlcm5hbWUiOiJ1IiwicGFzc3dvcmQiOiJwIiwiYXV0aCI6ImRUcHcifX19"},"type":"kubernetes.io/dockerconfigjson"}
# kubectl create deployment d2 --image=nginx --image=redis --port=8080 --replicas=0
6b3873000a150a07617070732f7631120a4465706c6f796d656e7412da010a1d0a02643212001a0022002a00320038004200
5a090a036170701202643212aa010800120b0a090a03617070120264321a90010a1b0a0012001a0022002a00320038004200
5a090a03617070120264321271122f0a056e67696e7812056e67696e782a00320b0a00100018903f22002a0042006a007200
800100880100900100a2010012220a057265646973120572656469732a0042006a007200800100880100900100a201001a00
320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a00
2200
= {"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d2","labels":{"app":"d2"}},"spec":{"replicas":0,"selector":{"matchLabels":{"app":"d2"}},"template":{"metadata":{"labels":{"app":"d2"}},"spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":8080}],"resources":{}},{"name":"redis","image":"redis","resources":{}}]}},"strategy":{}},"status":{}}
# kubectl create ingress ing2 --class=nginx --rule=a.com/=svc:http,tls=sec --default-backend=svc:80 --annotation=x=y
6b3873000a1f0a146e6574776f726b696e672e6b38732e696f2f76311207496e677265737312740a1c0a04696e673212001a
0022002a0032003800420062060a017812017912500a0d220b0a0373766312040a001050120c0a05612e636f6d1203736563
1a2a0a05612e636f6d12210a1f0a1d0a012f1211220f0a0373766312080a046874747010001a05457861637422056e67696e
781a020a001a002200
= {"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing2","annotations":{"x":"y"}},"spec":{"ingressClassName":"nginx","defaultBackend":{"service":{"name":"svc","port":{"number":80}}},"tls":[{"hosts":["a.com"],"secretName":"sec"}],"rules":[{"host":"a.com","http":{"paths":[{"path":"/","pathType":"Exact","backend":{"service":{"name":"svc","port":{"name":"http"}}}}]}}]},"status":{"loadBalancer":{}}}
# kubectl create poddisruptionbudget pdb2 --selector=app=x --max-unavailable=50%
6b3873000a200a09706f6c6963792f76311213506f6444697372757074696f6e427564676574123b0a140a04706462321200
1a0022002a003200380042001217120a0a080a036170701201781a09080110001a033530251a0a080018002000280030001a
002200
= {"kind":"PodDisruptionBudget","apiVersion":"policy/v1","metadata":{"name":"pdb2"},"spec":{"selector":{"matchLabels":{"app":"x"}},"maxUnavailable":"50%"},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}
# kubectl create clusterrole cr3 --aggregation-rule=rbac.example.com/aggregate=true
6b3873000a2b0a1c726261632e617574686f72697a6174696f6e2e6b38732e696f2f7631120b436c7573746572526f6c6512
3d0a130a0363723312001a0022002a003200380042001a260a240a220a1a726261632e6578616d706c652e636f6d2f616767
7265676174651204747275651a002200
= {"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"cr3"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"rbac.example.com/aggregate":"true"}}]}}
# kubectl create quota q2 --hard=count/deployments.apps=2 --scopes=BestEffort
6b3873000a130a027631120d5265736f7572636551756f746112430a120a02713212001a0022002a00320038004200122b0a
1d0a16636f756e742f6465706c6f796d656e74732e6170707312030a0132120a426573744566666f72741a001a002200
= {"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"q2"},"spec":{"hard":{"count/deployments.apps":"2"},"scopes":["BestEffort"]},"status":{}}
# kubectl create priorityclass pc3 --value=1000 --global-default=true --preemption-policy=Never
6b3873000a250a147363686564756c696e672e6b38732e696f2f7631120d5072696f72697479436c61737312230a130a0370
633312001a0022002a0032003800420010e807180122002a054e657665721a002200
= {"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc3"},"value":1000,"globalDefault":true,"preemptionPolicy":"Never"}
# kubectl create cronjob cj2 --image=busybox --schedule=@hourly --restart=OnFailure -- date
6b3873000a130a0862617463682f7631120743726f6e4a6f6212a3010a130a03636a3212001a0022002a0032003800420012
89010a0740686f75726c791a002a7c0a130a03636a3212001a0022002a00320038004200126532630a100a0012001a002200
2a00320038004200124f12280a03636a32120762757379626f781a04646174652a0042006a007200800100880100900100a2
01001a094f6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a001a002200
= {"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"cj2"},"spec":{"schedule":"@hourly","jobTemplate":{"metadata":{"name":"cj2"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"name":"cj2","image":"busybox","command":["date"],"resources":{}}],"restartPolicy":"OnFailure"}}}}},"status":{}}
"""#
}

/// Regression: nested Unknowns inside RawExtensions once restarted the depth
/// budget and overflowed the stack (found by tools/fuzz-decode.sh).
final class ProtobufNestingTests: XCTestCase {
    func testDeeplyNestedRawExtensionsAreRefusedNotACrash() {
        func varint(_ v: Int) -> [UInt8] {
            var out: [UInt8] = []
            var n = v
            while n >= 0x80 { out.append(UInt8(n & 0x7F) | 0x80); n >>= 7 }
            out.append(UInt8(n))
            return out
        }
        func ld(_ field: UInt8, _ b: [UInt8]) -> [UInt8] { [field << 3 | 2] + varint(b.count) + b }
        let typeMeta = ld(1, ld(1, Array("v1".utf8)) + ld(2, Array("List".utf8)))
        var body: [UInt8] = Array("{}".utf8)
        for _ in 0..<2000 {
            // v1 List { items: [RawExtension { raw: <previous body> }] }
            body = [0x6b, 0x38, 0x73, 0x00] + typeMeta + ld(2, ld(2, ld(1, body)))
        }
        XCTAssertThrowsError(try KubeProtobuf.decode(body)) { error in
            XCTAssertTrue("\(error)".contains("nest"), "\(error)")
        }
    }

    func testObjectsDeeperThanTheParserCanReadAreRefused() {
        var deep: JSONValue = "leaf"
        for _ in 0..<300 { deep = ["a": deep] }
        let cm: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "deep"], "extra": deep]
        let type = ResourceRegistry.builtins().lookup(group: "", version: "v1", resource: "configmaps")!
        XCTAssertThrowsError(try ObjectLifecycle.prepareCreate(cm, type: type, namespace: "default", now: Date(), uid: "u")) { error in
            XCTAssertEqual((error as? APIError)?.code, 400)
        }
    }
}
