/// How QEMU runs guests: hardware virtualization or software emulation.
public enum EmulationMode: String, Sendable, Equatable {
    case kvm, tcg

    /// The libvirt `<domain type=…>` value.
    public var domainType: String { self == .kvm ? "kvm" : "qemu" }
}

/// A volume's backing file on the host, prepared by the node agent before conversion.
public struct ResolvedVolume: Sendable, Equatable {
    /// On-disk format QEMU must be told (never probed, for safety).
    public enum Format: String, Sendable { case qcow2, raw }
    /// Absolute path of the file or block device.
    public var path: String
    public var format: Format
    /// True for a block device (`<disk type='block'>`), false for a regular file.
    public var isBlockDevice: Bool

    /// Describes a prepared volume.
    public init(path: String, format: Format, isBlockDevice: Bool = false) {
        self.path = path
        self.format = format
        self.isBlockDevice = isBlockDevice
    }
}

/// Firmware files for EFI guests (Debian's `ovmf` package by default).
public struct OVMFPaths: Sendable, Equatable {
    public var code: String
    public var vars: String
    public var secureBootCode: String
    public var secureBootVars: String

    /// Debian 12 `ovmf` 4M images (checked against ovmf 2022.11-6+deb12u2's file list); secure boot
    /// uses the SMM-requiring secboot code and the variables with Microsoft keys enrolled.
    public static let debian = OVMFPaths(
        code: "/usr/share/OVMF/OVMF_CODE_4M.fd", vars: "/usr/share/OVMF/OVMF_VARS_4M.fd",
        secureBootCode: "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", secureBootVars: "/usr/share/OVMF/OVMF_VARS_4M.ms.fd")

    /// Custom firmware locations.
    public init(code: String, vars: String, secureBootCode: String, secureBootVars: String) {
        self.code = code
        self.vars = vars
        self.secureBootCode = secureBootCode
        self.secureBootVars = secureBootVars
    }
}

/// Host facts and resolved paths the converter needs; the converter itself never
/// touches the host, so everything it cannot compute from the VMI comes in here.
public struct ConverterContext: Sendable {
    /// KVM or TCG, as decided by `EmulationProbe` (or configuration).
    public var emulation: EmulationMode
    /// Overrides the default `NAMESPACE_NAME` domain name.
    public var domainName: String?
    /// Prepared host files keyed by `spec.volumes[].name`.
    public var volumes: [String: ResolvedVolume]
    /// Host paths of the kernelBoot kernel and initrd (extracted from the image).
    public var kernelPath: String?
    public var initrdPath: String?
    /// Tap device per `spec.domain.devices.interfaces[].name`, created by the network plan.
    public var tapDevices: [String: String]
    /// MAC per interface name, used when the spec gives none (so DHCP can know it in advance).
    public var macAddresses: [String: String]
    /// MTU of the tap devices' bridge, if known.
    public var interfaceMTU: Int?
    /// File that receives the serial console output (via virtlogd).
    public var serialLogPath: String?
    /// Unix socket where QEMU serves VNC; nil means autoport on 127.0.0.1.
    public var vncSocketPath: String?
    /// Logical CPUs on the host (to flag overcommit).
    public var hostCPUCount: Int
    public var ovmf: OVMFPaths
    /// Per-VM EFI variable store; nil lets libvirt choose under /var/lib/libvirt/qemu/nvram.
    public var nvramPath: String?
    /// The `ovmf` files present on the host (`OVMFPaths.existingFiles`); nil skips the check.
    public var existingFirmware: Set<String>?

    /// Creates a context; only the emulation mode is required.
    public init(emulation: EmulationMode, domainName: String? = nil, volumes: [String: ResolvedVolume] = [:],
                kernelPath: String? = nil, initrdPath: String? = nil, tapDevices: [String: String] = [:],
                macAddresses: [String: String] = [:], interfaceMTU: Int? = nil, serialLogPath: String? = nil,
                vncSocketPath: String? = nil, hostCPUCount: Int = 1, ovmf: OVMFPaths = .debian, nvramPath: String? = nil,
                existingFirmware: Set<String>? = nil) {
        self.emulation = emulation
        self.domainName = domainName
        self.volumes = volumes
        self.kernelPath = kernelPath
        self.initrdPath = initrdPath
        self.tapDevices = tapDevices
        self.macAddresses = macAddresses
        self.interfaceMTU = interfaceMTU
        self.serialLogPath = serialLogPath
        self.vncSocketPath = vncSocketPath
        self.hostCPUCount = hostCPUCount
        self.ovmf = ovmf
        self.nvramPath = nvramPath
        self.existingFirmware = existingFirmware
    }
}
