import CorralContainers
import Foundation
import Logging

/// DHCP for VM guests on the pod bridge: one dnsmasq (DHCP only, no DNS)
/// bound to the bridge, with one static lease per VM (MAC → the launcher
/// pod's IP). Hosts are rewritten and dnsmasq re-reads them on SIGHUP.
final class VMDHCP: @unchecked Sendable {
    let directory: String
    let bridge: String
    let gateway: String
    let dns: String
    let logger: Logger
    private let lock = NSLock()
    private var hosts: [String: (mac: String, ip: String, name: String)] = [:]
    private var pid: Int32 = 0

    init(directory: String, bridge: String, gateway: String, dns: String, logger: Logger) {
        self.directory = directory
        self.bridge = bridge
        self.gateway = gateway
        self.dns = dns
        self.logger = logger
    }

    var hostsFile: String { directory + "/dhcp-hosts" }
    var pidFile: String { directory + "/dnsmasq.pid" }

    /// Adds or replaces a lease and makes dnsmasq see it (starting it on first use).
    func set(owner: String, mac: String, ip: String, hostname: String) throws {
        try lock.withLock {
            hosts[owner] = (mac, ip, hostname)
            try writeHosts()
            try ensureRunning()
            kill(pid, SIGHUP)
        }
    }

    func remove(owner: String) {
        lock.withLock {
            guard hosts.removeValue(forKey: owner) != nil else { return }
            try? writeHosts()
            if pid > 0 { kill(pid, SIGHUP) }
        }
    }

    private func writeHosts() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = hosts.values.sorted { $0.ip < $1.ip }.map { "\($0.mac),\($0.ip),\($0.name),infinite" }.joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: hostsFile), options: .atomic)
    }

    private func ensureRunning() throws {
        if pid > 0 && kill(pid, 0) == 0 { return }
        // A dnsmasq left by a previous daemon run is replaced (it holds the old hosts).
        if let old = try? String(contentsOfFile: pidFile, encoding: .utf8), let p = Int32(old.trimmingCharacters(in: .whitespacesAndNewlines)), p > 0,
           (try? String(contentsOfFile: "/proc/\(p)/comm", encoding: .utf8))?.hasPrefix("dnsmasq") == true {
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
        usleep(200_000)
        logger.info("dhcp for VMs", metadata: ["pid": .stringConvertible(pid), "bridge": .string(bridge)])
    }

    private func network() -> String {
        let parts = gateway.split(separator: ".")
        return parts.count == 4 ? "\(parts[0]).\(parts[1]).0.0" : gateway
    }
}

/// Failures of the VM side of the node agent, in words for events.
enum VMError: Error, CustomStringConvertible {
    case missingTool(String)
    case volume(String)
    case image(String)
    var description: String {
        switch self {
        case .missingTool(let m), .volume(let m), .image(let m): return m
        }
    }
}
