import Foundation
import XCTest
import CorralModel
@testable import CorralVirt

/// Progress output on stderr, unbuffered, so a hung test still shows how far it got.
func say(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// Thread-safe collector for callbacks arriving on libvirt's event loop.
final class Collector<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func add(_ x: T) { lock.lock(); items.append(x); lock.unlock() }
    var all: [T] { lock.lock(); defer { lock.unlock() }; return items }
}

/// Boots a real TCG (or KVM) guest through libvirt from XML our converter produced.
/// Root only, opt-in with CORRAL_VIRT_E2E=1.
final class LibvirtIntegrationTests: XCTestCase {
    func kernelBootVMI(uid: String) -> JSONValue {
        [
            "apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
            "metadata": ["name": "e2e", "namespace": "corral-test", "uid": .string(uid)],
            "spec": [
                "domain": [
                    "devices": ["autoattachPodInterface": false, "rng": [:]],
                    "firmware": ["kernelBoot": [
                        "kernelArgs": "console=ttyS0 panic=-1 loglevel=4",
                        "container": ["image": "corral.test/kernelboot", "kernelPath": "/boot/vmlinuz", "initrdPath": "/boot/initramfs.cpio.gz"],
                    ]],
                    "memory": ["guest": "256Mi"],
                ],
            ],
        ]
    }

    static func waitFor(_ seconds: Double, _ what: String, _ cond: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try cond() { return }
            usleep(100_000)
        }
        XCTFail("timed out after \(seconds)s waiting for \(what)")
        throw XCTSkip("timeout: \(what)")
    }

    func testKernelBootDomainLifecycle() throws {
        let daemon = try LibvirtTestDaemon.acquire()
        defer { daemon.stop() }
        let kernel = try TestGuest.kernel()
        let dir = NSTemporaryDirectory() + "corral-virt-e2e-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o755)  // QEMU runs as libvirt-qemu and must reach the files
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let initrd = try TestGuest.initramfs(in: dir)
        let runDir = dir + "/run"
        try QEMUFiles.prepareDirectory(runDir)

        let setting = EmulationSetting(rawValue: ProcessInfo.processInfo.environment["CORRAL_EMULATION"] ?? "auto") ?? .auto
        let emulation = EmulationProbe.detect(override: setting)
        say("emulation: \(emulation.mode) — \(emulation.reason)")
        let uid = UUID().uuidString.lowercased()
        let context = ConverterContext(emulation: emulation.mode, kernelPath: kernel, initrdPath: initrd,
                                       serialLogPath: dir + "/serial0.log", vncSocketPath: runDir + "/vnc.sock", hostCPUCount: 2)
        let vmi = kernelBootVMI(uid: uid)
        let t0 = Date()
        let spec = try DomainConverter.convert(vmi: vmi, context: context)
        let convertTime = Date().timeIntervalSince(t0)
        let xml = spec.xml()
        try xml.write(toFile: dir + "/domain.xml", atomically: true, encoding: .utf8)

        let conn = try LibvirtConnection()
        let events = Collector<DomainLifecycleEvent>()
        try conn.setLifecycleHandler { if $0.uuid == spec.uuid { events.add($0) } }
        defer { try? conn.remove(uuid: spec.uuid) }

        say("setup done after \(Date().timeIntervalSince(t0))s")
        let t1 = Date()
        let uuid = try conn.defineAndStart(xml: xml)
        let startTime = Date().timeIntervalSince(t1)
        XCTAssertEqual(uuid, spec.uuid)
        XCTAssertEqual(try conn.state(uuid: uuid).state, .running)

        // The guest's serial output reaches the log file through virtlogd.
        let t2 = Date()
        try Self.waitFor(120, "marker in serial log") {
            ((try? String(contentsOfFile: dir + "/serial0.log", encoding: .utf8)) ?? "").contains(TestGuest.marker)
        }
        let bootTime = Date().timeIntervalSince(t2) + startTime

        // The console stream reads the same output and writes reach the guest.
        let received = Collector<[UInt8]>()
        let closed = Collector<String?>()
        let console = try conn.openConsole(uuid: uuid, onData: { received.add($0) }, onClose: { closed.add($0) })
        func text() -> String { String(decoding: received.all.flatMap { $0 }, as: UTF8.self) }
        try Self.waitFor(30, "marker on console stream") { text().contains(TestGuest.marker) }
        console.write(Array("ping-corral\n".utf8))
        try Self.waitFor(30, "guest echo of console input") { text().contains("echo:ping-corral") }

        // Listing finds the domain by the VMI uid stored in metadata.
        let owned = try conn.domains(ownedBy: uid)
        XCTAssertEqual(owned.map(\.uuid), [uuid])
        XCTAssertEqual(owned.first?.owner, DomainOwner(uid: uid, namespace: "corral-test", name: "e2e"))
        XCTAssertEqual(owned.first?.name, "corral-test_e2e")
        XCTAssertEqual(try conn.lookup(uuid: uuid)?.owner?.uid, uid)
        XCTAssertNil(try conn.lookup(uuid: UUID().uuidString.lowercased()))
        let pid = try XCTUnwrap(try conn.qemuPID(uuid: uuid))
        XCTAssertEqual(kill(pid, 0), 0, "qemu pid \(pid) not alive")

        try conn.suspend(uuid: uuid)
        XCTAssertEqual(try conn.state(uuid: uuid), DomainStatus(state: .paused, reason: "user"))
        try conn.resume(uuid: uuid)
        XCTAssertEqual(try conn.state(uuid: uuid), DomainStatus(state: .running, reason: "unpaused"))
        // A guest power-off leaves the persistent domain shut off with reason "shutdown",
        // and ends the console stream.
        console.write(Array("poweroff\n".utf8))
        try Self.waitFor(30, "guest power-off") { try conn.state(uuid: uuid).state == .shutoff }
        XCTAssertEqual(try conn.state(uuid: uuid), DomainStatus(state: .shutoff, reason: "shutdown"))
        try Self.waitFor(10, "console close") { console.isClosed }
        XCTAssertEqual(closed.all.count, 1)

        try conn.start(uuid: uuid)
        XCTAssertEqual(try conn.state(uuid: uuid), DomainStatus(state: .running, reason: "booted"))
        try conn.destroy(uuid: uuid)
        XCTAssertEqual(try conn.state(uuid: uuid), DomainStatus(state: .shutoff, reason: "destroyed"))
        XCTAssertNil(try conn.qemuPID(uuid: uuid))
        try Self.waitFor(10, "stopped event") { events.all.contains { $0.kind == .stopped && $0.detail == "destroyed" } }
        let kinds = events.all.map { "\($0.kind.rawValue)/\($0.detail)" }
        for expected in ["defined/added", "started/booted", "suspended/paused", "resumed/unpaused", "shutdown/guest",
                         "stopped/shutdown", "stopped/destroyed"] {
            XCTAssertTrue(kinds.contains(expected), "missing event \(expected) in \(kinds)")
        }
        try conn.undefine(uuid: uuid)
        XCTAssertFalse(try conn.exists(uuid: uuid))
        XCTAssertTrue(try conn.domains(ownedBy: uid).isEmpty)
        XCTAssertThrowsError(try conn.state(uuid: uuid)) { XCTAssertTrue(($0 as? LibvirtError)?.isNotFound == true, "\($0)") }

        // Baseline: the same XML through `virsh create` (transient) against our define+start.
        var virshTimes: [Double] = [], ourTimes: [Double] = []
        for _ in 0..<3 {
            let a = Date()
            let (status, out) = try runTool("/usr/bin/virsh", ["-c", "qemu:///system", "create", dir + "/domain.xml"])
            virshTimes.append(Date().timeIntervalSince(a))
            XCTAssertEqual(status, 0, out)
            try conn.destroy(uuid: uuid)  // transient: gone after destroy
            XCTAssertFalse(try conn.exists(uuid: uuid))
            let b = Date()
            try conn.defineAndStart(xml: xml)
            ourTimes.append(Date().timeIntervalSince(b))
            try conn.remove(uuid: uuid)
        }
        func ms(_ x: Double) -> String { String(format: "%.1f ms", x * 1000) }
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        say("""
            corral-virt e2e timings (\(emulation.mode)):
              convert VMI → XML: \(ms(convertTime)) (first call)
              define+start (first): \(ms(startTime)); marker in serial log after \(String(format: "%.2f s", bootTime))
              virsh create median: \(ms(median(virshTimes))) \(virshTimes.map(ms))
              define+start median: \(ms(median(ourTimes))) \(ourTimes.map(ms)); ratio \(String(format: "%.2f", median(ourTimes) / median(virshTimes)))
            """)
        XCTAssertTrue(try conn.domains(ownedBy: uid).isEmpty)
    }
}
