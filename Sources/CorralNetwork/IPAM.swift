import CorralModel

/// Persistent IPAM state: which IP (dotted quad) belongs to which owner (e.g. a pod UID).
/// Pure data; the caller stores it (e.g. as JSON in the API store).
public struct IPAMState: Codable, Equatable, Sendable {
    /// ip → owner.
    public var allocations: [String: String]

    /// Wraps an ip → owner map.
    public init(allocations: [String: String] = [:]) { self.allocations = allocations }

    /// The state as a JSON object `{"allocations": {"10.42.0.2": "uid", ...}}` (keys sorted).
    public var jsonValue: JSONValue {
        let pairs = allocations.keys.sorted { ipOrder($0, $1) }.map { ($0, JSONValue.string(allocations[$0]!)) }
        return .object(JSONObject([("allocations", .object(JSONObject(pairs)))]))
    }

    /// Reads the form written by `jsonValue`; non-string owners are an error.
    public init(jsonValue: JSONValue) throws {
        var map: [String: String] = [:]
        if let obj = jsonValue["allocations"]?.objectValue {
            for (ip, owner) in obj {
                guard let o = owner.stringValue else { throw NetworkError.invalidAddress("owner of \(ip)") }
                map[ip] = o
            }
        }
        allocations = map
    }

    /// IPs held by `owner`, lowest first.
    public func addresses(of owner: String) -> [String] {
        allocations.filter { $0.value == owner }.map(\.key).sorted { ipOrder($0, $1) }
    }
}

/// Orders dotted quads numerically, falling back to text for unparsable ones.
private func ipOrder(_ a: String, _ b: String) -> Bool {
    switch (try? IPv4Address(parsing: a), try? IPv4Address(parsing: b)) {
    case let (x?, y?): return x < y
    default: return a < b
    }
}

/// Deterministic IPv4 allocator over one CIDR. Pure: it never stores anything itself.
///
/// Hands out the lowest free address after the gateway (wrapping round to the start of the
/// range), skipping the network and broadcast addresses, the gateway and `reserved`.
public struct IPAllocator: Sendable {
    /// The range addresses come from.
    public let cidr: IPv4CIDR
    /// The gateway address (never handed out).
    public let gateway: IPv4Address
    /// Further addresses never handed out.
    public let reserved: Set<IPv4Address>

    /// Builds an allocator; the gateway and reserved addresses must lie in `cidr`.
    public init(cidr: IPv4CIDR, gateway: IPv4Address, reserved: Set<IPv4Address> = []) throws {
        guard cidr.prefix <= 30 else { throw NetworkError.notAllocatable(ip: "\(cidr)", reason: "prefix must be /30 or shorter") }
        guard cidr.contains(gateway) else { throw NetworkError.notAllocatable(ip: "\(gateway)", reason: "gateway outside \(cidr)") }
        for r in reserved where !cidr.contains(r) {
            throw NetworkError.notAllocatable(ip: "\(r)", reason: "reserved address outside \(cidr)")
        }
        self.cidr = cidr
        self.gateway = gateway
        self.reserved = reserved
    }

    /// Text form of `init(cidr:gateway:reserved:)`.
    public init(cidr: String, gateway: String, reserved: [String] = []) throws {
        try self.init(cidr: IPv4CIDR(parsing: cidr), gateway: IPv4Address(parsing: gateway),
                      reserved: Set(try reserved.map { try IPv4Address(parsing: $0) }))
    }

    /// Whether `ip` may ever be handed out (inside the CIDR, not network/broadcast/gateway/reserved).
    public func isAllocatable(_ ip: IPv4Address) -> Bool {
        cidr.contains(ip) && ip != cidr.network && ip != cidr.broadcast && ip != gateway && !reserved.contains(ip)
    }

    /// The IP for `owner` given the current `used` map (ip → owner): the owner's existing
    /// allocatable IP if it has one (idempotent), else the lowest free one after the gateway.
    /// Throws `.exhausted` when none is left. Does not modify anything; record the result.
    public func allocate(owner: String, used: [String: String]) throws -> String {
        var taken = Set<UInt32>()
        var mine: IPv4Address?
        for (text, who) in used {
            guard let ip = try? IPv4Address(parsing: text) else { continue }
            taken.insert(ip.value)
            if who == owner, isAllocatable(ip), mine == nil || ip < mine! { mine = ip }
        }
        if let mine { return mine.description }
        let first = cidr.network.value &+ 1, last = cidr.broadcast.value &- 1
        let start = gateway.value >= first && gateway.value < last ? gateway.value + 1 : first
        // Scan start...last, then first..<start: one pass over the range at most.
        for range in [start...last, first...max(first, start &- 1)] {
            for v in range {
                let ip = IPv4Address(v)
                if !taken.contains(v) && isAllocatable(ip) { return ip.description }
            }
        }
        throw NetworkError.exhausted(cidr: cidr.description)
    }

    /// Allocates for `owner` and records the result in `state`.
    @discardableResult
    public func allocate(owner: String, in state: inout IPAMState) throws -> String {
        let ip = try allocate(owner: owner, used: state.allocations)
        state.allocations[ip] = owner
        return ip
    }

    /// Records a specific IP for `owner` (e.g. a static address); fails if another owner holds it.
    public func claim(_ ip: String, owner: String, in state: inout IPAMState) throws {
        let addr = try IPv4Address(parsing: ip)
        guard isAllocatable(addr) else { throw NetworkError.notAllocatable(ip: ip, reason: "not usable in \(cidr)") }
        if let holder = state.allocations[addr.description], holder != owner {
            throw NetworkError.notAllocatable(ip: ip, reason: "held by \(holder)")
        }
        state.allocations[addr.description] = owner
    }

    /// Removes every IP held by `owner` from `state`; returns the released IPs (empty if none).
    @discardableResult
    public func release(owner: String, in state: inout IPAMState) -> [String] {
        let mine = state.addresses(of: owner)
        for ip in mine { state.allocations[ip] = nil }
        return mine
    }

    /// The `used` map with every IP held by `owner` removed (functional form of `release`).
    public func release(owner: String, used: [String: String]) -> [String: String] {
        used.filter { $0.value != owner }
    }
}
