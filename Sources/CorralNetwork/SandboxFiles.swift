/// An extra /etc/hosts line (Kubernetes `spec.hostAliases[]`).
public struct HostAlias: Equatable, Sendable {
    public var ip: String
    public var hostnames: [String]
    public init(ip: String, hostnames: [String]) { self.ip = ip; self.hostnames = hostnames }
}

/// Resolver settings for a pod's /etc/resolv.conf.
public struct DNSSettings: Equatable, Sendable {
    public var nameservers: [String]
    public var searches: [String]
    /// "name" or "name:value" entries, e.g. "ndots:5".
    public var options: [String]

    public init(nameservers: [String] = [], searches: [String] = [], options: [String] = []) {
        self.nameservers = nameservers; self.searches = searches; self.options = options
    }

    /// dnsPolicy ClusterFirst: the cluster DNS server, NS.svc.DOMAIN svc.DOMAIN DOMAIN (then the
    /// node's own search domains), ndots:5.
    public static func clusterFirst(namespace: String, clusterDNS: String = NetworkDefaults.clusterDNS,
                                    clusterDomain: String = NetworkDefaults.clusterDomain,
                                    hostSearches: [String] = []) -> DNSSettings {
        let searches = ["\(namespace).svc.\(clusterDomain)", "svc.\(clusterDomain)", clusterDomain] + hostSearches
        return DNSSettings(nameservers: [clusterDNS], searches: unique(searches), options: ["ndots:5"])
    }

    /// Adds a pod's `spec.dnsConfig` as the kubelet does: nameservers and searches appended without
    /// duplicates; an option with the same name replaces the earlier one.
    public func merged(with extra: DNSSettings) -> DNSSettings {
        var opts = options
        for o in extra.options {
            let name = o.split(separator: ":", maxSplits: 1).first.map(String.init) ?? o
            if let i = opts.firstIndex(where: { ($0.split(separator: ":", maxSplits: 1).first.map(String.init) ?? $0) == name }) {
                opts[i] = o
            } else {
                opts.append(o)
            }
        }
        return DNSSettings(nameservers: DNSSettings.unique(nameservers + extra.nameservers),
                           searches: DNSSettings.unique(searches + extra.searches), options: opts)
    }

    static func unique(_ xs: [String]) -> [String] {
        var seen = Set<String>()
        return xs.filter { seen.insert($0).inserted }
    }
}

/// Pure renderers of the per-pod files the kubelet manages: /etc/hosts, /etc/resolv.conf, /etc/hostname.
public enum SandboxFiles {
    /// /etc/hosts in the kubelet's format: header, localhost lines, "IP\tHOST" per pod IP
    /// ("IP\tHOST.SUBDOMAIN.NS.svc.DOMAIN\tHOST" when `fqdn` is given), then host aliases.
    public static func hosts(podIPs: [String], hostname: String, fqdn: String? = nil, hostAliases: [HostAlias] = []) -> String {
        var s = "# Kubernetes-managed hosts file.\n"
        s += "127.0.0.1\tlocalhost\n"
        s += "::1\tlocalhost ip6-localhost ip6-loopback\n"
        s += "fe00::0\tip6-localnet\n"
        s += "fe00::0\tip6-mcastprefix\n"
        s += "fe00::1\tip6-allnodes\n"
        s += "fe00::2\tip6-allrouters\n"
        for ip in podIPs {
            s += fqdn.map { "\(ip)\t\($0)\t\(hostname)\n" } ?? "\(ip)\t\(hostname)\n"
        }
        if !hostAliases.isEmpty {
            s += "\n# Entries added by HostAliases.\n"
            for a in hostAliases { s += "\(a.ip)\t\(a.hostnames.joined(separator: "\t"))\n" }
        }
        return s
    }

    /// /etc/resolv.conf as container runtimes write it: search, nameserver lines, options.
    public static func resolvConf(_ dns: DNSSettings) -> String {
        var s = ""
        if !dns.searches.isEmpty { s += "search \(dns.searches.joined(separator: " "))\n" }
        for n in dns.nameservers { s += "nameserver \(n)\n" }
        if !dns.options.isEmpty { s += "options \(dns.options.joined(separator: " "))\n" }
        return s
    }

    /// /etc/hostname content.
    public static func hostnameFile(_ hostname: String) -> String { hostname + "\n" }

    /// The pod's hostname as the kubelet picks it: `spec.hostname` or the pod name, cut to 63
    /// characters with trailing '-' and '.' removed.
    public static func podHostname(podName: String, specHostname: String? = nil) -> String {
        var h = String((specHostname.flatMap { $0.isEmpty ? nil : $0 } ?? podName).prefix(63))
        while let last = h.last, last == "-" || last == "." { h.removeLast() }
        return h
    }

    /// "HOST.SUBDOMAIN.NS.svc.DOMAIN" when the pod has `spec.subdomain`, else nil.
    public static func podFQDN(hostname: String, subdomain: String?, namespace: String,
                               clusterDomain: String = NetworkDefaults.clusterDomain) -> String? {
        guard let sub = subdomain, !sub.isEmpty else { return nil }
        return "\(hostname).\(sub).\(namespace).svc.\(clusterDomain)"
    }
}
