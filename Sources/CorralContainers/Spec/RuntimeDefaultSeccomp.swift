import CorralModel

/// Corral's RuntimeDefault seccomp profile.
///
/// Design choice: default ALLOW with an ERRNO(EPERM) denylist, not Docker's
/// default-ERRNO allowlist. An allowlist has to track every syscall any libc
/// may issue (clone3, faccessat2, epoll_pwait2, futex_waitv, …); libcs only
/// fall back to older calls on ENOSYS, so a stale allowlist breaks ordinary
/// binaries in confusing ways. The denylist below blocks what Docker's profile
/// blocks for an unprivileged container — kernel attack surface that is not
/// namespaced (keyrings, bpf, perf, kexec/modules, clock setting, mount APIs,
/// namespace creation, io_uring, NUMA policy) — and gives each group back when
/// the container is granted the capability that governs it, as Docker does.
/// busybox sh/httpd/wget/nc and normal daemons use none of these.
public enum RuntimeDefaultSeccomp {
    static let eperm: Int64 = 1
    static let enosys: Int64 = 38

    /// Syscall groups denied unless the container holds one of `caps` (empty: always denied).
    static let groups: [(caps: [String], names: [String])] = [
        ([], ["add_key", "keyctl", "request_key", "lookup_dcookie", "nfsservctl", "uselib", "ustat", "sysfs",
              "_sysctl", "vm86", "vm86old", "get_kernel_syms", "query_module", "create_module",
              "io_uring_setup", "io_uring_enter", "io_uring_register"]),
        (["CAP_SYS_ADMIN"], ["mount", "umount", "umount2", "pivot_root", "setns", "unshare", "move_mount",
                             "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
                             "quotactl", "quotactl_fd", "swapon", "swapoff", "fanotify_init", "name_to_handle_at"]),
        (["CAP_SYS_ADMIN", "CAP_BPF"], ["bpf"]),
        (["CAP_SYS_ADMIN", "CAP_PERFMON"], ["perf_event_open"]),
        (["CAP_SYS_MODULE"], ["init_module", "finit_module", "delete_module"]),
        (["CAP_SYS_BOOT"], ["reboot", "kexec_load", "kexec_file_load"]),
        (["CAP_SYS_TIME"], ["settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime", "clock_adjtime64"]),
        (["CAP_SYS_PACCT"], ["acct"]),
        (["CAP_SYS_RAWIO"], ["iopl", "ioperm"]),
        (["CAP_SYSLOG"], ["syslog"]),
        (["CAP_SYS_TTY_CONFIG"], ["vhangup"]),
        (["CAP_DAC_READ_SEARCH"], ["open_by_handle_at"]),
        (["CAP_SYS_PTRACE"], ["kcmp", "userfaultfd"]),
        (["CAP_SYS_NICE"], ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node", "move_pages", "migrate_pages"]),
    ]

    /// CLONE_NEW* flags: clone() creating a namespace is refused without CAP_SYS_ADMIN.
    static let cloneNamespaceFlags: [Int64] = [0x0002_0000, 0x0200_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000]

    /// The OCI `linux.seccomp` object for a container holding `caps` on `arch`.
    public static func profile(caps: [String], arch: String) -> JSONValue {
        var syscalls: [JSONValue] = []
        var denied: [JSONValue] = []
        for g in groups where g.caps.isEmpty || !g.caps.contains(where: caps.contains) {
            denied += g.names.map { .string($0) }
        }
        syscalls.append(["names": .array(denied), "action": "SCMP_ACT_ERRNO", "errnoRet": .int(eperm)])
        if !caps.contains("CAP_SYS_ADMIN") {
            // clone3 passes flags in memory seccomp cannot read: ENOSYS makes libcs fall back to clone().
            syscalls.append(["names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": .int(enosys)])
            for flag in cloneNamespaceFlags {
                syscalls.append(["names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": .int(eperm),
                                 "args": [["index": 0, "value": .int(flag), "valueTwo": .int(flag), "op": "SCMP_CMP_MASKED_EQ"]]])
            }
        }
        return ["defaultAction": "SCMP_ACT_ALLOW", "architectures": .array(architectures(arch).map { .string($0) }),
                "syscalls": .array(syscalls)]
    }

    /// libseccomp architectures for a Go-style arch name (native plus compat ABIs).
    public static func architectures(_ arch: String) -> [String] {
        switch arch {
        case "amd64", "x86_64": return ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        case "arm64", "aarch64": return ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
        case "ppc64le": return ["SCMP_ARCH_PPC64LE"]
        case "s390x": return ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"]
        case "riscv64": return ["SCMP_ARCH_RISCV64"]
        default: return []
        }
    }
}
