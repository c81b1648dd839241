import CorralModel

/// Linux capability sets for a container, computed like containerd's CRI plugin.
public enum Capabilities {
    /// containerd's default set for unprivileged containers.
    public static let defaults = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// Every capability up to CAP_CHECKPOINT_RESTORE (runc skips ones the kernel lacks).
    public static let all = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
        "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
        "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
        "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// The effective set: all when privileged; otherwise defaults, then "ALL" in add/drop,
    /// then individual adds and drops (names upper-cased, `CAP_` prefixed).
    public static func effective(securityContext sc: JSONValue?) -> [String] {
        if sc?["privileged"]?.boolValue == true { return all }
        let add = (sc?[path: ["capabilities", "add"]]?.arrayValue ?? []).compactMap(\.stringValue).map(normalize)
        let drop = (sc?[path: ["capabilities", "drop"]]?.arrayValue ?? []).compactMap(\.stringValue).map(normalize)
        var caps = defaults
        if add.contains("ALL") { caps = all }
        if drop.contains("ALL") { caps = [] }
        for c in add where c != "ALL" && !caps.contains(c) { caps.append(c) }
        caps.removeAll { drop.contains($0) }
        return caps
    }

    /// "net_admin" → "CAP_NET_ADMIN"; "all" → "ALL".
    static func normalize(_ s: String) -> String {
        let u = s.uppercased()
        if u == "ALL" || u.hasPrefix("CAP_") { return u }
        return "CAP_" + u
    }
}
