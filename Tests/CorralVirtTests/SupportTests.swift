import XCTest
@testable import CorralVirt

/// Emulation decision, libvirt state/event mapping and metadata parsing (all pure).
final class SupportTests: XCTestCase {
    func testEmulationDecision() {
        let good = EmulationFacts(kvmDevicePresent: true, kvmAPIVersion: 12, kvmCreateVMWorks: true)
        XCTAssertEqual(EmulationProbe.decide(facts: good, override: .auto).mode, .kvm)
        var pvm = good
        pvm.pvmModuleLoaded = true
        let d = EmulationProbe.decide(facts: pvm, override: .auto)
        XCTAssertEqual(d.mode, .tcg)
        XCTAssertEqual(d.reason, "KVM unusable (kvm_pvm nested module): running under TCG software emulation")
        XCTAssertEqual(EmulationProbe.decide(facts: EmulationFacts(kvmDevicePresent: false), override: .auto).mode, .tcg)
        let denied = EmulationFacts(kvmDevicePresent: true, kvmOpenError: "Permission denied")
        XCTAssertTrue(EmulationProbe.decide(facts: denied, override: .auto).reason.contains("Permission denied"))
        XCTAssertEqual(EmulationProbe.decide(facts: good, override: .tcg).mode, .tcg)
        let forced = EmulationProbe.decide(facts: pvm, override: .kvm)
        XCTAssertEqual(forced.mode, .kvm)
        XCTAssertTrue(forced.reason.contains("warning: kvm_pvm"))
    }

    /// The probe must agree with the module list of this very host.
    func testGatherFactsSeesPVMModule() {
        let facts = EmulationProbe.gatherFacts()
        XCTAssertEqual(facts.pvmModuleLoaded, FileManager.default.fileExists(atPath: "/sys/module/kvm_pvm"))
        XCTAssertEqual(facts.kvmDevicePresent, FileManager.default.fileExists(atPath: "/dev/kvm"))
        let missing = EmulationProbe.gatherFacts(devicePath: "/nonexistent/kvm", sysModuleDir: "/nonexistent")
        XCTAssertEqual(missing, EmulationFacts(kvmDevicePresent: false))
    }

    func testStateMapping() {
        XCTAssertEqual(DomainStatus.from(state: 1, reason: 1), DomainStatus(state: .running, reason: "booted"))
        XCTAssertEqual(DomainStatus.from(state: 3, reason: 5), DomainStatus(state: .paused, reason: "ioerror"))
        XCTAssertEqual(DomainStatus.from(state: 5, reason: 3), DomainStatus(state: .shutoff, reason: "crashed"))
        XCTAssertEqual(DomainStatus.from(state: 5, reason: 99), DomainStatus(state: .shutoff, reason: "unknown"))
        XCTAssertEqual(DomainStatus.from(state: 6, reason: 1), DomainStatus(state: .crashed, reason: "panicked"))
        let e = DomainLifecycleEvent.from(uuid: "u", name: "n", event: 5, detail: 1)
        XCTAssertEqual(e.kind, .stopped)
        XCTAssertEqual(e.detail, "destroyed")
        XCTAssertEqual(DomainLifecycleEvent.from(uuid: "u", name: "n", event: 6, detail: 1).detail, "guest")
    }

    func testMetadataParser() {
        let libvirtForm = "<instance xmlns=\"http://corral.dev/domain\">\n  <uid>abc</uid>\n  <namespace>ns</namespace>\n  <name>a&amp;b</name>\n</instance>"
        XCTAssertEqual(MetadataParser.owner(fromXML: libvirtForm), DomainOwner(uid: "abc", namespace: "ns", name: "a&b"))
        let prefixed = DomainOwner(uid: "u1", namespace: "n", name: "x").metadataElement().rendered()
        XCTAssertEqual(MetadataParser.owner(fromXML: prefixed), DomainOwner(uid: "u1", namespace: "n", name: "x"))
        XCTAssertNil(MetadataParser.owner(fromXML: "<instance><name>x</name></instance>"))
    }
}
