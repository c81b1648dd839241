/// An IPv4 address as a 32-bit value; parses and prints dotted quads.
public struct IPv4Address: Hashable, Comparable, Codable, CustomStringConvertible, Sendable {
    /// Host-order value (10.0.0.1 == 0x0A000001).
    public let value: UInt32

    /// Wraps a host-order 32-bit value.
    public init(_ value: UInt32) { self.value = value }

    /// Parses strict dotted-quad text ("10.42.0.1"); no leading zeros, no shorthand.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { throw NetworkError.invalidAddress(text) }
        var v: UInt32 = 0
        for p in parts {
            guard (1...3).contains(p.count), p.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(p.count > 1 && p.first == "0"), let n = UInt32(p), n <= 255
            else { throw NetworkError.invalidAddress(text) }
            v = v << 8 | n
        }
        value = v
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    public init(from decoder: Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// An IPv4 network in CIDR form (`10.42.0.0/16`). The stored address is the network address.
public struct IPv4CIDR: Hashable, Codable, CustomStringConvertible, Sendable {
    /// Network address (host bits cleared).
    public let network: IPv4Address
    /// Prefix length, 0...32.
    public let prefix: Int

    /// Builds a CIDR from an address and prefix, clearing host bits.
    public init(address: IPv4Address, prefix: Int) throws {
        guard (0...32).contains(prefix) else { throw NetworkError.invalidAddress("\(address)/\(prefix)") }
        self.prefix = prefix
        self.network = IPv4Address(address.value & IPv4CIDR.mask(prefix))
    }

    /// Parses "a.b.c.d/n". With `strict`, host bits must be zero ("10.42.0.1/16" is rejected).
    public init(parsing text: String, strict: Bool = false) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[1].count),
              parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(parts[1]), p <= 32
        else { throw NetworkError.invalidAddress(text) }
        let addr = try IPv4Address(parsing: String(parts[0]))
        try self.init(address: addr, prefix: p)
        if strict && addr != network { throw NetworkError.invalidAddress(text) }
    }

    /// Netmask for a prefix length, host order.
    static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }

    /// Netmask in host order.
    public var mask: UInt32 { IPv4CIDR.mask(prefix) }
    /// Highest address of the network (the broadcast address for prefixes < 31).
    public var broadcast: IPv4Address { IPv4Address(network.value | ~mask) }
    /// Number of addresses covered, including network and broadcast.
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefix) }

    /// Whether `address` lies inside this network.
    public func contains(_ address: IPv4Address) -> Bool { address.value & mask == network.value }

    /// The `offset`-th address of the network (0 = network address); nil past the end.
    public func address(at offset: UInt64) -> IPv4Address? {
        offset < size ? IPv4Address(network.value + UInt32(offset)) : nil
    }

    public var description: String { "\(network)/\(prefix)" }

    public init(from decoder: Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
