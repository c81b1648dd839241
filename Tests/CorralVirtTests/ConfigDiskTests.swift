import Foundation
import XCTest
import CorralModel
@testable import CorralVirt

/// configMap / secret / serviceAccount volumes as ISO disks: the pure plan (golden), the
/// converter's `<disk>` elements (golden + libvirt schema), spec errors, and real images.
final class ConfigDiskTests: XCTestCase {
    static let uid = "7a2b9c4d-1e3f-4a5b-8c6d-9e0f1a2b3c4d"
    static let vmDir = "/var/lib/corral/vms/" + uid

    static let inputs = ConfigDiskInputs(
        namespace: "shop",
        configMaps: ["app-config": ["app.conf": Array("listen=8080\nmode=prod\n".utf8), "motd": Array("hello".utf8)]],
        secrets: ["db-credentials": ["username": Array("admin".utf8), "password": [0x73, 0x33, 0x63, 0x72, 0x00, 0xff]]],
        serviceAccountTokens: ["app-reader": "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2ln"],
        caCertificate: Array("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".utf8))

    /// A readable rendering of a plan, for the golden file.
    static func render(_ images: [ConfigDiskImage]) -> String {
        var out = ""
        for i in images {
            out += "\(i.fileName) volume=\(i.volume) kind=\(i.kind.rawValue) label=\(i.iso.volumeID) sensitive=\(i.isSensitive)\n"
            for f in i.iso.files {
                let text = String(bytes: f.contents, encoding: .utf8).map { $0.debugDescription }
                    ?? "base64:" + Data(f.contents).base64EncodedString()
                out += "  \(f.path) \(f.contents.count) bytes \(text)\n"
            }
        }
        return out
    }

    func testPlanMatchesGolden() throws {
        let vmi = try Golden.vmi("config-disks")
        let sources = try ConfigDiskSource.all(vmi: vmi)
        XCTAssertEqual(sources.map(\.volume), ["app-config", "db-secret", "sa", "extras"])
        let images = try ConfigDiskPlanner.plan(sources, inputs: Self.inputs)
        try Golden.check(Self.render(images), file: "config-disks.plan")
        // Facts the golden must keep, spelled out.
        XCTAssertEqual(images.map(\.iso.volumeID), ["appcfg", "cfgdata", "cfgdata", "cfgdata"])
        XCTAssertEqual(images[2].iso.files.map(\.path), ["ca.crt", "namespace", "token"])
        XCTAssertEqual(images[2].iso.files[1].contents, Array("shop".utf8))
        XCTAssertEqual(images[1].iso.files.first { $0.path == "password" }?.contents, [0x73, 0x33, 0x63, 0x72, 0x00, 0xff])
        XCTAssertEqual(images[3].iso.files, [], "a missing optional ConfigMap gives an empty image")
        XCTAssertEqual(images.map(\.isSensitive), [false, true, true, false])
    }

    func testReferencesAreSortedAndUnique() throws {
        let vmi: JSONValue = ["spec": ["volumes": [
            ["name": "a", "configMap": ["name": "zeta"]], ["name": "b", "configMap": ["name": "alpha"]],
            ["name": "c", "configMap": ["name": "zeta", "volumeLabel": "other"]], ["name": "d", "secret": ["secretName": "s"]],
            ["name": "e", "serviceAccount": [:]], ["name": "f", "emptyDisk": ["capacity": "1Gi"]],
        ]]]
        let refs = ConfigDiskReferences(try ConfigDiskSource.all(vmi: vmi))
        XCTAssertEqual(refs.configMaps, ["alpha", "zeta"])
        XCTAssertEqual(refs.secrets, ["s"])
        XCTAssertEqual(refs.serviceAccounts, ["default"], "an empty serviceAccountName means the default account")
    }

    func testMissingObjectsWaitWithKubeletWording() throws {
        func plan(_ volume: JSONValue, _ inputs: ConfigDiskInputs = ConfigDiskInputs(namespace: "ns")) throws -> [ConfigDiskImage] {
            try ConfigDiskPlanner.plan(try ConfigDiskSource.all(vmi: ["spec": ["volumes": [volume]]]), inputs: inputs)
        }
        XCTAssertThrowsError(try plan(["name": "cfg", "configMap": ["name": "app"]])) {
            XCTAssertEqual($0 as? ConfigDiskError, .missingObject(volume: "cfg", kind: "configmap", name: "app"))
            XCTAssertEqual("\($0)", "MountVolume.SetUp failed for volume \"cfg\" : configmap \"app\" not found")
            XCTAssertEqual(($0 as? ConfigDiskError)?.isWaitingForObject, true)
        }
        XCTAssertThrowsError(try plan(["name": "s", "secret": ["secretName": "creds", "optional": false]])) {
            XCTAssertEqual("\($0)", "MountVolume.SetUp failed for volume \"s\" : secret \"creds\" not found")
        }
        XCTAssertThrowsError(try plan(["name": "sa", "serviceAccount": ["serviceAccountName": "robot"]])) {
            XCTAssertEqual($0 as? ConfigDiskError, .missingObject(volume: "sa", kind: "serviceaccount", name: "robot"))
        }
        XCTAssertEqual(try plan(["name": "s", "secret": ["secretName": "creds", "optional": true]]).first?.iso.files, [])
        // Present objects are used even when optional.
        let present = ConfigDiskInputs(namespace: "ns", secrets: ["creds": ["k": [1]]])
        XCTAssertEqual(try plan(["name": "s", "secret": ["secretName": "creds", "optional": true]], present).first?.iso.files.map(\.path), ["k"])
    }

    func testBadKeysAndNamesAreRejected() throws {
        let vmi: JSONValue = ["spec": ["volumes": [["name": "cfg", "configMap": ["name": "app"]]]]]
        let bad = ConfigDiskInputs(namespace: "ns", configMaps: ["app": ["../escape": [1]]])
        XCTAssertThrowsError(try ConfigDiskPlanner.plan(try ConfigDiskSource.all(vmi: vmi), inputs: bad)) {
            XCTAssertEqual($0 as? ConfigDiskError, .invalidKey(volume: "cfg", key: "../escape"))
            XCTAssertEqual(($0 as? ConfigDiskError)?.isWaitingForObject, false)
        }
        let badName: JSONValue = ["spec": ["volumes": [["name": "../x", "configMap": ["name": "app"]]]]]
        XCTAssertThrowsError(try ConfigDiskPlanner.plan(try ConfigDiskSource.all(vmi: badName),
                                                        inputs: ConfigDiskInputs(namespace: "ns", configMaps: ["app": [:]])))
    }

    /// Spec errors: the planner and the converter both name the exact KubeVirt field.
    func testSpecErrorsNameTheField() throws {
        let cases: [(JSONValue, String)] = [
            (["name": "c", "configMap": ["optional": true]], "spec.volumes[1].configMap.name"),
            (["name": "c", "configMap": ["name": 5]], "spec.volumes[1].configMap.name"),
            (["name": "c", "configMap": ["name": "x", "optional": "yes"]], "spec.volumes[1].configMap.optional"),
            (["name": "s", "secret": ["name": "wrong-field"]], "spec.volumes[1].secret.secretName"),
            (["name": "s", "secret": ["secretName": "x", "volumeLabel": "has space"]], "spec.volumes[1].secret.volumeLabel"),
            (["name": "s", "secret": ["secretName": "x", "volumeLabel": .string(String(repeating: "a", count: 33))]], "spec.volumes[1].secret.volumeLabel"),
            (["name": "sa2", "serviceAccount": ["serviceAccountName": "other"]], "spec.volumes[1].serviceAccount"),
        ]
        for (volume, field) in cases {
            let first: JSONValue = ["name": "sa", "serviceAccount": ["serviceAccountName": "default"]]
            let spec: JSONValue = ["domain": ["devices": [:], "memory": ["guest": "64Mi"]], "volumes": [first, volume]]
            let vmi: JSONValue = ["metadata": ["name": "v", "namespace": "ns", "uid": "0b8a4e7c-1d2f-4e3a-9b5c-6d7e8f9a0b1c"], "spec": spec]
            XCTAssertThrowsError(try ConfigDiskSource.all(vmi: vmi), "\(volume)") {
                guard case .invalidSource(let f, _)? = $0 as? ConfigDiskError else { return XCTFail("\($0)") }
                XCTAssertEqual(f, field)
            }
            let context = ConverterContext(emulation: .tcg, volumes: ["sa": ResolvedVolume(path: "/x/sa.iso", format: .raw),
                                                                      (volume["name"]?.stringValue ?? ""): ResolvedVolume(path: "/x/v.iso", format: .raw)])
            XCTAssertThrowsError(try DomainConverter.convert(vmi: vmi, context: context), "\(volume)") {
                XCTAssertEqual(($0 as? DomainConversionError)?.field, field, "\($0)")
            }
        }
    }

    func testConverterMatchesGoldenAndLibvirtSchema() throws {
        let vmi = try Golden.vmi("config-disks")
        var volumes = ["root": ResolvedVolume(path: Self.vmDir + "/root.qcow2", format: .qcow2)]
        for name in ["app-config", "db-secret", "sa", "extras"] { volumes[name] = ResolvedVolume(path: "\(Self.vmDir)/\(name).iso", format: .raw) }
        let spec = try DomainConverter.convert(vmi: vmi, context: ConverterContext(emulation: .tcg, volumes: volumes, hostCPUCount: 2))
        let xml = spec.xml()
        try Golden.check(xml, file: "config-disks.xml")
        try Golden.check(spec.notes.joined(separator: "\n") + "\n", file: "config-disks.notes")
        // Every config disk is a read-only raw file, whatever device it is attached as.
        for name in ["app-config", "db-secret", "sa", "extras"] {
            guard let start = xml.range(of: "<source file='\(Self.vmDir)/\(name).iso'/>"),
                  let end = xml.range(of: "</disk>", range: start.upperBound..<xml.endIndex),
                  let open = xml.range(of: "<disk ", options: .backwards, range: xml.startIndex..<start.lowerBound) else {
                return XCTFail("no disk for \(name)")
            }
            let disk = String(xml[open.lowerBound..<end.upperBound])
            XCTAssertTrue(disk.contains("<disk type='file'") && disk.contains("type='raw'") && disk.contains("<readonly/>"), disk)
        }
        XCTAssertEqual(try DomainConverter.volumeKinds(vmi: vmi)["sa"], .serviceAccount)
        let validator = "/usr/bin/virt-xml-validate"
        guard FileManager.default.isExecutableFile(atPath: validator) else {
            return XCTFail("virt-xml-validate missing: apt-get install -y --no-install-recommends libvirt-clients")
        }
        let (status, output) = try runTool(validator, [Golden.directory.appendingPathComponent("config-disks.xml").path, "domain"])
        XCTAssertEqual(status, 0, output)
    }

    /// A file's exact bytes from an ISO (isoinfo -x), binary-safe.
    static func extract(iso: String, file: String) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/isoinfo")
        p.arguments = ["-R", "-i", iso, "-x", file]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return [UInt8](data)
    }

    /// The planned images written with genisoimage read back with isoinfo: label, names, bytes, mode.
    func testImagesOnDiskHoldTheKeys() throws {
        let dir = NSTemporaryDirectory() + "corral-config-disks-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = try ConfigDiskPlanner.plan(try ConfigDiskSource.all(vmi: try Golden.vmi("config-disks")), inputs: Self.inputs)
        for image in images {
            let path = dir + "/" + image.fileName
            try ISOWriter.write(image.iso, to: path, mode: image.isSensitive ? 0o400 : 0o444, owner: (getuid(), getgid()))
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            // Primary volume descriptor at 32 KiB; its volume identifier is bytes 40..<72.
            XCTAssertEqual(String(decoding: bytes[32768 + 40 ..< 32768 + 72], as: UTF8.self).trimmingCharacters(in: .whitespaces),
                           image.iso.volumeID)
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
            XCTAssertEqual(mode, image.isSensitive ? 0o400 : 0o444, image.fileName)
            let (status, listing) = try runTool("/usr/bin/isoinfo", ["-R", "-f", "-i", path])
            XCTAssertEqual(status, 0)
            XCTAssertEqual(listing.split(separator: "\n").map(String.init).sorted(), image.iso.files.map { "/" + $0.path }.sorted())
            for f in image.iso.files {
                XCTAssertEqual(try Self.extract(iso: path, file: "/" + f.path), f.contents, "\(image.fileName):\(f.path)")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), images.map(\.fileName).sorted(), "staging files left behind")
    }
}
