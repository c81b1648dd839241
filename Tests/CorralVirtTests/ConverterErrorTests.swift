import XCTest
import CorralModel
@testable import CorralVirt

/// Bad specs produce errors that name the KubeVirt field; odd-but-valid specs convert.
final class ConverterErrorTests: XCTestCase {
    let uid = "5d1c3f0a-8e52-4b57-9a53-2f1b7c3e9d10"

    func vmi(_ spec: JSONValue, uid: JSONValue? = nil) -> JSONValue {
        ["metadata": ["name": "t", "namespace": "ns", "uid": uid ?? .string(self.uid)], "spec": spec]
    }

    func baseSpec(devices: JSONValue = [:], volumes: JSONValue = [], extraDomain: [(String, JSONValue)] = []) -> JSONValue {
        var domain: JSONValue = ["devices": devices, "memory": ["guest": "64Mi"]]
        for (k, v) in extraDomain { domain[k] = v }
        return ["domain": domain, "volumes": volumes]
    }

    let ctx = ConverterContext(emulation: .tcg, volumes: ["root": ResolvedVolume(path: "/r.qcow2", format: .qcow2)],
                               tapDevices: ["default": "tap0"], hostCPUCount: 2)

    func error(_ v: JSONValue, context: ConverterContext? = nil) -> DomainConversionError? {
        do {
            _ = try DomainConverter.convert(vmi: v, context: context ?? ctx)
            return nil
        } catch let e as DomainConversionError {
            return e
        } catch {
            XCTFail("unexpected error type \(error)")
            return nil
        }
    }

    func testDiskWithoutVolumeNamesTheField() {
        let e = error(vmi(baseSpec(devices: ["disks": [["name": "x", "disk": [:]]]])))
        XCTAssertEqual(e?.description, "spec.domain.devices.disks[0].name: disk references volume \"x\" which is not defined")
    }

    func testBootOrderCollisionAcrossDiskAndInterface() {
        let spec = baseSpec(devices: [
            "disks": [["name": "root", "bootOrder": 1]],
            "interfaces": [["name": "default", "masquerade": [:], "bootOrder": 1]],
        ], volumes: [["name": "root", "containerDisk": ["image": "x"]]])
        var s = spec
        s["networks"] = [["name": "default", "pod": [:]]]
        XCTAssertEqual(error(vmi(s))?.field, "spec.domain.devices.interfaces[0].bootOrder")
    }

    func testFieldErrors() {
        let root: JSONValue = [["name": "root", "containerDisk": ["image": "x"]]]
        let cases: [(JSONValue, String)] = [
            (vmi(baseSpec(devices: ["disks": [["name": "root", "cdrom": ["bus": "virtio"]]]], volumes: root)), "spec.domain.devices.disks[0].cdrom.bus"),
            (vmi(baseSpec(devices: ["disks": [["name": "root", "disk": ["bus": "ide"]]]], volumes: root)), "spec.domain.devices.disks[0].disk.bus"),
            (vmi(baseSpec(devices: ["disks": [["name": "root", "lun": [:]]]], volumes: root)), "spec.domain.devices.disks[0].lun"),
            (vmi(baseSpec(devices: ["disks": [["name": "root", "cache": "unsafe"]]], volumes: root)), "spec.domain.devices.disks[0].cache"),
            (vmi(["domain": ["devices": [:]]]), "spec.domain.resources.requests.memory"),
            (vmi(baseSpec(), uid: "not-a-uuid"), "metadata.uid"),
            (vmi(baseSpec(extraDomain: [("firmware", ["uuid": "zzz"])])), "spec.domain.firmware.uuid"),
            (vmi(baseSpec(extraDomain: [("memory", ["guest": "lots"])])), "spec.domain.memory.guest"),
            (vmi(baseSpec(extraDomain: [("memory", ["guest": "3Mi", "hugepages": ["pageSize": "2Mi"]])])), "spec.domain.memory.guest"),
            (vmi(baseSpec(extraDomain: [("cpu", ["cores": 0])])), "spec.domain.cpu.cores"),
            (vmi(baseSpec(extraDomain: [("cpu", ["sockets": "two"])])), "spec.domain.cpu.sockets"),
            (vmi(baseSpec(extraDomain: [("firmware", ["kernelBoot": ["kernelArgs": "x", "container": ["image": "i", "initrdPath": "/i"]]])])),
             "spec.domain.firmware.kernelBoot.kernelArgs"),
            (vmi(baseSpec(extraDomain: [("clock", ["timezone": "../../etc/passwd"])])), "spec.domain.clock.timezone"),
            (vmi(baseSpec(devices: ["watchdog": ["name": "w", "i6300esb": ["action": "explode"]]])), "spec.domain.devices.watchdog.i6300esb.action"),
            (vmi(baseSpec(volumes: [["name": "a", "containerDisk": [:]], ["name": "a", "emptyDisk": [:]]])), "spec.volumes[1].name"),
            (vmi(baseSpec(volumes: [["name": "m", "memoryDump": [:]]])), "spec.volumes[0].memoryDump"),
        ]
        for (v, field) in cases {
            XCTAssertEqual(error(v)?.field, field, "\(v.jsonString())")
        }
    }

    func testInterfaceErrors() {
        func withIface(_ iface: JSONValue, networks: JSONValue) -> JSONValue {
            var s = baseSpec(devices: ["interfaces": [iface]])
            s["networks"] = networks
            return vmi(s)
        }
        let pod: JSONValue = [["name": "default", "pod": [:]]]
        XCTAssertEqual(error(withIface(["name": "other", "bridge": [:]], networks: pod))?.field, "spec.domain.devices.interfaces[0].name")
        if case .unsupported(let f, _)? = error(withIface(["name": "default", "slirp": [:]], networks: pod)) {
            XCTAssertEqual(f, "spec.domain.devices.interfaces[0].slirp")
        } else { XCTFail("slirp should be unsupported") }
        XCTAssertEqual(error(withIface(["name": "default", "masquerade": [:]], networks: [["name": "default", "multus": ["networkName": "n"]]]))?.field,
                       "spec.domain.devices.interfaces[0].masquerade")
        XCTAssertEqual(error(withIface(["name": "default", "macAddress": "01:00:00:00:00:01"], networks: pod))?.field,
                       "spec.domain.devices.interfaces[0].macAddress")
        XCTAssertEqual(error(withIface(["name": "default", "pciAddress": "0000:00:20.0"], networks: pod))?.field,
                       "spec.domain.devices.interfaces[0].pciAddress")
        let noTap = ConverterContext(emulation: .tcg, hostCPUCount: 1)
        if case .missingHostResource(let f, _)? = error(withIface(["name": "default"], networks: pod), context: noTap) {
            XCTAssertEqual(f, "spec.domain.devices.interfaces[0]")
        } else { XCTFail("missing tap should be reported") }
    }

    func testImplicitPodInterfaceAndOptOut() throws {
        XCTAssertEqual(try DomainConverter.interfaceNames(vmi: vmi(baseSpec())), ["default"])
        let off = vmi(baseSpec(devices: ["autoattachPodInterface": false]))
        XCTAssertEqual(try DomainConverter.interfaceNames(vmi: off), [])
        let spec = try DomainConverter.convert(vmi: off, context: ctx)
        XCTAssertFalse(spec.xml().contains("<interface"))
        let on = try DomainConverter.convert(vmi: vmi(baseSpec()), context: ctx)
        XCTAssertTrue(on.xml().contains("<target dev='tap0' managed='no'/>"))
    }

    func testCPUModelUnderTCGAndKVM() throws {
        let v = vmi(baseSpec(devices: ["autoattachPodInterface": false], extraDomain: [("cpu", ["model": "host-passthrough"])]))
        let tcg = try DomainConverter.convert(vmi: v, context: ctx)
        XCTAssertEqual(tcg.cpu.first("model")?.text, "qemu64")
        XCTAssertTrue(tcg.notes.contains { $0.contains("unavailable under TCG") })
        var kvmCtx = ctx
        kvmCtx.emulation = .kvm
        let kvm = try DomainConverter.convert(vmi: v, context: kvmCtx)
        XCTAssertEqual(kvm.cpu.attribute("mode"), "host-passthrough")
        XCTAssertTrue(kvm.xml().hasPrefix("<domain type='kvm'>"))
    }

    func testTopologyFromResources() throws {
        func topology(_ resources: JSONValue) throws -> CPUTopology {
            let v = vmi(["domain": ["devices": ["autoattachPodInterface": false], "resources": resources]])
            return try DomainConverter.convert(vmi: v, context: ctx).vcpus
        }
        XCTAssertEqual(try topology(["requests": ["memory": "64Mi", "cpu": "500m"]]), CPUTopology(sockets: 1, cores: 1, threads: 1))
        XCTAssertEqual(try topology(["requests": ["memory": "64Mi", "cpu": "1"], "limits": ["cpu": 3]]), CPUTopology(sockets: 3, cores: 1, threads: 1))
        let explicit = vmi(baseSpec(devices: ["autoattachPodInterface": false], extraDomain: [("cpu", ["cores": 2, "threads": 2])]))
        XCTAssertEqual(try DomainConverter.convert(vmi: explicit, context: ctx).vcpus.count, 4)
    }

    func testMemoryFromRequestsInKiB() throws {
        let v = vmi(["domain": ["devices": ["autoattachPodInterface": false], "resources": ["requests": ["memory": "1G"]]]])
        XCTAssertEqual(try DomainConverter.convert(vmi: v, context: ctx).memoryKiB, 976_563)  // 10^9 / 1024, rounded up
    }

    func testEscapingOfUserText() throws {
        var s = baseSpec(devices: ["autoattachPodInterface": false], extraDomain: [("firmware", ["serial": "a'b<c>&\"d\u{1}"])])
        s["hostname"] = "x"
        let xml = try DomainConverter.convert(vmi: vmi(s), context: ctx).xml()
        XCTAssertTrue(xml.contains("<entry name='serial'>a'b&lt;c&gt;&amp;\"d</entry>"), xml)
        XCTAssertEqual(XMLEscape.attribute("it's \"x\" & <y>"), "it&apos;s &quot;x&quot; &amp; &lt;y&gt;")
    }

    func testDriveLetters() {
        XCTAssertEqual([0, 1, 25, 26, 27, 701, 702].map(DiskConfigurator.driveLetters), ["a", "b", "z", "aa", "ab", "zz", "aaa"])
    }

    func testVolumeKinds() throws {
        let v = vmi(baseSpec(volumes: [["name": "a", "containerDisk": ["image": "x"]], ["name": "b", "cloudInitNoCloud": ["userData": "u"]],
                                       ["name": "c", "configMap": ["name": "cm"]]]))
        XCTAssertEqual(try DomainConverter.volumeKinds(vmi: v), ["a": .containerDisk, "b": .cloudInitNoCloud, "c": .configMap])
    }

    func testQuantities() {
        let table: [(String, Int64?)] = [
            ("64Mi", 64 << 20), ("1Gi", 1 << 30), ("1.5Gi", 3 << 29), ("128M", 128_000_000), ("512k", 512_000),
            ("500m", 1), ("2", 2), ("1e3", 1000), ("1E2", 100), (" 3Ki ", 3072), ("", nil), ("-1Mi", nil), ("5 Mi", nil), ("Mi", nil), ("1KB", nil),
        ]
        for (text, expected) in table { XCTAssertEqual(MemoryConfigurator.wholeUnits(text), expected, text) }
    }
}
