import Foundation
import XCTest
import CorralModel
@testable import CorralVirt

/// EFI guests need OVMF on the host: a missing file fails conversion at the efi field, naming it.
final class FirmwareCheckTests: XCTestCase {
    let ovmf = OVMFPaths.debian

    func vmi(firmware: JSONValue, smm: Bool? = nil) -> JSONValue {
        var domain: JSONValue = ["devices": [:], "memory": ["guest": "64Mi"], "firmware": firmware]
        if let smm { domain["features"] = ["smm": ["enabled": .bool(smm)]] }
        return ["metadata": ["name": "efi", "namespace": "ns", "uid": "5d1c3f0a-8e52-4b57-9a53-2f1b7c3e9d10"],
                "spec": ["domain": domain, "volumes": []]]
    }

    func convert(_ v: JSONValue, existing: Set<String>?) throws -> String {
        let ctx = ConverterContext(emulation: .tcg, tapDevices: ["default": "tap0"], hostCPUCount: 2, nvramPath: "/vms/u/nvram.fd", existingFirmware: existing)
        return try DomainConverter.convert(vmi: v, context: ctx).xml()
    }

    func conversionError(_ v: JSONValue, existing: Set<String>?) -> DomainConversionError? {
        do { _ = try convert(v, existing: existing); return nil } catch let e as DomainConversionError { return e } catch {
            XCTFail("unexpected error \(error)")
            return nil
        }
    }

    func testPlainEFIWithoutCodeNamesFieldAndFile() {
        let e = conversionError(vmi(firmware: ["bootloader": ["efi": ["secureBoot": false]]]), existing: [ovmf.vars])
        XCTAssertEqual(e?.field, "spec.domain.firmware.bootloader.efi")
        XCTAssertEqual(e?.description, "spec.domain.firmware.bootloader.efi: not supported: EFI firmware is not installed on this node: "
                       + "/usr/share/OVMF/OVMF_CODE_4M.fd missing (install the Debian package ovmf)")
    }

    func testSecureBootNeedsTheSecureBootFilesNotThePlainOnes() {
        let v = vmi(firmware: ["bootloader": ["efi": [:]]], smm: true)  // secureBoot defaults to true
        let e = conversionError(v, existing: [ovmf.code, ovmf.vars])
        XCTAssertEqual(e?.field, "spec.domain.firmware.bootloader.efi")
        XCTAssertTrue(e?.description.contains("\(ovmf.secureBootCode), \(ovmf.secureBootVars) missing") == true, "\(String(describing: e))")
        XCTAssertNil(conversionError(v, existing: [ovmf.secureBootCode, ovmf.secureBootVars]))
    }

    func testPresentFirmwareConvertsWithPerVMNvram() throws {
        let xml = try convert(vmi(firmware: ["bootloader": ["efi": ["secureBoot": false]]]), existing: Set(ovmf.allFiles))
        XCTAssertTrue(xml.contains("<loader readonly='yes' secure='no' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"), xml)
        XCTAssertTrue(xml.contains("<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>/vms/u/nvram.fd</nvram>"), xml)
    }

    func testUnprobedHostAndBIOSGuestsAreNotChecked() {
        XCTAssertNil(conversionError(vmi(firmware: ["bootloader": ["efi": ["secureBoot": false]]]), existing: nil))
        XCTAssertNil(conversionError(vmi(firmware: ["bootloader": ["bios": [:]]]), existing: []))
    }

    func testExistingFilesKeepsOnlyWhatTheProbeFinds() {
        let found = ovmf.existingFiles { $0.hasSuffix("_4M.fd") }
        XCTAssertEqual(found, [ovmf.code, ovmf.vars])
    }

    /// Where Debian's ovmf is installed, the default paths must be the files it ships.
    func testDebianPathsMatchTheInstalledPackage() throws {
        guard FileManager.default.fileExists(atPath: "/usr/share/doc/ovmf") else {
            throw XCTSkip("Debian package ovmf is not installed on this host")
        }
        let missing = ovmf.allFiles.filter { !FileManager.default.fileExists(atPath: $0) }
        XCTAssertEqual(missing, [], "OVMFPaths.debian names files the installed ovmf does not ship")
    }
}
