import CorralModel
import XCTest
@testable import CorralNetwork

final class MasqueradePlanTests: XCTestCase {
    let uid = "3f0c2d4e-9a1b-4c5d-8e7f-0a1b2c3d4e5f"

    func vmi(_ spec: JSONValue) -> JSONValue { ["metadata": ["uid": .string(uid)], "spec": spec] }

    func plan(_ iface: MasqueradeInterface = MasqueradeInterface(name: "default"), dns: DNSSettings = DNSSettings()) throws -> MasqueradePlan {
        MasqueradePlan(vmiUID: uid, interface: iface, podIP: try IPv4Address(parsing: "10.42.0.9"), podPrefix: 16,
                       podGateway: try IPv4Address(parsing: "10.42.0.1"), nodeBridge: "corral0", mtu: 1500,
                       guestMAC: "52:54:00:AA:BB:CC", hostname: "web", dns: dns)
    }

    func testNamesAreShortDistinctAndShareTheTapHash() {
        let n = MasqueradeNames(vmiUID: uid)
        let h = PodNetworkPlan.hex8(PodNetworkPlan.fnv1a(uid))
        XCTAssertEqual(n.tap, "tap" + h)
        XCTAssertEqual(n.netns, "corral-vm-" + uid)
        let links = [n.bridge, n.tap, n.podVethHost, n.gatewayVethHost, n.podInterface, n.gatewayInterface]
        XCTAssertTrue(links.allSatisfy(validLinkName), "\(links)")
        XCTAssertEqual(Set(n.nodeLinks).count, 4)
        XCTAssertNotEqual(MasqueradeNames(vmiUID: uid + "x").bridge, n.bridge)
        // Not the pod namespace prefix: pod garbage collection never takes a VM's namespace.
        XCTAssertFalse(n.netns.hasPrefix("corral-pod-"))
    }

    func testBindingDetection() throws {
        // No interfaces and no networks: KubeVirt's implicit default masquerade interface.
        XCTAssertEqual(try MasqueradeInterface.of(vmi: vmi(["domain": ["devices": [:]]])), MasqueradeInterface(name: "default"))
        XCTAssertNil(try MasqueradeInterface.of(vmi: vmi(["domain": ["devices": ["autoattachPodInterface": false]]])))
        let bridge: JSONValue = ["domain": ["devices": ["interfaces": [["name": "default", "bridge": [:]]]]], "networks": [["name": "default", "pod": [:]]]]
        XCTAssertNil(try MasqueradeInterface.of(vmi: vmi(bridge)))
        let masq: JSONValue = ["domain": ["devices": ["interfaces": [["name": "default", "masquerade": [:], "macAddress": "02-00-00-AA-BB-CC"]]]],
                               "networks": [["name": "default", "pod": [:]]]]
        let m = try XCTUnwrap(MasqueradeInterface.of(vmi: vmi(masq)))
        XCTAssertEqual(m.ports, [])
        XCTAssertEqual(m.macAddress, "02:00:00:aa:bb:cc")
        XCTAssertEqual(m.gateway.description, "10.0.2.1")
        XCTAssertEqual(m.guestAddress.description, "10.0.2.2")
    }

    func testPortsAndCustomCIDRAndTheirErrors() throws {
        func spec(ports: JSONValue, cidr: String? = nil) -> JSONValue {
            var pod: JSONValue = [:]
            if let cidr { pod = ["vmNetworkCIDR": .string(cidr)] }
            return vmi(["domain": ["devices": ["interfaces": [["name": "nic", "masquerade": [:], "ports": ports]]]],
                        "networks": [["name": "other", "multus": [:]], ["name": "nic", "pod": pod]]])
        }
        let m = try XCTUnwrap(MasqueradeInterface.of(vmi: spec(ports: [["port": 80], ["name": "dns", "protocol": "UDP", "port": 53], ["port": 80]],
                                                               cidr: "192.168.7.0/28")))
        XCTAssertEqual(m.ports, [MasqueradePort(proto: .tcp, port: 80), MasqueradePort(proto: .udp, port: 53)])
        XCTAssertEqual(m.vmNetwork.description, "192.168.7.0/28")
        XCTAssertEqual(m.guestAddress.description, "192.168.7.2")
        XCTAssertThrowsError(try MasqueradeInterface.of(vmi: spec(ports: [["port": 0]]))) {
            XCTAssertEqual(($0 as? MasqueradeSpecError)?.field, "spec.domain.devices.interfaces[0].ports[0].port")
        }
        XCTAssertThrowsError(try MasqueradeInterface.of(vmi: spec(ports: [["port": 1], ["port": 5, "protocol": "SCTP"]]))) {
            XCTAssertEqual(($0 as? MasqueradeSpecError)?.field, "spec.domain.devices.interfaces[0].ports[1].protocol")
        }
        XCTAssertThrowsError(try MasqueradeInterface.of(vmi: spec(ports: [], cidr: "10.0.2.0/31"))) {
            XCTAssertEqual(($0 as? MasqueradeSpecError)?.field, "spec.networks[1].pod.vmNetworkCIDR")
        }
        XCTAssertThrowsError(try MasqueradeInterface.of(vmi: spec(ports: [], cidr: "10.0.2/24")))
    }

    func testOpsBuildPodSideThenGuestSide() throws {
        let p = try plan(), n = p.names
        let ops = p.ops
        // The pod side is exactly a pod's network, in the VM's namespace, on the node bridge.
        XCTAssertEqual(Array(ops.prefix(8)), PodNetworkPlan.make(podUID: "x", netnsName: n.netns, hostVethName: n.podVethHost, ip: "10.42.0.9",
                                                                 prefix: 16, gateway: "10.42.0.1", bridge: "corral0", mtu: 1500))
        XCTAssertEqual(Array(ops.dropFirst(8)), [
            .createBridge(name: n.bridge, mtu: 1500),
            .setUp(link: n.bridge, netns: nil),
            .createVethPair(host: n.gatewayVethHost, peer: "k6t-eth0", peerNetns: n.netns, mtu: 1500),
            .attachToBridge(link: n.gatewayVethHost, bridge: n.bridge),
            .setUp(link: n.gatewayVethHost, netns: nil),
            .addAddress(link: "k6t-eth0", address: "10.0.2.1", prefix: 24, netns: n.netns),
            .setUp(link: "k6t-eth0", netns: n.netns),
        ])
        XCTAssertTrue(p.tap == (n.tap, n.bridge))
        XCTAssertEqual(p.sysctls.map { $0.key.joined(separator: ".") + "=" + $0.value }, ["net.ipv4.ip_forward=1"])
        // Teardown removes every link the plan and the tap made, then the namespace.
        let created = Set(ops.compactMap { op -> String? in
            switch op {
            case .createBridge(let name, _): return name
            case .createVethPair(let host, _, _, _): return host
            default: return nil
            }
        } + [n.tap])
        let td = MasqueradePlan.teardownOps(n)
        XCTAssertEqual(Set(td.compactMap { if case .deleteLink(let l, nil) = $0 { return l }; return nil }), created)
        XCTAssertEqual(td.last, .deleteNetns(n.netns))
    }

    func testRulesForwardEverythingByDefault() throws {
        let r = try plan().netnsRules
        XCTAssertTrue(r.hasPrefix("table ip corral_masq\ndelete table ip corral_masq\n"), r)
        XCTAssertTrue(r.contains("\t\tdnat to 10.0.2.2\n"), r)
        XCTAssertTrue(r.contains("iifname \"eth0\" jump inbound"), r)
        XCTAssertTrue(r.contains("ip saddr 10.0.2.2 oifname \"eth0\" masquerade"), r)
        XCTAssertFalse(r.contains("dport"), r)
    }

    func testRulesForwardOnlyListedPorts() throws {
        let iface = MasqueradeInterface(name: "default", ports: [MasqueradePort(proto: .tcp, port: 8080), MasqueradePort(proto: .udp, port: 53)],
                                        vmNetwork: try IPv4CIDR(parsing: "172.16.5.0/24"))
        let r = try plan(iface).netnsRules
        XCTAssertTrue(r.contains("\t\ttcp dport 8080 dnat to 172.16.5.2\n"), r)
        XCTAssertTrue(r.contains("\t\tudp dport 53 dnat to 172.16.5.2\n"), r)
        XCTAssertFalse(r.contains("\t\tdnat to"), r)
        XCTAssertTrue(r.contains("ip saddr 172.16.5.2 oifname"), r)
        let node = try plan(iface).nodeRules
        XCTAssertTrue(node.contains("iifname \"\(MasqueradeNames(vmiUID: uid).bridge)\" notrack"), node)
        XCTAssertTrue(node.contains("hook prerouting priority raw"), node)
    }

    func testDnsmasqArguments() throws {
        let dns = DNSSettings.clusterFirst(namespace: "team", clusterDNS: "10.43.0.10", clusterDomain: "cluster.local")
        let a = try plan(dns: dns).dnsmasqArguments(directory: "/d")
        XCTAssertTrue(a.contains("--interface=k6t-eth0"))
        XCTAssertTrue(a.contains("--port=0"))
        XCTAssertTrue(a.contains("--dhcp-range=10.0.2.2,10.0.2.2,255.255.255.0,infinite"))
        XCTAssertTrue(a.contains("--dhcp-host=52:54:00:aa:bb:cc,10.0.2.2,web,infinite"))
        XCTAssertTrue(a.contains("--dhcp-option=option:router,10.0.2.1"))
        XCTAssertTrue(a.contains("--dhcp-option=option:mtu,1500"))
        XCTAssertTrue(a.contains("--dhcp-option=option:dns-server,10.43.0.10"))
        XCTAssertTrue(a.contains("--dhcp-option=option:domain-search,team.svc.cluster.local,svc.cluster.local,cluster.local"))
        XCTAssertTrue(a.contains("--pid-file=" + MasqueradePlan.pidFile(directory: "/d")))
        // No DNS settings: no empty option.
        XCTAssertFalse(try plan().dnsmasqArguments(directory: "/d").contains { $0.contains("dns-server") || $0.contains("domain-search") })
        // A /28 guest network has a /28 mask.
        let small = try plan(MasqueradeInterface(name: "n", vmNetwork: try IPv4CIDR(parsing: "192.168.7.0/28"))).dnsmasqArguments(directory: "/d")
        XCTAssertTrue(small.contains("--dhcp-range=192.168.7.2,192.168.7.2,255.255.255.240,infinite"), "\(small)")
    }
}
