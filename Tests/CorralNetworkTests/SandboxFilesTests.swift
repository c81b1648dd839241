import XCTest
@testable import CorralNetwork

final class SandboxFilesTests: XCTestCase {
    func testHostsFile() {
        let plain = SandboxFiles.hosts(podIPs: ["10.42.0.5"], hostname: "web-0")
        XCTAssertEqual(plain, """
        # Kubernetes-managed hosts file.
        127.0.0.1\tlocalhost
        ::1\tlocalhost ip6-localhost ip6-loopback
        fe00::0\tip6-localnet
        fe00::0\tip6-mcastprefix
        fe00::1\tip6-allnodes
        fe00::2\tip6-allrouters
        10.42.0.5\tweb-0

        """)
        let fqdn = SandboxFiles.podFQDN(hostname: "web-0", subdomain: "web", namespace: "shop")
        let full = SandboxFiles.hosts(podIPs: ["10.42.0.5"], hostname: "web-0", fqdn: fqdn,
                                      hostAliases: [HostAlias(ip: "10.1.2.3", hostnames: ["foo.remote", "bar.remote"])])
        XCTAssertTrue(full.hasSuffix("10.42.0.5\tweb-0.web.shop.svc.cluster.local\tweb-0\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.remote\tbar.remote\n"))
        XCTAssertNil(SandboxFiles.podFQDN(hostname: "a", subdomain: "", namespace: "n"))
    }

    func testResolvConfClusterFirst() {
        let dns = DNSSettings.clusterFirst(namespace: "shop", hostSearches: ["lab.example", "cluster.local"])
        XCTAssertEqual(SandboxFiles.resolvConf(dns), """
        search shop.svc.cluster.local svc.cluster.local cluster.local lab.example
        nameserver 10.43.0.10
        options ndots:5

        """)
    }

    func testDNSConfigMerge() {
        let base = DNSSettings.clusterFirst(namespace: "default")
        let merged = base.merged(with: DNSSettings(nameservers: ["10.43.0.10", "1.1.1.1"], searches: ["extra.local"],
                                                   options: ["ndots:2", "edns0"]))
        XCTAssertEqual(merged.nameservers, ["10.43.0.10", "1.1.1.1"])
        XCTAssertEqual(merged.searches.last, "extra.local")
        XCTAssertEqual(merged.options, ["ndots:2", "edns0"])
        XCTAssertEqual(SandboxFiles.resolvConf(DNSSettings()), "")
    }

    func testHostname() {
        XCTAssertEqual(SandboxFiles.podHostname(podName: "web-0"), "web-0")
        XCTAssertEqual(SandboxFiles.podHostname(podName: "web-0", specHostname: "db"), "db")
        XCTAssertEqual(SandboxFiles.podHostname(podName: "web-0", specHostname: ""), "web-0")
        let long = String(repeating: "a", count: 62) + "-bbb"
        XCTAssertEqual(SandboxFiles.podHostname(podName: long), String(repeating: "a", count: 62))
        XCTAssertEqual(SandboxFiles.hostnameFile("web-0"), "web-0\n")
    }
}
