import Foundation

/// Settings of the node agent, from corrald's flags and config file.
public struct NodeAgentConfig: Sendable {
    public var dataDir: String
    public var nodeName: String
    /// The node's own address, reported as hostIP.
    public var hostIP: String
    public var podCIDR = "10.42.0.0/16"
    public var podGateway = "10.42.0.1"
    public var bridge = "corral0"
    public var clusterDNS = "10.43.0.10"
    public var clusterDomain = "cluster.local"
    /// "auto", "runc" or "crun".
    public var ociRuntime = "auto"
    /// "auto", "kvm" or "tcg".
    public var emulation = "auto"
    /// How often running pods are checked for exits, probes and back-off expiry.
    public var syncInterval: TimeInterval = 1

    public init(dataDir: String, nodeName: String, hostIP: String) {
        self.dataDir = dataDir
        self.nodeName = nodeName
        self.hostIP = hostIP
    }

    var podsDir: String { dataDir + "/pods" }
    var containersDir: String { dataDir + "/containers" }
    var imagesDir: String { dataDir + "/images" }
    var runcRoot: String { dataDir + "/runc" }
    /// conmon's state (exit files, attach sockets) lives under /run: socket paths
    /// must stay under 108 bytes whatever the data dir is. Keyed by the data dir
    /// so a restarted daemon finds it again.
    var runtimeStateDir: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in dataDir.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return "/run/corral-" + String(h, radix: 16)
    }
}
