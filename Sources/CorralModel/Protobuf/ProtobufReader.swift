/// Reads the protobuf wire format: tags, varints, fixed-width and
/// length-delimited values. It works over one shared byte array and a
/// window into it, so sub-messages are read without copying.
struct ProtobufReader {
    /// Wire types of the protobuf encoding (3 and 4, groups, are obsolete
    /// and never produced by Kubernetes; they are rejected).
    enum WireType: Int {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], range: Range<Int>? = nil) {
        self.bytes = bytes
        let r = range ?? bytes.startIndex..<bytes.endIndex
        self.position = r.lowerBound
        self.end = r.upperBound
    }

    var isAtEnd: Bool { position >= end }

    /// The next field's number and wire type, or nil at the end of the window.
    mutating func readTag() throws -> (field: Int, wire: WireType)? {
        if isAtEnd { return nil }
        let at = position
        let key = try readVarint()
        let field = key >> 3
        guard field > 0, field <= 536_870_911 else {
            throw KubeProtobufError("invalid protobuf field number \(field) at offset \(at)")
        }
        guard let wire = WireType(rawValue: Int(key & 7)) else {
            throw KubeProtobufError("unsupported protobuf wire type \(key & 7) at offset \(at)")
        }
        return (Int(field), wire)
    }

    /// A base-128 varint of at most 10 bytes. Negative int32/int64 values are
    /// sign-extended to 64 bits and so always take all 10.
    mutating func readVarint() throws -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                throw KubeProtobufError("truncated protobuf varint at offset \(start)")
            }
            let b = bytes[position]
            position += 1
            if shift == 63 && b > 1 {
                throw KubeProtobufError("protobuf varint overflows 64 bits at offset \(start)")
            }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 {
                throw KubeProtobufError("protobuf varint overflows 64 bits at offset \(start)")
            }
        }
    }

    mutating func readFixed32() throws -> UInt32 {
        guard end - position >= 4 else { throw KubeProtobufError("truncated protobuf fixed32 at offset \(position)") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
        position += 4
        return v
    }

    mutating func readFixed64() throws -> UInt64 {
        guard end - position >= 8 else { throw KubeProtobufError("truncated protobuf fixed64 at offset \(position)") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return v
    }

    /// The byte range of a length-delimited value (string, bytes, message, packed list).
    mutating func readLengthDelimited() throws -> Range<Int> {
        let at = position
        let n = try readVarint()
        guard n <= UInt64(end - position) else {
            throw KubeProtobufError("truncated protobuf value at offset \(at): length \(n) exceeds the \(end - position) bytes left")
        }
        let r = position..<(position + Int(n))
        position += Int(n)
        return r
    }

    /// Skips a value of the given wire type (a field the schema does not know).
    mutating func skip(_ wire: WireType) throws {
        switch wire {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .fixed32: _ = try readFixed32()
        case .lengthDelimited: _ = try readLengthDelimited()
        }
    }

    /// A reader over a sub-range of the same bytes.
    func subReader(_ range: Range<Int>) -> ProtobufReader {
        ProtobufReader(bytes, range: range)
    }
}
