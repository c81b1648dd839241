import Foundation
import XCTest
import CorralModel
@testable import CorralVirt

/// Cloud-init content (pure), ISO writing (genisoimage) and disk images (qemu-img). No root needed.
final class MediaTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "corral-virt-media-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testCloudInitSources() throws {
        let inline = try CloudInitMedia.data(volume: ["name": "c", "cloudInitNoCloud": ["userData": "#cloud-config\n"]])
        XCTAssertEqual(inline, CloudInitData(source: .noCloud, userData: Array("#cloud-config\n".utf8), networkData: nil))
        let b64 = try CloudInitMedia.data(volume: ["cloudInitConfigDrive": ["userDataBase64": "aGVsbG8=", "networkData": "version: 2"]])
        XCTAssertEqual(b64.source, .configDrive)
        XCTAssertEqual(b64.userData, Array("hello".utf8))
        XCTAssertEqual(b64.networkData, Array("version: 2".utf8))
        let secret = try CloudInitMedia.data(volume: ["cloudInitNoCloud": ["secretRef": ["name": "s"]]], userDataSecret: ["userData": [1, 2]])
        XCTAssertEqual(secret.userData, [1, 2])
        XCTAssertThrowsError(try CloudInitMedia.data(volume: ["cloudInitNoCloud": ["secretRef": ["name": "s"]]], userDataSecret: ["other": [1]]))
        XCTAssertThrowsError(try CloudInitMedia.data(volume: ["cloudInitNoCloud": ["secretRef": ["name": "s"]]]))
        XCTAssertThrowsError(try CloudInitMedia.data(volume: ["cloudInitNoCloud": ["userDataBase64": "!!!"]])) {
            XCTAssertEqual(($0 as? CloudInitError)?.description, "spec.volumes[].cloudInitNoCloud.userDataBase64: is not valid base64")
        }
        XCTAssertThrowsError(try CloudInitMedia.data(volume: ["cloudInitNoCloud": [:]]))
    }

    func testNoCloudAndConfigDrivePlans() throws {
        let vmi: JSONValue = ["metadata": ["name": "Web_1", "namespace": "ns"], "spec": [:]]
        XCTAssertEqual(CloudInitMedia.hostname(vmi: vmi), "web-1")
        let data = CloudInitData(source: .noCloud, userData: Array("u".utf8), networkData: nil)
        let plan = CloudInitMedia.plan(data, instanceID: CloudInitMedia.instanceID(namespace: "ns", name: "Web_1"), uuid: "x", hostname: "web-1")
        XCTAssertEqual(plan.volumeID, "cidata")
        XCTAssertEqual(plan.files.map(\.path), ["meta-data", "user-data"])
        let meta = try JSONParser.parse(plan.files[0].contents)
        XCTAssertEqual(meta["instance-id"]?.stringValue, "Web_1.ns")
        XCTAssertEqual(meta["local-hostname"]?.stringValue, "web-1")
        var cd = data
        cd.source = .configDrive
        cd.networkData = Array("{}".utf8)
        let drive = CloudInitMedia.plan(cd, instanceID: "i", uuid: "uu", hostname: "h", publicKeys: ["k": "ssh-ed25519 AAA"])
        XCTAssertEqual(drive.volumeID, "config-2")
        XCTAssertEqual(drive.files.map(\.path), ["openstack/latest/meta_data.json", "openstack/latest/user_data", "openstack/latest/network_data.json"])
        let dmeta = try JSONParser.parse(drive.files[0].contents)
        XCTAssertEqual(dmeta["uuid"]?.stringValue, "uu")
        XCTAssertEqual(dmeta[path: ["public_keys", "k"]]?.stringValue, "ssh-ed25519 AAA")
    }

    func testKeyValuePlanRejectsPathsOutsideTheImage() {
        XCTAssertThrowsError(try CloudInitMedia.keyValuePlan(files: ["../etc": [1]]))
        XCTAssertThrowsError(try CloudInitMedia.keyValuePlan(files: ["a/b": [1]]))
        XCTAssertThrowsError(try CloudInitMedia.keyValuePlan(files: ["ok": [1]], volumeLabel: "bad label"))
        XCTAssertEqual(try CloudInitMedia.keyValuePlan(files: ["b.txt": [2], "a": [1]]).files.map(\.path), ["a", "b.txt"])
    }

    func testISOWriterProducesLabelledImageWithFiles() throws {
        let plan = ISOPlan(volumeID: "config-2", files: [
            ISOFile(path: "openstack/latest/meta_data.json", contents: Array("{\"a\":1}".utf8)),
            ISOFile(path: "openstack/latest/user_data", contents: Array("#cloud-config\n".utf8)),
        ])
        let iso = dir + "/cd.iso"
        try ISOWriter.write(plan, to: iso)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: iso)))
        // Primary volume descriptor at 32 KiB; its volume identifier is bytes 40..<72.
        XCTAssertEqual(String(decoding: bytes[32768 + 40 ..< 32768 + 72], as: UTF8.self).trimmingCharacters(in: .whitespaces), "config-2")
        let (status, listing) = try runTool("/usr/bin/isoinfo", ["-R", "-f", "-i", iso])
        XCTAssertEqual(status, 0)
        XCTAssertTrue(listing.contains("/openstack/latest/user_data"), listing)
        let (_, content) = try runTool("/usr/bin/isoinfo", ["-R", "-i", iso, "-x", "/openstack/latest/meta_data.json"])
        XCTAssertEqual(content, "{\"a\":1}")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["cd.iso"], "staging files left behind")
        XCTAssertThrowsError(try ISOWriter.write(ISOPlan(volumeID: "x", files: [ISOFile(path: "../escape", contents: [])]), to: dir + "/bad.iso"))
    }

    func testEmptyDiskAndOverlay() throws {
        let base = dir + "/base.qcow2"
        try DiskImages.createEmptyDisk(path: base, size: 64 << 20)
        var info = try DiskImages.inspect(path: base)
        XCTAssertEqual(info.format, "qcow2")
        XCTAssertEqual(info.virtualSize, 64 << 20)
        XCTAssertNil(info.backingFile)
        try DiskImages.createEmptyDisk(path: base, size: 32 << 20)  // existing, large enough: kept
        XCTAssertThrowsError(try DiskImages.createEmptyDisk(path: base, size: 128 << 20))

        let overlay = dir + "/overlay.qcow2"
        let baseInfo = try DiskImages.createOverlay(base: base, overlay: overlay)
        XCTAssertEqual(baseInfo.format, "qcow2")
        info = try DiskImages.inspect(path: overlay)
        XCTAssertEqual(info.format, "qcow2")
        XCTAssertEqual(info.backingFile, base)
        XCTAssertEqual(info.virtualSize, 64 << 20)

        // An image that names a backing file is refused as a base.
        XCTAssertThrowsError(try DiskImages.createOverlay(base: overlay, overlay: dir + "/o2.qcow2")) {
            XCTAssertEqual(($0 as? DiskImageError)?.description, "disk image \(overlay) names a backing file (\(base)); refusing")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/o2.qcow2"))

        let raw = dir + "/raw.img"
        XCTAssertTrue(FileManager.default.createFile(atPath: raw, contents: Data(count: 1 << 20)))
        try DiskImages.createOverlay(base: raw, overlay: dir + "/o3.qcow2")
        XCTAssertEqual(try DiskImages.inspect(path: dir + "/o3.qcow2").backingFile, raw)
        XCTAssertThrowsError(try DiskImages.createEmptyDisk(path: raw, size: 1 << 20))  // raw in the way
        XCTAssertThrowsError(try DiskImages.inspect(path: dir + "/missing"))
    }
}
