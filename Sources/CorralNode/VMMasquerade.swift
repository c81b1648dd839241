import CorralContainers
import CorralModel
import CorralNetwork
import CorralVirt
import Foundation
import Logging

/// Applies `MasqueradePlan`s: KubeVirt's masquerade binding, with the VM netns
/// `corral-vm-UID` standing in for the launcher pod's network namespace. The tap
/// stays in this (corrald's = libvirtd's) namespace, on a per-VM bridge.
///
/// Each VM gets its own dnsmasq, started inside the VM netns, that leases the
/// guest address. Lifetime, like `VMDHCP`: a clean daemon exit stops them; a
/// killed daemon leaves them serving and `ensure` (re-adoption) adopts the one
/// named by the VM's pid file, or restarts it when it died.
final class VMMasquerade: @unchecked Sendable {
    let logger: Logger
    private let lock = NSLock()
    /// VMI UID → its dnsmasq: spawned by this process (`child`, reaped here) or adopted from a killed one.
    private var servers: [String: (pid: Int32, child: Bool)] = [:]

    init(logger: Logger) {
        self.logger = logger
        CleanExit.register { [self] in self.stopAll() }  // a kill -9 leaves dnsmasq for the next run
    }

    /// Where a VM's dnsmasq keeps its pid, lease and log files.
    static func directory(vmDir: String) -> String { vmDir + "/masquerade" }

    /// Builds the VM's plumbing, rules and DHCP server, or recognises what is already there
    /// (re-adoption: no step disturbs a running guest). `qemuUser` owns the tap.
    func ensure(uid: String, plan: MasqueradePlan, directory: String, qemuUser: UInt32?) throws {
        let exec = try NetOpExecutor()  // the calling thread's namespace is corrald's
        try exec.apply(plan.ops)
        let node = exec.node, tap = plan.tap
        // A tap QEMU holds open cannot be re-created (TUNSETIFF would fail): keep it, re-attach if needed.
        if let t = try node.link(named: tap.name), t.kind == "tun" {
            let bridgeIndex = try node.link(named: tap.bridge)?.index
            if t.master != bridgeIndex { try node.setMaster(tap.name, master: tap.bridge) }
            if !t.isUp { try node.setUp(tap.name) }
        } else {
            try node.createTap(tap.name, bridge: tap.bridge, owner: qemuUser)
        }
        for s in plan.sysctls { try Sysctl.set(s.key, to: s.value, netns: plan.names.netns) }
        try NFTables.apply(plan.nodeRules)
        try NFTables.apply(plan.netnsRules, netns: plan.names.netns)
        try ensureDHCP(uid: uid, plan: plan, directory: directory)
    }

    /// Whether any piece of a masquerade network exists for VMI `uid` (so teardown has work).
    func exists(uid: String, directory: String) -> Bool {
        let names = MasqueradeNames(vmiUID: uid)
        if NetworkNamespace.exists(names.netns) || FileManager.default.fileExists(atPath: MasqueradePlan.pidFile(directory: directory)) { return true }
        guard let node = try? Netlink() else { return false }
        // Not the tap: a bridge-binding VM has one of the same name.
        return [names.bridge, names.podVethHost, names.gatewayVethHost].contains { ((try? node.link(named: $0)) ?? nil) != nil }
    }

    /// Removes everything of VMI `uid`: dnsmasq (by PID), the node-side rules, the links and the
    /// netns (its own rules go with it). Tolerates missing pieces; returns what failed.
    @discardableResult
    func teardown(uid: String, directory: String) -> [String] {
        let names = MasqueradeNames(vmiUID: uid)
        var failures: [String] = []
        stopDHCP(uid: uid, directory: directory)
        do {
            if try NFTables.listTable(names.nodeTable) != nil { try NFTables.deleteTable(names.nodeTable) }
        } catch { failures.append("\(error)") }
        do {
            failures += try NetOpExecutor().applyTolerant(MasqueradePlan.teardownOps(names)).map(\.description)
        } catch { failures.append("\(error)") }
        for f in failures { logger.warning("masquerade teardown", metadata: ["vmi": .string(uid), "error": .string(f)]) }
        return failures
    }

    /// The dnsmasq serving VMI `uid`, if one runs (for logs and tests).
    func dhcpPID(uid: String, directory: String) -> Int32? {
        lock.withLock { livePID(uid: uid, pidFile: MasqueradePlan.pidFile(directory: directory)) }
    }

    // MARK: dnsmasq

    private func ensureDHCP(uid: String, plan: MasqueradePlan, directory: String) throws {
        let args = plan.dnsmasqArguments(directory: directory)
        let pidFile = MasqueradePlan.pidFile(directory: directory)
        try lock.withLock {
            if let p = livePID(uid: uid, pidFile: pidFile) {
                // Same command line: keep it (it has served this guest all along).
                if Array(Self.cmdline(p).dropFirst()) == args { return }
                terminate(p, child: servers[uid]?.child ?? false)
                servers[uid] = nil
            }
            guard let exe = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw VMError.missingTool("dnsmasq (Debian package dnsmasq-base) is needed to give masquerade VMs their address by DHCP")
            }
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: pidFile)
            let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { close(devnull) }
            // posix_spawn from a thread inside the VM netns: the child is born there.
            let pid = try NetworkNamespace.run(inNamespace: plan.names.netns) {
                try ChildProcess.spawn(path: exe, args: [exe] + args, env: ChildProcess.defaultEnv,
                                       fds: [.init(source: devnull, target: 0), .init(source: devnull, target: 1), .init(source: devnull, target: 2)],
                                       newSession: true)
            }
            servers[uid] = (pid, true)
            // dnsmasq writes its pid file once it is set up; a bad option or interface ends it at once.
            for _ in 0..<100 {
                var st: Int32 = 0
                if waitpid(pid, &st, WNOHANG) == pid {
                    servers[uid] = nil
                    let log = (try? String(contentsOfFile: directory + "/dnsmasq.log", encoding: .utf8)) ?? ""
                    throw NetworkError.command("dnsmasq for VM \(uid)", status: st, stderr: String(log.suffix(500)))
                }
                if FileManager.default.fileExists(atPath: pidFile) { break }
                usleep(20_000)
            }
            logger.info("dhcp for masquerade VM", metadata: ["vmi": .string(uid), "pid": .stringConvertible(pid), "netns": .string(plan.names.netns)])
        }
    }

    private func stopDHCP(uid: String, directory: String) {
        lock.withLock {
            if let p = livePID(uid: uid, pidFile: MasqueradePlan.pidFile(directory: directory)) { terminate(p, child: servers[uid]?.child ?? false) }
            servers[uid] = nil
        }
    }

    /// PID of the running dnsmasq of `uid`: our child if alive, else the one its pid file names
    /// (left by a killed daemon) when it still runs dnsmasq with that pid file, which is then
    /// adopted. Lock held.
    private func livePID(uid: String, pidFile: String) -> Int32? {
        if let s = servers[uid], s.child {
            var st: Int32 = 0
            if waitpid(s.pid, &st, WNOHANG) == 0 { return s.pid }
        }
        servers[uid] = nil  // a child that exited is reaped now; an adopted one is checked afresh
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let p = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), p > 0, kill(p, 0) == 0 else { return nil }
        let stat = (try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8)) ?? ""
        let state = stat.split(separator: ")").last?.split(separator: " ").first
        guard state != "Z", Self.cmdline(p).contains("--pid-file=\(pidFile)") else { return nil }
        servers[uid] = (p, false)
        return p
    }

    /// SIGTERM, a short wait, then SIGKILL; reaps it when it is our child. Lock held.
    private func terminate(_ pid: Int32, child: Bool) {
        kill(pid, SIGTERM)
        var gone = false
        for _ in 0..<50 {
            var st: Int32 = 0
            gone = child ? waitpid(pid, &st, WNOHANG) == pid : kill(pid, 0) != 0
            if gone { break }
            usleep(20_000)
        }
        if !gone {
            kill(pid, SIGKILL)
            if child { var st: Int32 = 0; _ = waitpid(pid, &st, 0) }
        }
    }

    /// argv of a process, NUL-separated in /proc.
    private static func cmdline(_ p: Int32) -> [String] {
        guard let d = FileManager.default.contents(atPath: "/proc/\(p)/cmdline") else { return [] }
        return d.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Stops every dnsmasq this process started or adopted (clean exit).
    func stopAll() {
        lock.withLock {
            for (_, s) in servers { terminate(s.pid, child: s.child) }
            servers = [:]
        }
    }
}

// MARK: VMBackend glue (the masquerade binding; the bridge binding stays in VMBackend)

extension VMBackend {
    /// The masquerade plan for `vmi` on launcher IP `podIP`, or nil when its pod interface uses
    /// another binding. DNS follows the VMI's `dnsPolicy`/`dnsConfig` as a pod's would.
    func masqueradePlan(vmi: JSONValue, podIP: String) throws -> MasqueradePlan? {
        let iface: MasqueradeInterface?
        do { iface = try MasqueradeInterface.of(vmi: vmi) } catch let e as MasqueradeSpecError { throw VMError.field(e.field, e.message) }
        guard let iface else { return nil }
        let uid = vmi[path: ["metadata", "uid"]]?.stringValue ?? ""
        let ns = vmi[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        return MasqueradePlan(vmiUID: uid, interface: iface, podIP: try IPv4Address(parsing: podIP),
                              podPrefix: try IPv4CIDR(parsing: config.podCIDR).prefix, podGateway: try IPv4Address(parsing: config.podGateway),
                              nodeBridge: config.bridge, mtu: NetworkDefaults.mtu, guestMAC: iface.macAddress ?? Self.mac(uid),
                              hostname: CloudInitMedia.hostname(vmi: vmi), dns: pods.sandboxes.dns(vmi, namespace: ns))
    }

    /// Builds (or re-adopts) the masquerade network of `plan`'s VM; the tap is owned by QEMU's user.
    func ensureMasquerade(uid: String, plan: MasqueradePlan) async throws {
        let qemuUser = getpwnam("libvirt-qemu").map { $0.pointee.pw_uid }
        let masq = masquerade, dir = VMMasquerade.directory(vmDir: vmDir(uid))
        try await Blocking.run { try masq.ensure(uid: uid, plan: plan, directory: dir, qemuUser: qemuUser) }
    }

    /// Re-adoption after an agent restart: nil when `vmi` has no masquerade interface (the
    /// bridge binding), else whether its plumbing was recognised or repaired and its dnsmasq
    /// adopted or restarted.
    func readoptMasquerade(vmi: JSONValue, podIP: String) async -> Bool? {
        let uid = vmi[path: ["metadata", "uid"]]?.stringValue ?? ""
        do {
            guard let plan = try masqueradePlan(vmi: vmi, podIP: podIP) else { return nil }
            try await ensureMasquerade(uid: uid, plan: plan)
            return true
        } catch {
            logger.warning("masquerade network for re-adopted VM", metadata: ["vmi": .string(uid), "error": .string("\(error)")])
            return false
        }
    }

    /// Removes VMI `uid`'s masquerade network, if it has one (known by UID only: any binding).
    func teardownMasquerade(uid: String) async {
        let masq = masquerade, dir = VMMasquerade.directory(vmDir: vmDir(uid))
        await Blocking.run {
            if masq.exists(uid: uid, directory: dir) { masq.teardown(uid: uid, directory: dir) }
        }
    }
}
