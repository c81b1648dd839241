import CorralModel

/// The `linux` section: namespaces, cgroup resources, devices, masked and
/// read-only /proc paths, sysctls, seccomp.
enum LinuxConfigurator {
    /// containerd's masked paths for unprivileged containers.
    static let maskedPaths = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                              "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                              "/sys/devices/virtual/powercap", "/proc/scsi"]
    /// containerd's read-only paths for unprivileged containers.
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    static func linux(_ input: ContainerSpecInput, caps: [String], resources r: ContainerResources) throws -> JSONValue {
        let spec = input.pod["spec"] ?? .null
        var linux: JSONValue = [:]
        linux["cgroupsPath"] = .string(input.cgroupsPath)
        linux["namespaces"] = .array(namespaces(input, spec: spec))

        var resources: JSONValue = ["devices": input.privileged ? [["allow": true, "access": "rwm"]] : [["allow": false, "access": "rwm"]]]
        if let mem = r.memoryLimit { resources["memory"] = ["limit": .int(mem)] }
        var cpu: JSONValue = ["shares": .int(r.cpuShares)]
        if let q = r.cpuQuota { cpu["quota"] = .int(q); cpu["period"] = .int(ContainerResources.cpuPeriod) }
        resources["cpu"] = cpu
        linux["resources"] = resources

        if input.privileged {
            if !input.host.devices.isEmpty {
                linux["devices"] = .array(input.host.devices.map {
                    ["path": .string($0.path), "type": .string($0.type), "major": .int($0.major), "minor": .int($0.minor),
                     "fileMode": .int($0.fileMode), "uid": .int($0.uid), "gid": .int($0.gid)]
                })
            }
        } else if input.security("procMount")?.stringValue != "Unmasked" {
            linux["maskedPaths"] = .array(maskedPaths.map { .string($0) })
            linux["readonlyPaths"] = .array(readonlyPaths.map { .string($0) })
        }
        var sysctl = JSONObject()
        for s in spec[path: ["securityContext", "sysctls"]]?.arrayValue ?? [] {
            if let n = s["name"]?.stringValue { sysctl[n] = .string(s["value"]?.stringValue ?? "") }
        }
        if !sysctl.isEmpty { linux["sysctl"] = .object(sysctl) }
        if let prop = MountsConfigurator.rootPropagation(input.mounts) { linux["rootfsPropagation"] = .string(prop) }
        let choice = SeccompPolicy.choice(pod: input.pod, container: input.container)
        if let seccomp = try SeccompPolicy.spec(choice: choice, caps: caps, arch: input.host.arch,
                                                localhostProfile: input.localhostSeccompProfile) {
            linux["seccomp"] = seccomp
        }
        return linux
    }

    /// New pid/ipc/uts/mount/network namespaces unless the pod uses the host's or the caller gives paths to join.
    static func namespaces(_ input: ContainerSpecInput, spec: JSONValue) -> [JSONValue] {
        let hostNetwork = spec["hostNetwork"]?.boolValue == true
        var out: [JSONValue] = []
        func add(_ type: String, path: String?) {
            if let path { out.append(["type": .string(type), "path": .string(path)]) } else { out.append(["type": .string(type)]) }
        }
        if spec["hostPID"]?.boolValue != true { add("pid", path: input.namespacePaths["pid"]) }
        if spec["hostIPC"]?.boolValue != true { add("ipc", path: input.namespacePaths["ipc"]) }
        if !hostNetwork { add("uts", path: input.namespacePaths["uts"]) }
        add("mount", path: nil)
        if !hostNetwork { add("network", path: input.netnsPath ?? input.namespacePaths["network"]) }
        if input.host.cgroupMode == .unified { add("cgroup", path: nil) }
        return out
    }
}
