/// An OCI runtime binary the driver can use.
public struct OCIRuntime: Equatable, Sendable {
    /// "runc" or "crun" (or the file name of an override).
    public var name: String
    /// Absolute path of the binary.
    public var path: String
    /// A runtime binary.
    public init(name: String, path: String) { self.name = name; self.path = path }
}

/// Picks the OCI runtime. Pure: the caller probes cgroup mode and which binaries exist.
public enum OCIRuntimeChoice {
    /// `override` (a name such as "crun" or a path) wins when available; otherwise crun where it works
    /// (it refuses hybrid cgroups), else runc.
    public static func choose(override: String?, cgroupMode: CgroupMode, available: [OCIRuntime]) throws -> OCIRuntime {
        if let o = override, !o.isEmpty {
            if let r = available.first(where: { $0.name == o || $0.path == o }) { return r }
            if o.hasPrefix("/") { return OCIRuntime(name: String(o.split(separator: "/").last ?? ""), path: o) }
            throw ContainersError.noRuntime("--oci-runtime \(o): not found (available: \(available.map(\.name).joined(separator: ", ")))")
        }
        if cgroupMode != .hybrid, let crun = available.first(where: { $0.name == "crun" }) { return crun }
        if let runc = available.first(where: { $0.name == "runc" }) { return runc }
        if cgroupMode == .hybrid, available.contains(where: { $0.name == "crun" }) {
            throw ContainersError.noRuntime("crun does not support hybrid cgroups (v1 + v2) and runc is not installed")
        }
        throw ContainersError.noRuntime("no OCI runtime found: install runc or crun")
    }
}
