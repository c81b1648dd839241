extension OVMFPaths {
    /// Every firmware file these paths name (plain and secure-boot code and variable templates).
    public var allFiles: [String] { [code, vars, secureBootCode, secureBootVars] }

    /// The files among `allFiles` that exist per `fileExists`: the node agent probes the host
    /// with this and hands the set to the converter as `ConverterContext.existingFirmware`.
    public func existingFiles(_ fileExists: (String) -> Bool) -> Set<String> {
        Set(allFiles.filter(fileExists))
    }

    /// The loader (`code`) and variable-store template (`vars`) an EFI guest boots with.
    func files(secureBoot: Bool) -> (code: String, vars: String) {
        secureBoot ? (secureBootCode, secureBootVars) : (code, vars)
    }
}

/// Refuses an EFI guest whose firmware files are not on the host, naming the VMI field and the
/// missing files; otherwise QEMU fails later with an error that reads like a transient fault.
enum FirmwareCheck {
    /// Throws `.unsupported` at `efi`'s path when `existing` (nil: not probed) lacks one of `files`.
    static func require(_ files: [String], existing: Set<String>?, at efi: SpecNode) throws {
        guard let existing else { return }
        let missing = files.filter { !existing.contains($0) }
        guard !missing.isEmpty else { return }
        let list = missing.joined(separator: ", ")
        throw DomainConversionError.unsupported(
            field: efi.path,
            message: "EFI firmware is not installed on this node: \(list) missing (install the Debian package ovmf)")
    }
}
