import CorralModel
import Foundation

/// A spec problem found while reading a VMI's masquerade interface, named by its field path.
public struct MasqueradeSpecError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The offending field, e.g. `spec.domain.devices.interfaces[0].ports[1].port`.
    public var field: String
    /// What is wrong with it.
    public var message: String

    public var description: String { "\(field): \(message)" }
}

/// One entry of `interfaces[].ports`: traffic to the pod IP on this port is forwarded to the guest.
public struct MasqueradePort: Hashable, Sendable {
    /// Transport protocol (KubeVirt accepts TCP and UDP; TCP when omitted).
    public enum Proto: String, Sendable { case tcp, udp }
    public var proto: Proto
    public var port: Int

    /// Typed initialiser.
    public init(proto: Proto, port: Int) { self.proto = proto; self.port = port }
}

/// The VMI's pod-network interface when it uses KubeVirt's `masquerade` binding: the guest lives
/// on a private `vmNetwork` (default 10.0.2.0/24, gateway .1, guest .2) behind the pod IP.
public struct MasqueradeInterface: Equatable, Sendable {
    /// KubeVirt's default `vmNetworkCIDR`.
    public static let defaultVMNetwork = try! IPv4CIDR(parsing: "10.0.2.0/24")

    /// Interface (= network) name, e.g. "default".
    public var name: String
    /// Forwarded ports; empty means every port and protocol (KubeVirt's default).
    public var ports: [MasqueradePort]
    /// The guest's private network (`spec.networks[].pod.vmNetworkCIDR`).
    public var vmNetwork: IPv4CIDR
    /// `macAddress` from the spec, if set (lower-case, colon-separated).
    public var macAddress: String?

    /// Typed initialiser.
    public init(name: String, ports: [MasqueradePort] = [], vmNetwork: IPv4CIDR = defaultVMNetwork, macAddress: String? = nil) {
        self.name = name; self.ports = ports; self.vmNetwork = vmNetwork; self.macAddress = macAddress
    }

    /// The gateway address the guest sees (first host of `vmNetwork`; held by the launcher side).
    public var gateway: IPv4Address { IPv4Address(vmNetwork.network.value + 1) }
    /// The guest's address (second host of `vmNetwork`), leased by DHCP.
    public var guestAddress: IPv4Address { IPv4Address(vmNetwork.network.value + 2) }

    /// The first (pod-network) interface of `vmi` when its binding is `masquerade`, nil for any other
    /// binding or when the VMI has no interface. With no interfaces and no networks, KubeVirt attaches
    /// an implicit `default` masquerade interface on the pod network (unless `autoattachPodInterface`
    /// is false); that one is returned too. Throws for bad ports or a bad `vmNetworkCIDR`.
    public static func of(vmi: JSONValue) throws -> MasqueradeInterface? {
        let spec = vmi["spec"]
        let devices = spec?[path: ["domain", "devices"]]
        let interfaces = devices?["interfaces"]?.arrayValue ?? []
        let networks = spec?["networks"]?.arrayValue ?? []
        guard let first = interfaces.first else {
            let autoattach = devices?["autoattachPodInterface"]?.boolValue ?? true
            return networks.isEmpty && autoattach ? MasqueradeInterface(name: "default") : nil
        }
        guard let m = first["masquerade"], !m.isNull else { return nil }
        let base = "spec.domain.devices.interfaces[0]"
        let name = first["name"]?.stringValue ?? ""
        var ports: [MasqueradePort] = []
        for (i, p) in (first["ports"]?.arrayValue ?? []).enumerated() {
            let field = "\(base).ports[\(i)]"
            let protoText = (p["protocol"]?.stringValue ?? "TCP").lowercased()
            guard let proto = MasqueradePort.Proto(rawValue: protoText) else {
                throw MasqueradeSpecError(field: field + ".protocol", message: "unsupported protocol \"\(protoText.uppercased())\" (use TCP or UDP)")
            }
            guard let port = p["port"]?.intValue, (1...65535).contains(port) else {
                throw MasqueradeSpecError(field: field + ".port", message: "must be a port number between 1 and 65535")
            }
            let mp = MasqueradePort(proto: proto, port: Int(port))
            if !ports.contains(mp) { ports.append(mp) }
        }
        var vmNetwork = defaultVMNetwork
        if let idx = networks.firstIndex(where: { $0["name"]?.stringValue == name }),
           let text = networks[idx][path: ["pod", "vmNetworkCIDR"]]?.stringValue, !text.isEmpty {
            let field = "spec.networks[\(idx)].pod.vmNetworkCIDR"
            guard let cidr = try? IPv4CIDR(parsing: text) else {
                throw MasqueradeSpecError(field: field, message: "\"\(text)\" is not an IPv4 CIDR")
            }
            // Room for network, gateway, guest and broadcast.
            guard cidr.prefix <= 30 else { throw MasqueradeSpecError(field: field, message: "prefix /\(cidr.prefix) is too small; use /30 or larger") }
            vmNetwork = cidr
        }
        let mac = first["macAddress"]?.stringValue.map { $0.lowercased().replacingOccurrences(of: "-", with: ":") }
        return MasqueradeInterface(name: name, ports: ports, vmNetwork: vmNetwork, macAddress: mac)
    }
}
