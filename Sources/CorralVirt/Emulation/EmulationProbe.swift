import Foundation

/// The `emulation:` setting: `auto` probes the host, `kvm`/`tcg` force a mode.
public enum EmulationSetting: String, Sendable, CaseIterable {
    case auto, kvm, tcg
}

/// What the host offers for running guests, gathered once by `EmulationProbe.gatherFacts`.
public struct EmulationFacts: Sendable, Equatable {
    /// `/dev/kvm` exists.
    public var kvmDevicePresent: Bool
    /// Why opening `/dev/kvm` read-write failed, if it did.
    public var kvmOpenError: String?
    /// Result of `KVM_GET_API_VERSION` (12 on every sane kernel), when the device opened.
    public var kvmAPIVersion: Int?
    /// `KVM_CREATE_VM` succeeded (a VM file descriptor could be created and closed).
    public var kvmCreateVMWorks: Bool
    /// The nested PVM module (`kvm_pvm`) provides /dev/kvm; stock guest kernels hang under it.
    public var pvmModuleLoaded: Bool

    /// Assembles facts (tests build these directly).
    public init(kvmDevicePresent: Bool, kvmOpenError: String? = nil, kvmAPIVersion: Int? = nil,
                kvmCreateVMWorks: Bool = false, pvmModuleLoaded: Bool = false) {
        self.kvmDevicePresent = kvmDevicePresent
        self.kvmOpenError = kvmOpenError
        self.kvmAPIVersion = kvmAPIVersion
        self.kvmCreateVMWorks = kvmCreateVMWorks
        self.pvmModuleLoaded = pvmModuleLoaded
    }
}

/// The chosen mode with a sentence for events and node conditions.
public struct EmulationDecision: Sendable, Equatable {
    public var mode: EmulationMode
    public var reason: String
}

/// Decides between KVM and TCG. `decide` is pure; `gatherFacts` touches /dev/kvm and /sys.
public enum EmulationProbe {
    /// Probes the host and decides; `override` other than `.auto` wins (with a reason saying so).
    public static func detect(override: EmulationSetting = .auto) -> EmulationDecision {
        decide(facts: gatherFacts(), override: override)
    }

    /// KVM only when /dev/kvm answers the API and can create a VM and is not the PVM variant.
    public static func decide(facts: EmulationFacts, override: EmulationSetting) -> EmulationDecision {
        switch override {
        case .tcg:
            return EmulationDecision(mode: .tcg, reason: "TCG software emulation forced by configuration (emulation: tcg)")
        case .kvm:
            var reason = "KVM forced by configuration (emulation: kvm)"
            if let problem = kvmProblem(facts) { reason += "; warning: " + problem }
            return EmulationDecision(mode: .kvm, reason: reason)
        case .auto:
            if let problem = kvmProblem(facts) {
                return EmulationDecision(mode: .tcg, reason: "KVM unusable (\(problem)): running under TCG software emulation")
            }
            return EmulationDecision(mode: .kvm, reason: "KVM available (/dev/kvm, API version \(facts.kvmAPIVersion ?? 0))")
        }
    }

    private static func kvmProblem(_ f: EmulationFacts) -> String? {
        if !f.kvmDevicePresent { return "/dev/kvm does not exist" }
        if let e = f.kvmOpenError { return "cannot open /dev/kvm: \(e)" }
        if f.kvmAPIVersion != 12 { return "/dev/kvm reports API version \(f.kvmAPIVersion.map(String.init) ?? "none"), expected 12" }
        if !f.kvmCreateVMWorks { return "KVM_CREATE_VM fails" }
        // PVM passes every ioctl check above, yet stock guest kernels hang under it.
        if f.pvmModuleLoaded { return "kvm_pvm nested module" }
        return nil
    }

    /// Reads the host: opens /dev/kvm, asks its API version, creates and drops a VM, looks for kvm_pvm.
    public static func gatherFacts(devicePath: String = "/dev/kvm", sysModuleDir: String = "/sys/module") -> EmulationFacts {
        var facts = EmulationFacts(kvmDevicePresent: FileManager.default.fileExists(atPath: devicePath))
        facts.pvmModuleLoaded = FileManager.default.fileExists(atPath: sysModuleDir + "/kvm_pvm")
        guard facts.kvmDevicePresent else { return facts }
        let fd = open(devicePath, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else {
            facts.kvmOpenError = String(cString: strerror(errno))
            return facts
        }
        defer { close(fd) }
        let kvmGetAPIVersion: UInt = 0xAE00, kvmCreateVM: UInt = 0xAE01  // _IO(KVMIO, 0x00/0x01)
        let version = ioctl(fd, kvmGetAPIVersion, 0)
        facts.kvmAPIVersion = version >= 0 ? Int(version) : nil
        let vm = ioctl(fd, kvmCreateVM, 0)
        if vm >= 0 {
            facts.kvmCreateVMWorks = true
            close(vm)
        }
        return facts
    }
}
