import Foundation
import XCTest
import CorralModel
@testable import CorralVirt

/// VMI → domain XML golden tests. Each case pairs a VMI from Golden/ with host facts.
final class DomainGoldenTests: XCTestCase {
    static let cases: [(String, ConverterContext)] = [
        ("minimal-containerdisk", ConverterContext(
            emulation: .tcg,
            volumes: [
                "containerdisk": ResolvedVolume(path: "/var/lib/corral/vms/default/testvmi/containerdisk.qcow2", format: .qcow2),
                "cloudinitdisk": ResolvedVolume(path: "/var/lib/corral/vms/default/testvmi/cloudinit-nocloud.iso", format: .raw),
            ],
            tapDevices: ["default": "tap5d1c3f0a"], macAddresses: ["default": "02:42:0a:2a:00:07"], interfaceMTU: 1500,
            serialLogPath: "/var/log/corral/vms/default_testvmi/serial0.log",
            vncSocketPath: "/run/corral/vms/default_testvmi/vnc.sock", hostCPUCount: 2)),
        ("kernelboot", ConverterContext(
            emulation: .tcg, kernelPath: "/var/lib/corral/vms/lab/kernel-boot/vmlinuz",
            initrdPath: "/var/lib/corral/vms/lab/kernel-boot/initramfs.cpio.gz",
            tapDevices: ["default": "tap0b8a4e7c"], serialLogPath: "/var/log/corral/vms/lab_kernel-boot/serial0.log", hostCPUCount: 2)),
        ("efi-secureboot", ConverterContext(
            emulation: .kvm, volumes: ["root": ResolvedVolume(path: "/var/lib/corral/pv/win-root/disk.img", format: .raw)],
            tapDevices: ["default": "tapa3c9e2d4"], hostCPUCount: 2,
            nvramPath: "/var/lib/corral/vms/uefi-ns/efi/OVMF_VARS.fd")),
        ("multi-disk", ConverterContext(
            emulation: .tcg,
            volumes: [
                "root": ResolvedVolume(path: "/vms/root.qcow2", format: .qcow2),
                "installer": ResolvedVolume(path: "/pv/iso/disk.img", format: .raw),
                "data": ResolvedVolume(path: "/dev/vg0/data", format: .raw, isBlockDevice: true),
                "usbstick": ResolvedVolume(path: "/srv/usb.img", format: .raw),
                "scratch": ResolvedVolume(path: "/vms/scratch.qcow2", format: .qcow2),
                "config": ResolvedVolume(path: "/vms/configmap-config.iso", format: .raw),
                "shared": ResolvedVolume(path: "/pv/shared-dv/disk.img", format: .raw),
                "sa": ResolvedVolume(path: "/vms/serviceaccount.iso", format: .raw),
            ], hostCPUCount: 2)),
        ("bridge-masquerade", ConverterContext(
            emulation: .kvm, volumes: ["root": ResolvedVolume(path: "/vms/web/root.qcow2", format: .qcow2)],
            tapDevices: ["default": "tap11111111", "backend": "tap11111111b"], macAddresses: ["backend": "02:00:00:00:00:02"],
            serialLogPath: "/var/log/corral/web.log", vncSocketPath: "/run/corral/web-vnc.sock", hostCPUCount: 2)),
        ("resources", ConverterContext(
            emulation: .kvm, volumes: ["root": ResolvedVolume(path: "/vms/big/root.qcow2", format: .qcow2)],
            tapDevices: ["default": "tap9e8d7c6b"], hostCPUCount: 2)),
    ]

    func testGoldenDomains() throws {
        for (name, context) in Self.cases {
            let spec = try DomainConverter.convert(vmi: try Golden.vmi(name), context: context)
            try Golden.check(spec.xml(), file: name + ".xml")
            try Golden.check(spec.notes.joined(separator: "\n") + "\n", file: name + ".notes")
        }
    }

    /// Every golden must be a valid libvirt domain per libvirt's own RelaxNG schema.
    func testGoldensPassLibvirtSchema() throws {
        let validator = "/usr/bin/virt-xml-validate"
        guard FileManager.default.isExecutableFile(atPath: validator) else {
            XCTFail("virt-xml-validate missing: apt-get install -y --no-install-recommends libvirt-clients")
            return
        }
        for (name, _) in Self.cases {
            let path = Golden.directory.appendingPathComponent(name + ".xml").path
            let (status, output) = try runTool(validator, [path, "domain"])
            XCTAssertEqual(status, 0, "\(name).xml rejected by libvirt's schema:\n\(output)")
        }
    }

    func testConversionIsDeterministic() throws {
        let (name, context) = Self.cases[4]
        let vmi = try Golden.vmi(name)
        XCTAssertEqual(try DomainConverter.convert(vmi: vmi, context: context).xml(),
                       try DomainConverter.convert(vmi: vmi, context: context).xml())
    }
}

/// Converter speed: one VMI must convert in well under a millisecond-scale budget.
final class ConverterTimingTests: XCTestCase {
    func testConversionTime() throws {
        let (name, context) = DomainGoldenTests.cases[3]  // multi-disk: the largest golden
        let vmi = try Golden.vmi(name)
        let n = 200
        let start = Date()
        for _ in 0..<n { _ = try DomainConverter.convert(vmi: vmi, context: context).xml() }
        let each = Date().timeIntervalSince(start) / Double(n)
        FileHandle.standardError.write(Data(String(format: "convert+render %@: %.1f µs per VMI (debug build)\n", name, each * 1e6).utf8))
        XCTAssertLessThan(each, 0.05)
    }
}
