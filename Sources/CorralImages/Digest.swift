/// A content digest `sha256:<64 lowercase hex>`; the only algorithm the store accepts.
public struct Digest: Hashable, Codable, Comparable, CustomStringConvertible, Sendable {
    /// The 64 lowercase hex characters.
    public let hex: String

    /// Parses `sha256:<hex>`; throws `ImageError.invalidDigest` otherwise.
    public init(_ string: String) throws {
        guard string.hasPrefix("sha256:") else { throw ImageError.invalidDigest(string) }
        let hex = String(string.dropFirst(7))
        guard Digest.isHex64(hex) else { throw ImageError.invalidDigest(string) }
        self.hex = hex
    }

    /// Wraps 64 lowercase hex characters (e.g. a blob file name); nil if malformed.
    public init?(hex: String) {
        guard Digest.isHex64(hex) else { return nil }
        self.hex = hex
    }

    /// The digest of `bytes`.
    public static func of(_ bytes: [UInt8]) -> Digest {
        var h = SHA256()
        h.update(bytes)
        return Digest(uncheckedHex: h.finalizeHex())
    }

    init(uncheckedHex: String) { self.hex = uncheckedHex }

    /// `sha256:<hex>`.
    public var description: String { "sha256:" + hex }
    /// The first 12 hex characters, as `docker images` shows image IDs.
    public var short: String { String(hex.prefix(12)) }

    public static func < (a: Digest, b: Digest) -> Bool { a.hex < b.hex }

    static func isHex64(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    public init(from decoder: Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        try self.init(s)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
