/// Device, namespace and table names of one masquerade VM, all derived from its VMI UID
/// (`h` = 8 hex digits of FNV-1a(uid), as the VM tap's name), so teardown needs only the UID.
///
/// ```
///  node netns (corrald, libvirtd, QEMU)                 VM netns corral-vm-UID
///  corral0 ── vmp<h> ═══════════════════ veth ═══════ eth0      (pod IP, default route)
///  k6t<h> ─┬─ vmg<h> ═══════════════════ veth ═══════ k6t-eth0  (10.0.2.1/24, dnsmasq)
///          └─ tap<h> ── QEMU ── guest (10.0.2.2 by DHCP)
/// ```
public struct MasqueradeNames: Equatable, Sendable {
    /// The VM's network namespace (the launcher pod's network, KubeVirt-style).
    public var netns: String
    /// Per-VM bridge in the node namespace joining the tap and the gateway veth.
    public var bridge: String
    /// The guest's tap (node namespace; QEMU opens it by name).
    public var tap: String
    /// Node-side end of the pod veth, on the node bridge.
    public var podVethHost: String
    /// Pod-side end of the pod veth (holds the pod IP).
    public var podInterface: String
    /// Node-side end of the gateway veth, on `bridge`.
    public var gatewayVethHost: String
    /// VM-netns end of the gateway veth (holds the gateway address; dnsmasq serves here).
    public var gatewayInterface: String
    /// nft table in the VM namespace (DNAT/SNAT).
    public var table: String
    /// nft table in the node namespace that keeps the per-VM bridge out of conntrack.
    public var nodeTable: String

    /// Names for VMI `uid`.
    public init(vmiUID uid: String) {
        let h = PodNetworkPlan.hex8(PodNetworkPlan.fnv1a(uid))
        netns = "corral-vm-" + uid
        bridge = "k6t" + h
        tap = "tap" + h
        podVethHost = "vmp" + h
        podInterface = NetworkDefaults.podInterface
        gatewayVethHost = "vmg" + h
        gatewayInterface = "k6t-eth0"
        table = "corral_masq"
        nodeTable = "corral_vm_" + h
    }

    /// Links in the node namespace, in the order teardown deletes them.
    public var nodeLinks: [String] { [tap, podVethHost, gatewayVethHost, bridge] }
}

/// Pure plan for one VM's masquerade network (KubeVirt's `masquerade` binding): the guest gets
/// `interface.guestAddress` by DHCP with `interface.gateway` as router, inbound traffic to the pod
/// IP is DNAT'd to the guest (all of it, or only `interface.ports`), and the guest's outbound traffic
/// is masqueraded to the pod IP. The executor applies, in order: `ops`, the tap (`tap` on
/// `names.bridge`), `sysctls` in the VM netns, `nodeRules` and `netnsRules`, then dnsmasq with
/// `dnsmasqArguments`. Every step is idempotent, so the same plan also re-adopts a running VM.
public struct MasqueradePlan: Equatable, Sendable {
    public var names: MasqueradeNames
    public var interface: MasqueradeInterface
    public var podIP: IPv4Address
    public var podPrefix: Int
    public var podGateway: IPv4Address
    public var nodeBridge: String
    public var mtu: Int
    /// MAC the guest's NIC has (the DHCP lease and the hostname are bound to it).
    public var guestMAC: String
    /// Hostname handed to the guest by DHCP (a DNS label).
    public var hostname: String
    /// DNS handed to the guest: the launcher pod's nameservers and search domains.
    public var dns: DNSSettings

    /// Plans VMI `vmiUID`'s network from its masquerade interface, its launcher pod's IP and the node's network.
    public init(vmiUID: String, interface: MasqueradeInterface, podIP: IPv4Address, podPrefix: Int = 16,
                podGateway: IPv4Address, nodeBridge: String = NetworkDefaults.bridge, mtu: Int = NetworkDefaults.mtu,
                guestMAC: String, hostname: String, dns: DNSSettings) {
        names = MasqueradeNames(vmiUID: vmiUID)
        self.interface = interface; self.podIP = podIP; self.podPrefix = podPrefix; self.podGateway = podGateway
        self.nodeBridge = nodeBridge; self.mtu = mtu; self.guestMAC = guestMAC.lowercased()
        self.hostname = hostname; self.dns = dns
    }

    /// Netlink steps: the VM netns with `eth0` on the node bridge (pod IP, default route via the
    /// pod gateway), the per-VM bridge, and the gateway veth with the gateway address.
    public var ops: [NetOp] {
        let n = names
        let pod = PodNetworkPlan.make(podUID: n.netns, netnsName: n.netns, hostVethName: n.podVethHost, ip: podIP.description,
                                      prefix: podPrefix, gateway: podGateway.description, bridge: nodeBridge, mtu: mtu,
                                      interface: n.podInterface)
        return pod + [
            .createBridge(name: n.bridge, mtu: mtu),
            .setUp(link: n.bridge, netns: nil),
            .createVethPair(host: n.gatewayVethHost, peer: n.gatewayInterface, peerNetns: n.netns, mtu: mtu),
            .attachToBridge(link: n.gatewayVethHost, bridge: n.bridge),
            .setUp(link: n.gatewayVethHost, netns: nil),
            .addAddress(link: n.gatewayInterface, address: interface.gateway.description, prefix: interface.vmNetwork.prefix, netns: n.netns),
            .setUp(link: n.gatewayInterface, netns: n.netns),
        ]
    }

    /// The tap QEMU opens, and the bridge it joins (both in the node namespace).
    public var tap: (name: String, bridge: String) { (names.tap, names.bridge) }

    /// Sysctls of the VM netns: it routes between the pod network and the guest.
    public var sysctls: [(key: [String], value: String)] { [(["net", "ipv4", "ip_forward"], "1")] }

    /// Steps that remove everything `ops` and the tap made (each tolerates absence). dnsmasq must
    /// be stopped and `nodeRules` deleted by the executor first.
    public static func teardownOps(_ names: MasqueradeNames) -> [NetOp] {
        names.nodeLinks.map { NetOp.deleteLink($0, netns: nil) } + [.deleteNetns(names.netns)]
    }

    /// The VM netns's nft table, replaced atomically: inbound traffic arriving on `eth0` is DNAT'd to
    /// the guest (every port, or only the listed ones, as KubeVirt does) and the guest's own traffic
    /// leaving through `eth0` is masqueraded to the pod IP.
    public var netnsRules: String {
        let n = names, guest = interface.guestAddress
        var inbound = ""
        if interface.ports.isEmpty {
            inbound = "\t\tdnat to \(guest)\n"
        } else {
            for p in interface.ports { inbound += "\t\t\(p.proto.rawValue) dport \(p.port) dnat to \(guest)\n" }
        }
        return """
        table ip \(n.table)
        delete table ip \(n.table)
        table ip \(n.table) {
        \tchain inbound {
        \(inbound)\t}
        \tchain prerouting {
        \t\ttype nat hook prerouting priority dstnat; policy accept;
        \t\tiifname "\(n.podInterface)" jump inbound
        \t}
        \tchain postrouting {
        \t\ttype nat hook postrouting priority srcnat; policy accept;
        \t\tip saddr \(guest) oifname "\(n.podInterface)" masquerade
        \t}
        }

        """
    }

    /// The node namespace's per-VM table. The node bridges IPv4 through netfilter
    /// (`bridge-nf-call-iptables`), so frames crossing the per-VM bridge would get conntrack entries and
    /// the node's pod masquerade rule there; the VM netns does all NAT, so the bridge is left untracked.
    public var nodeRules: String {
        let n = names
        return """
        table ip \(n.nodeTable)
        delete table ip \(n.nodeTable)
        table ip \(n.nodeTable) {
        \tchain prerouting {
        \t\ttype filter hook prerouting priority raw; policy accept;
        \t\tiifname "\(n.bridge)" notrack
        \t}
        }

        """
    }

    /// dnsmasq command line (after the program path) serving only the gateway interface of the VM
    /// netns: DHCP only (no DNS port), one address (the guest's) with an infinite lease, router =
    /// gateway, DNS and search domains of the launcher pod, MTU of the pod network. `directory` holds
    /// the lease, pid and log files; the pid file path also identifies this dnsmasq on re-adoption.
    public func dnsmasqArguments(directory: String) -> [String] {
        let guest = interface.guestAddress.description
        let mask = IPv4Address(interface.vmNetwork.mask).description
        var args = ["--conf-file=/dev/null", "--port=0", "--interface=\(names.gatewayInterface)", "--bind-interfaces",
                    "--except-interface=lo", "--dhcp-authoritative",
                    "--dhcp-range=\(guest),\(guest),\(mask),infinite",
                    "--dhcp-host=\(guestMAC),\(guest),\(hostname),infinite",
                    "--dhcp-option=option:router,\(interface.gateway)",
                    "--dhcp-option=option:mtu,\(mtu)"]
        if !dns.nameservers.isEmpty { args.append("--dhcp-option=option:dns-server,\(dns.nameservers.joined(separator: ","))") }
        if !dns.searches.isEmpty { args.append("--dhcp-option=option:domain-search,\(dns.searches.joined(separator: ","))") }
        args += ["--dhcp-leasefile=\(directory)/leases", "--pid-file=\(Self.pidFile(directory: directory))",
                 "--keep-in-foreground", "--log-facility=\(directory)/dnsmasq.log"]
        return args
    }

    /// Where the dnsmasq of `directory` records its PID.
    public static func pidFile(directory: String) -> String { directory + "/dnsmasq.pid" }
}
