import CorralModel
import CorralNetwork
import Foundation
import Logging

/// Pod sandboxes on this node: IP (IPAM), network namespace with eth0 on
/// the bridge, hostname/hosts/resolv.conf, and volumes. Records under
/// DATA/pods/UID (`ip`, `netns`) let a restarted agent find and remove them.
final class PodSandboxes: @unchecked Sendable {
    let config: NodeAgentConfig
    let network: PodNetworkManager
    let allocator: IPAllocator
    let logger: Logger
    private let lock = NSLock()
    /// ip → pod UID; rebuilt from the records at start.
    private var ipam = IPAMState()
    private var hostPorts: [String: [HostPortMapping]] = [:]

    init(config: NodeAgentConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        network = try PodNetworkManager(config: PodNetworkConfig(bridge: config.bridge, podCIDR: try IPv4CIDR(parsing: config.podCIDR),
                                                                   gateway: try IPv4Address(parsing: config.podGateway)))
        allocator = try IPAllocator(cidr: config.podCIDR, gateway: config.podGateway)
        try network.setUpNode()
        for uid in knownPodUIDs() {
            if let ip = try? String(contentsOfFile: "\(podDir(uid))/ip", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !ip.isEmpty {
                try? allocator.claim(ip, owner: uid, in: &ipam)
            }
        }
    }

    func podDir(_ uid: String) -> String { "\(config.podsDir)/\(uid)" }

    /// Pod UIDs with a sandbox record on disk.
    func knownPodUIDs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: config.podsDir)) ?? []).filter { !$0.hasPrefix(".") }
    }

    /// Sets up the sandbox (idempotent): IP, netns + veth, files, volumes.
    func prepare(_ pod: JSONValue, volumes: [(name: String, source: VolumeSource)]) throws -> (SandboxInfo, [String: String]) {
        let uid = pod[path: ["metadata", "uid"]]?.stringValue ?? ""
        let ns = pod[path: ["metadata", "namespace"]]?.stringValue ?? "default"
        let name = pod[path: ["metadata", "name"]]?.stringValue ?? ""
        let dir = podDir(uid)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        // The IP is recorded before the network is built, so a crash in between cannot leak it.
        let ip: String = try lock.withLock { try allocator.allocate(owner: uid, in: &ipam) }
        try write("\(dir)/ip", ip)
        try write("\(dir)/netns", network.netnsName(podUID: uid))
        let att = try network.attach(podUID: uid, ip: ip)
        let hostname = SandboxFiles.podHostname(podName: name, specHostname: pod[path: ["spec", "hostname"]]?.stringValue)
        let fqdn = SandboxFiles.podFQDN(hostname: hostname, subdomain: pod[path: ["spec", "subdomain"]]?.stringValue, namespace: ns,
                                        clusterDomain: config.clusterDomain)
        let aliases = (pod[path: ["spec", "hostAliases"]]?.arrayValue ?? []).map {
            HostAlias(ip: $0["ip"]?.stringValue ?? "", hostnames: ($0["hostnames"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
        try write("\(dir)/hosts", SandboxFiles.hosts(podIPs: [ip], hostname: hostname, fqdn: fqdn, hostAliases: aliases))
        try write("\(dir)/hostname", SandboxFiles.hostnameFile(hostname))
        try write("\(dir)/resolv.conf", SandboxFiles.resolvConf(dns(pod, namespace: ns)))
        let paths = try VolumeMaterializer(podDir: dir, claimsDir: config.dataDir + "/volumes").materialize(volumes, namespace: ns)
        try updateHostPorts(pod, uid: uid, ip: ip)
        return (SandboxInfo(netnsName: att.netnsName, netnsPath: att.netnsPath, podIP: ip, directory: dir), paths)
    }

    /// An IP for a pod that has no network namespace of its own (a VM launcher:
    /// the guest takes the address by DHCP); recorded like any sandbox's.
    func allocateIP(uid: String) throws -> String {
        let dir = podDir(uid)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o711])
        let ip: String = try lock.withLock { try allocator.allocate(owner: uid, in: &ipam) }
        try write("\(dir)/ip", ip)
        return ip
    }

    /// DNS per dnsPolicy: ClusterFirst (default), Default (the host's), None (dnsConfig only).
    func dns(_ pod: JSONValue, namespace: String) -> DNSSettings {
        let cfg = pod[path: ["spec", "dnsConfig"]]
        let extra = DNSSettings(nameservers: (cfg?["nameservers"]?.arrayValue ?? []).compactMap(\.stringValue),
                                searches: (cfg?["searches"]?.arrayValue ?? []).compactMap(\.stringValue),
                                options: (cfg?["options"]?.arrayValue ?? []).compactMap { o in
                                    guard let n = o["name"]?.stringValue else { return nil }
                                    return o["value"]?.stringValue.map { "\(n):\($0)" } ?? n
                                })
        switch pod[path: ["spec", "dnsPolicy"]]?.stringValue ?? "ClusterFirst" {
        case "None": return extra
        case "Default": return DNSSettings().merged(with: extra)
        default:
            return DNSSettings.clusterFirst(namespace: namespace, clusterDNS: config.clusterDNS, clusterDomain: config.clusterDomain).merged(with: extra)
        }
    }

    private func updateHostPorts(_ pod: JSONValue, uid: String, ip: String) throws {
        let owner = "\(pod[path: ["metadata", "namespace"]]?.stringValue ?? "")/\(pod[path: ["metadata", "name"]]?.stringValue ?? "")"
        var mine: [HostPortMapping] = []
        for c in pod[path: ["spec", "containers"]]?.arrayValue ?? [] {
            for p in c["ports"]?.arrayValue ?? [] {
                guard let hp = p["hostPort"]?.intValue, hp > 0, let cp = p["containerPort"]?.intValue else { continue }
                mine.append(try HostPortMapping(protocol: (p["protocol"]?.stringValue ?? "TCP").lowercased(), hostIP: p["hostIP"]?.stringValue,
                                                hostPort: Int(hp), podIP: ip, podPort: Int(cp), owner: owner))
            }
        }
        let all: [HostPortMapping]? = lock.withLock {
            if mine.isEmpty && hostPorts[uid] == nil { return nil }
            hostPorts[uid] = mine.isEmpty ? nil : mine
            return hostPorts.values.flatMap { $0 }
        }
        if let all { try network.applyHostPorts(all) }
    }

    /// Removes network, volumes, records and the IP of a pod.
    func teardown(uid: String) {
        let dir = podDir(uid)
        for e in network.detach(podUID: uid) { logger.warning("network teardown", metadata: ["uid": .string(uid), "error": .string("\(e)")]) }
        let remaining: [HostPortMapping]? = lock.withLock {
            _ = allocator.release(owner: uid, in: &ipam)
            guard hostPorts.removeValue(forKey: uid) != nil else { return nil }
            return hostPorts.values.flatMap { $0 }
        }
        if let remaining { try? network.applyHostPorts(remaining) }
        VolumeMaterializer(podDir: dir, claimsDir: config.dataDir + "/volumes").removeAll()
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
