import CorralContainers
import Foundation
import Logging

/// DHCP for VM guests on the pod bridge: one dnsmasq (DHCP only, no DNS)
/// bound to the bridge, with one static lease per VM (MAC → the launcher
/// pod's IP). Hosts are rewritten and dnsmasq re-reads them on SIGHUP.
///
/// Lifetime: a clean daemon exit (SIGTERM → `exit`) stops dnsmasq; a killed daemon
/// (kill -9, crash) leaves it serving, and the next run adopts it from its pid file
/// (same hosts file) instead of starting another. Leases are infinite, so guests keep
/// their address while it is down; re-adopted VMs register their lease again.
final class VMDHCP: @unchecked Sendable {
    let directory: String
    let bridge: String
    let gateway: String
    let dns: String
    let logger: Logger
    private let lock = NSLock()
    private var hosts: [String: (mac: String, ip: String, name: String)] = [:]
    private var pid: Int32 = 0
    /// True when `pid` is our child (reaped with waitpid), false for an adopted dnsmasq.
    private var isChild = false

    init(directory: String, bridge: String, gateway: String, dns: String, logger: Logger) {
        self.directory = directory
        self.bridge = bridge
        self.gateway = gateway
        self.dns = dns
        self.logger = logger
        CleanExit.register { [self] in self.stop() }  // a kill -9 leaves dnsmasq for the next run
    }

    var hostsFile: String { directory + "/dhcp-hosts" }
    var pidFile: String { directory + "/dnsmasq.pid" }

    /// Adds or replaces a lease and makes dnsmasq see it (starting or adopting it on first use).
    /// Cheap when the lease is already registered and dnsmasq runs, so workers may call it often.
    func set(owner: String, mac: String, ip: String, hostname: String) throws {
        try lock.withLock {
            if let h = hosts[owner], h == (mac, ip, hostname), alive() { return }
            hosts[owner] = (mac, ip, hostname)
            try writeHosts()
            try ensureRunning()
            kill(pid, SIGHUP)
        }
    }

    /// Starts dnsmasq again when it has exited while guests still hold leases (it was
    /// killed, or died), so a guest renewing or rebooting still gets its address.
    func keepServing() throws {
        try lock.withLock {
            guard !hosts.isEmpty, pid > 0, !alive() else { return }
            logger.warning("dhcp for VMs had exited; starting it again", metadata: ["pid": .stringConvertible(pid)])
            try writeHosts()
            try ensureRunning()
        }
    }

    func remove(owner: String) {
        lock.withLock {
            guard hosts.removeValue(forKey: owner) != nil else { return }
            try? writeHosts()
            if pid > 0 { kill(pid, SIGHUP) }
        }
    }

    /// The dnsmasq serving now, if any (for tests and logs).
    var runningPID: Int32? { lock.withLock { alive() ? pid : nil } }

    /// Stops dnsmasq (the daemon is exiting cleanly) and waits briefly for it.
    func stop() {
        lock.withLock {
            guard pid > 0 else { return }
            kill(pid, SIGTERM)
            for _ in 0..<50 where alive() { usleep(20_000) }
            if alive() { kill(pid, SIGKILL) }
            if isChild { var st: Int32 = 0; _ = waitpid(pid, &st, WNOHANG) }
            logger.info("dhcp for VMs stopped", metadata: ["pid": .stringConvertible(pid)])
            pid = 0
            try? FileManager.default.removeItem(atPath: pidFile)
        }
    }

    private func writeHosts() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let leases = (try? String(contentsOfFile: directory + "/leases", encoding: .utf8)) ?? ""
        let text = Self.hostsLines(hosts.values.map { ($0.mac, $0.ip, $0.name) }, leases: leases).joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: hostsFile), options: .atomic)
    }

    /// dnsmasq `dhcp-hostsfile` lines, one per guest. IPs are reused: when dnsmasq's lease
    /// database (`EXPIRY MAC IP NAME CLIENTID` lines) still holds a guest's IP for another
    /// (deleted) guest's MAC, dnsmasq refuses the configured address ("not using configured
    /// address … because it is leased to …") until that infinite lease ends, i.e. never.
    /// Listing the old MAC in the same entry lets dnsmasq hand the lease over.
    static func hostsLines(_ hosts: [(mac: String, ip: String, name: String)], leases: String) -> [String] {
        var holders: [String: [String]] = [:]
        for line in leases.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 3 else { continue }
            holders[String(f[2]), default: []].append(f[1].lowercased())
        }
        return hosts.sorted { $0.ip < $1.ip }.map { h in
            let stale = (holders[h.ip] ?? []).filter { $0 != h.mac.lowercased() }
            return ([h.mac] + stale + [h.ip, h.name, "infinite"]).joined(separator: ",")
        }
    }

    /// Whether `pid` still runs (a dead child is reaped, so it does not linger as a zombie).
    private func alive() -> Bool {
        guard pid > 0 else { return false }
        if isChild {
            var st: Int32 = 0
            return waitpid(pid, &st, WNOHANG) == 0
        }
        return kill(pid, 0) == 0 && Self.isDnsmasq(pid)
    }

    private static func isDnsmasq(_ p: Int32) -> Bool {
        (try? String(contentsOfFile: "/proc/\(p)/comm", encoding: .utf8))?.hasPrefix("dnsmasq") == true
    }

    /// argv of a process, NUL-separated in /proc.
    private static func cmdline(_ p: Int32) -> [String] {
        guard let d = FileManager.default.contents(atPath: "/proc/\(p)/cmdline") else { return [] }
        return d.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    private func ensureRunning() throws {
        if alive() { return }
        pid = 0
        // A dnsmasq left by a killed daemon: adopt it when it serves our hosts file on our
        // bridge (it re-reads the hosts on SIGHUP), else replace it.
        if let old = try? String(contentsOfFile: pidFile, encoding: .utf8), let p = Int32(old.trimmingCharacters(in: .whitespacesAndNewlines)), p > 0,
           kill(p, 0) == 0, Self.isDnsmasq(p) {
            let args = Self.cmdline(p)
            if args.contains("--dhcp-hostsfile=\(hostsFile)") && args.contains("--interface=\(bridge)") {
                pid = p
                isChild = false
                logger.info("dhcp for VMs adopted", metadata: ["pid": .stringConvertible(p)])
                return
            }
            kill(p, SIGTERM)
            usleep(100_000)
        }
        guard let exe = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw VMError.missingTool("dnsmasq (Debian package dnsmasq-base) is needed to give VMs their address by DHCP")
        }
        let args = ["--conf-file=/dev/null", "--port=0", "--interface=\(bridge)", "--bind-interfaces", "--except-interface=lo",
                    "--dhcp-range=\(network()),static,255.255.0.0,infinite", "--dhcp-hostsfile=\(hostsFile)",
                    "--dhcp-option=3,\(gateway)", "--dhcp-option=6,\(dns)", "--dhcp-leasefile=\(directory)/leases",
                    "--pid-file=\(pidFile)", "--keep-in-foreground", "--log-facility=\(directory)/dnsmasq.log"]
        // posix_spawn with a clean signal mask (Foundation's Process would pass on our blocked signals).
        let devnull = open("/dev/null", O_RDWR | O_CLOEXEC)
        defer { close(devnull) }
        pid = try ChildProcess.spawn(path: exe, args: [exe] + args, env: ChildProcess.defaultEnv,
                                     fds: [.init(source: devnull, target: 0), .init(source: devnull, target: 1), .init(source: devnull, target: 2)],
                                     newSession: true)
        isChild = true
        usleep(200_000)
        logger.info("dhcp for VMs", metadata: ["pid": .stringConvertible(pid), "bridge": .string(bridge)])
    }

    private func network() -> String {
        let parts = gateway.split(separator: ".")
        return parts.count == 4 ? "\(parts[0]).\(parts[1]).0.0" : gateway
    }
}
