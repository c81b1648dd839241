import CorralModel

/// The `mounts` of a container spec: the system filesystems containerd gives
/// every container, the pod's /etc files, the termination log, then volumes
/// (parents before children, so a volume inside another stays visible).
enum MountsConfigurator {
    static func mounts(_ input: ContainerSpecInput) -> [JSONValue] {
        let privileged = input.privileged
        let sysOpts: [JSONValue] = privileged ? ["nosuid", "noexec", "nodev"] : ["nosuid", "noexec", "nodev", "ro"]
        var out: [JSONValue] = [
            mount("/proc", "proc", "proc", ["nosuid", "noexec", "nodev"]),
            mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
            mount("/sys", "sysfs", "sysfs", .array(sysOpts)),
            mount("/sys/fs/cgroup", "cgroup", "cgroup", privileged ? ["nosuid", "noexec", "nodev", "relatime"]
                : ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        ]
        if let shm = input.shmPath {
            out.append(bind("/dev/shm", shm, readOnly: false, propagation: .none))
        } else {
            out.append(mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]))
        }
        let volumeTargets = Set(input.mounts.map { clean($0.containerPath) })
        let roRoot = input.security("readOnlyRootFilesystem")?.boolValue == true
        // The pod's /etc files follow a read-only root (as in containerd), unless a volume replaces them.
        for (target, host) in [("/etc/hostname", input.hostnamePath), ("/etc/hosts", input.hostsPath), ("/etc/resolv.conf", input.resolvConfPath)] {
            guard let host, !volumeTargets.contains(target) else { continue }
            out.append(bind(target, host, readOnly: roRoot, propagation: .none))
        }
        if let term = input.terminationMessagePath {
            let target = input.container["terminationMessagePath"]?.stringValue ?? "/dev/termination-log"
            if !volumeTargets.contains(clean(target)) { out.append(bind(target, term, readOnly: false, propagation: .none)) }
        }
        // Stable sort by depth: containerd's orderedMounts.
        let volumes = input.mounts.enumerated().sorted { a, b in
            let da = depth(a.element.containerPath), db = depth(b.element.containerPath)
            return da != db ? da < db : a.offset < b.offset
        }
        for (_, m) in volumes {
            out.append(bind(m.containerPath, m.hostPath, readOnly: m.readOnly, propagation: m.propagation))
        }
        return out
    }

    /// `linux.rootfsPropagation` needed by the volumes' propagation modes, if any.
    static func rootPropagation(_ mounts: [ResolvedMount]) -> String? {
        if mounts.contains(where: { $0.propagation == .bidirectional }) { return "rshared" }
        if mounts.contains(where: { $0.propagation == .hostToContainer }) { return "rslave" }
        return nil
    }

    static func mount(_ dest: String, _ type: String, _ source: String, _ options: JSONValue) -> JSONValue {
        ["destination": .string(dest), "type": .string(type), "source": .string(source), "options": options]
    }

    static func bind(_ dest: String, _ source: String, readOnly: Bool, propagation: MountPropagation) -> JSONValue {
        let prop: JSONValue
        switch propagation {
        case .none: prop = "rprivate"
        case .hostToContainer: prop = "rslave"
        case .bidirectional: prop = "rshared"
        }
        return mount(dest, "bind", source, ["rbind", prop, readOnly ? "ro" : "rw"])
    }

    static func clean(_ p: String) -> String {
        "/" + p.split(separator: "/").joined(separator: "/")
    }

    static func depth(_ p: String) -> Int { p.split(separator: "/").count }
}
