import XCTest
import CorralModel
@testable import CorralVirt

/// How a guest ends decides the VMI phase, and every domain can report a guest panic.
final class FailureSemanticsTests: XCTestCase {
    // libvirt numbers: state 5 = shutoff, reasons 1 shutdown, 2 destroyed, 3 crashed, 6 failed, 8 daemon;
    // state 6 = crashed (reason 1 panicked); state 3 = paused (reason 10 crashed); state 1 = running.
    func testShutoffReasonsMapToPhasesAsVirtHandlerDoes() {
        let table: [(Int32, Int32, Bool, VMIPhaseVerdict?)] = [
            (5, 1, true, .succeeded),   // guest powered off
            (5, 3, true, .failed),      // panic via pvpanic + on_crash destroy, or QEMU died
            (5, 6, true, .failed),      // QEMU failed
            (5, 8, true, .failed),      // libvirtd found it dead on reconnect
            (5, 2, true, .failed),      // destroyed behind our back, guest had ACPI
            (5, 2, false, .succeeded),  // destroyed, no ACPI: the only way to stop it
            (5, 0, true, .failed),      // a started guest gone for unknown reasons
            (5, 4, true, nil),          // migrated: says nothing
            (6, 1, true, .failed),      // crashed (preserved)
            (3, 10, true, .failed),     // paused because it crashed
            (3, 1, true, .running),     // paused by the user
            (1, 1, true, .running),
            (4, 1, true, .running),     // shutting down
        ]
        for (state, reason, acpi, want) in table {
            let s = DomainStatus.from(state: state, reason: reason)
            XCTAssertEqual(s.vmiPhase(acpi: acpi), want, "state \(state) reason \(reason) (\(s.state) \(s.reason)) acpi \(acpi)")
        }
        XCTAssertTrue(DomainStatus.from(state: 5, reason: 3).endDescription.contains("crashed"))
        XCTAssertTrue(DomainStatus.from(state: 5, reason: 1).endDescription.contains("powered itself off"))
    }

    func vmi(devices: JSONValue) -> JSONValue {
        ["metadata": ["name": "p", "namespace": "ns", "uid": "5d1c3f0a-8e52-4b57-9a53-2f1b7c3e9d10"],
         "spec": ["domain": ["devices": devices, "memory": ["guest": "64Mi"]]]]
    }

    func panics(_ devices: JSONValue, _ mode: EmulationMode) throws -> (models: [String], notes: [String]) {
        let spec = try DomainConverter.convert(vmi: vmi(devices: devices), context: ConverterContext(emulation: mode, tapDevices: ["default": "tap0"]))
        let models = spec.devices.filter { $0.name == "panic" }.map { el in el.attributes.first { $0.0 == "model" }?.1 ?? "" }
        return (models, spec.notes)
    }

    func testEveryDomainGetsAPanicDeviceAndDestroysOnCrash() throws {
        XCTAssertEqual(try panics([:], .tcg).models, ["isa"])
        let xml = try DomainConverter.convert(vmi: vmi(devices: [:]), context: ConverterContext(emulation: .tcg, tapDevices: ["default": "tap0"])).xml()
        XCTAssertTrue(xml.contains("<on_crash>destroy</on_crash>"))
        XCTAssertTrue(xml.contains("<panic model='isa'/>"))
    }

    func testPanicDevicesFollowTheSpec() throws {
        XCTAssertEqual(try panics(["panicDevices": [["model": "hyperv"]]], .kvm).models, ["hyperv"])
        let tcg = try panics(["panicDevices": [["model": "hyperv"], ["model": "isa"]]], .tcg)
        XCTAssertEqual(tcg.models, ["isa"])
        XCTAssertTrue(tcg.notes.contains { $0.hasPrefix("spec.domain.devices.panicDevices[0].model:") }, "\(tcg.notes)")
        XCTAssertEqual(try panics(["panicDevices": [[:]]], .kvm).models, ["isa"])
        XCTAssertThrowsError(try panics(["panicDevices": [["model": "s390"]]], .kvm)) { e in
            XCTAssertEqual((e as? DomainConversionError)?.field, "spec.domain.devices.panicDevices[0].model")
        }
    }

    func testDomainUUIDIsReadFromTheDocument() throws {
        let xml = try DomainConverter.convert(vmi: vmi(devices: [:]), context: ConverterContext(emulation: .tcg, tapDevices: ["default": "tap0"])).xml()
        XCTAssertEqual(MetadataParser.value(of: "uuid", in: xml), "5d1c3f0a-8e52-4b57-9a53-2f1b7c3e9d10")
    }
}
