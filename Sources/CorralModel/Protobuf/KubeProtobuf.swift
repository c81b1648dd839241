import Foundation

/// Why a protobuf request body could not be read; the message is worded for
/// the `message` of a 400 `Status`.
public struct KubeProtobufError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Kubernetes' protobuf serialization (`application/vnd.kubernetes.protobuf`),
/// read into the JSON form of the same object.
///
/// client-go (and so kubectl) sends built-in types as protobuf: the 4 bytes
/// `k8s\0`, then a `runtime.Unknown` {1 typeMeta{1 apiVersion, 2 kind},
/// 2 raw, 3 contentEncoding, 4 contentType} whose `raw` is the object's
/// message. The server stores JSON, so the body is converted here using the
/// message table generated from Kubernetes' `generated.proto` files
/// (`ProtobufSchema.swift`, made by `tools/gen-protobuf-schema.py`).
///
/// Zero values. gogo-protobuf writes every non-pointer field, even when it
/// holds its zero value, while Go's JSON encoder drops `omitempty` ones. To
/// produce what the client would have sent as JSON, the table records for each
/// field whether it is a Go pointer and whether its JSON tag has `omitempty`
/// (taken from the Go struct tags beside the .proto files), and:
/// - a pointer field (`*int32 replicas`, `*bool immutable`) is written only when
///   set, so it is kept even when zero (`replicas: 0` stays);
/// - a non-pointer `omitempty` scalar that holds "", 0 or false is dropped;
/// - a non-pointer scalar without `omitempty` is kept even when zero, as JSON
///   would send it (`ServicePort.port`, `PriorityClass.value: 0`, `Container.name`);
/// - empty repeated fields, maps and `bytes` are dropped (nil and empty cannot be
///   told apart on the wire; JSON would send null or omit them);
/// - a `Time`/`MicroTime` with no fields set (a zero `creationTimestamp`) is
///   dropped (JSON sends null) and an empty `RawExtension` likewise;
/// - an `IntOrString` that is int 0 in an `omitempty` field is dropped: Go's JSON
///   would send `0`, but Kubernetes treats that as unset (`targetPort` defaults
///   to `port`), and so does our defaulting, which looks for a missing key;
/// - any other message is kept, `{}` when empty (`status: {}`, `resources: {}`),
///   since Go's JSON never omits a struct.
/// Where the generator found no Go tag (flag `?`), the fallback is the simple
/// rule: drop empty strings and int 0 (except counts where 0 means something:
/// replicas, parallelism, completions, backoffLimit, minReadySeconds, …) and keep bools.
public enum KubeProtobuf {
    /// The 4-byte prefix of every Kubernetes protobuf body.
    public static let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]

    /// Decodes a body that starts with the magic `k8s\0` followed by a
    /// `runtime.Unknown` into the JSON object Kubernetes would have sent as
    /// JSON, with apiVersion and kind set from the Unknown's typeMeta.
    public static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        try decode(bytes, startDepth: 0)
    }

    /// Nested Unknowns (RawExtensions holding protobuf) continue the caller's
    /// depth budget, so nesting cannot grow the stack without bound.
    static func decode(_ bytes: [UInt8], startDepth: Int) throws -> JSONValue {
        guard startDepth < Converter.maxDepth else {
            throw KubeProtobufError("protobuf body nested too deeply")
        }
        guard bytes.count >= magic.count, Array(bytes.prefix(magic.count)) == magic else {
            throw KubeProtobufError("invalid protobuf body: missing the \"k8s\\x00\" prefix")
        }
        var reader = ProtobufReader(bytes, range: magic.count..<bytes.count)
        var apiVersion = "", kind = "", contentEncoding = "", contentType = ""
        var raw: Range<Int>? = nil
        while let (field, wire) = try reader.readTag() {
            switch (field, wire) {
            case (1, .lengthDelimited):
                var tm = reader.subReader(try reader.readLengthDelimited())
                while let (f, w) = try tm.readTag() {
                    switch (f, w) {
                    case (1, .lengthDelimited): apiVersion = string(bytes, try tm.readLengthDelimited())
                    case (2, .lengthDelimited): kind = string(bytes, try tm.readLengthDelimited())
                    default: try tm.skip(w)
                    }
                }
            case (2, .lengthDelimited): raw = try reader.readLengthDelimited()
            case (3, .lengthDelimited): contentEncoding = string(bytes, try reader.readLengthDelimited())
            case (4, .lengthDelimited): contentType = string(bytes, try reader.readLengthDelimited())
            default: try reader.skip(wire)
            }
        }
        if !contentEncoding.isEmpty {
            throw KubeProtobufError("unsupported protobuf contentEncoding \"\(contentEncoding)\"")
        }
        if !contentType.isEmpty && !contentType.hasPrefix("application/vnd.kubernetes.protobuf") {
            throw KubeProtobufError("unsupported protobuf contentType \"\(contentType)\"")
        }
        if apiVersion.isEmpty || kind.isEmpty {
            throw KubeProtobufError("protobuf body has no apiVersion/kind in its type metadata")
        }
        let schema = ProtobufSchema.shared
        guard let messageName = schema.messageName(apiVersion: apiVersion, kind: kind) else {
            throw KubeProtobufError("no protobuf schema for apiVersion \"\(apiVersion)\", kind \"\(kind)\"; send it as application/json")
        }
        let decoder = Converter(schema: schema, bytes: bytes)
        var object = JSONObject()
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        let body = try decoder.message(messageName, raw ?? 0..<0, depth: startDepth + 1)
        if case .object(let members)? = body {
            for (k, v) in members where k != "apiVersion" && k != "kind" { object[k] = v }
        }
        return .object(object)
    }

    /// Whether `decode` has a schema for objects of this apiVersion and kind.
    public static func supports(apiVersion: String, kind: String) -> Bool {
        ProtobufSchema.shared.messageName(apiVersion: apiVersion, kind: kind) != nil
    }

    static func string(_ bytes: [UInt8], _ r: Range<Int>) -> String {
        String(decoding: bytes[r], as: UTF8.self)
    }
}

/// Walks protobuf messages with the schema table and builds JSON.
struct Converter {
    let schema: ProtobufSchema
    let bytes: [UInt8]
    static let maxDepth = 100

    static let timeName = "k8s.io.apimachinery.pkg.apis.meta.v1.Time"
    static let microTimeName = "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime"
    static let durationName = "k8s.io.apimachinery.pkg.apis.meta.v1.Duration"
    static let fieldsV1Name = "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1"
    static let intOrStringName = "k8s.io.apimachinery.pkg.util.intstr.IntOrString"
    static let quantityName = "k8s.io.apimachinery.pkg.api.resource.Quantity"
    static let quantityValueName = "k8s.io.apimachinery.pkg.api.resource.QuantityValue"
    static let rawExtensionName = "k8s.io.apimachinery.pkg.runtime.RawExtension"

    /// Counts whose 0 is meaningful, kept by the fallback rule for fields without Go tag information.
    static let keepZero: Set<String> = [
        "replicas", "parallelism", "completions", "backoffLimit", "minReadySeconds",
        "revisionHistoryLimit", "successfulJobsHistoryLimit", "failedJobsHistoryLimit",
        "activeDeadlineSeconds", "ttlSecondsAfterFinished", "terminationGracePeriodSeconds",
        "startingDeadlineSeconds", "value", "maxSkew", "weight", "priority", "expirationSeconds",
    ]

    /// Decodes one message to its JSON form; nil means "absent" (JSON null, omitted by the caller).
    func message(_ name: String, _ range: Range<Int>, depth: Int) throws -> JSONValue? {
        guard depth < Self.maxDepth else {
            throw KubeProtobufError("protobuf message nesting exceeds \(Self.maxDepth) levels")
        }
        switch name {
        case Self.timeName, Self.microTimeName:
            let (seconds, nanos, any) = try timestamp(range)
            guard any else { return nil }
            return .string(KubeTimeFormat.rfc3339(seconds: seconds, nanos: nanos, micro: name == Self.microTimeName))
        case Self.durationName:
            var r = ProtobufReader(bytes, range: range)
            var ns: Int64 = 0
            while let (f, w) = try r.readTag() {
                if f == 1, w == .varint { ns = Int64(bitPattern: try r.readVarint()) } else { try r.skip(w) }
            }
            return .string(KubeTimeFormat.goDuration(nanoseconds: ns))
        case Self.intOrStringName:
            var r = ProtobufReader(bytes, range: range)
            var type: Int64 = 0, intVal: Int32 = 0, strVal = ""
            while let (f, w) = try r.readTag() {
                switch (f, w) {
                case (1, .varint): type = Int64(bitPattern: try r.readVarint())
                case (2, .varint): intVal = Int32(truncatingIfNeeded: try r.readVarint())
                case (3, .lengthDelimited): strVal = KubeProtobuf.string(bytes, try r.readLengthDelimited())
                default: try r.skip(w)
                }
            }
            return type == 1 ? .string(strVal) : .int(Int64(intVal))
        case Self.quantityName, Self.quantityValueName:
            var r = ProtobufReader(bytes, range: range)
            var s = "0"
            while let (f, w) = try r.readTag() {
                if f == 1, w == .lengthDelimited { s = KubeProtobuf.string(bytes, try r.readLengthDelimited()) } else { try r.skip(w) }
            }
            return .string(s)
        case Self.rawExtensionName, Self.fieldsV1Name:
            var r = ProtobufReader(bytes, range: range)
            var raw: Range<Int>? = nil
            while let (f, w) = try r.readTag() {
                if f == 1, w == .lengthDelimited { raw = try r.readLengthDelimited() } else { try r.skip(w) }
            }
            guard let raw, !raw.isEmpty else { return nil }
            let embedded = Array(bytes[raw])
            if embedded.starts(with: KubeProtobuf.magic) { return try KubeProtobuf.decode(embedded, startDepth: depth + 1) }
            do {
                return try JSONParser.parse(embedded)
            } catch {
                let field = name == Self.fieldsV1Name ? "fieldsV1" : "RawExtension"
                throw KubeProtobufError("\(field) in protobuf body is not valid JSON: \(error)")
            }
        default:
            break
        }
        guard let msg = schema.messages[name] else {
            throw KubeProtobufError("no protobuf schema for message \(name)")
        }
        // Collect values per field (repeated fields and maps accumulate).
        var singles: [Int: JSONValue] = [:]
        var lists: [Int: [JSONValue]] = [:]
        var maps: [Int: JSONObject] = [:]
        var r = ProtobufReader(bytes, range: range)
        while let (number, wire) = try r.readTag() {
            guard let idx = msg.byNumber[number] else { try r.skip(wire); continue }
            let field = msg.fields[idx]
            switch field.type {
            case .single(let vt):
                singles[number] = try value(vt, wire: wire, reader: &r, field: field, depth: depth)
            case .repeated(let vt):
                if case .scalar(let sc) = vt, sc != .string, sc != .bytes, wire == .lengthDelimited {
                    // Packed scalars.
                    var p = r.subReader(try r.readLengthDelimited())
                    let w = Self.wireType(of: sc)
                    while !p.isAtEnd {
                        lists[number, default: []].append(try scalar(sc, wire: w, reader: &p, field: field))
                    }
                } else {
                    let v = try value(vt, wire: wire, reader: &r, field: field, depth: depth)
                    lists[number, default: []].append(v ?? .null)
                }
            case .map(let kt, let vt):
                try expect(.lengthDelimited, wire, field)
                var entry = r.subReader(try r.readLengthDelimited())
                var key: JSONValue? = nil
                var val: JSONValue? = nil
                var sawValue = false
                while let (f, w) = try entry.readTag() {
                    if f == 1 {
                        key = try scalar(kt, wire: w, reader: &entry, field: field)
                    } else if f == 2 {
                        val = try value(vt, wire: w, reader: &entry, field: field, depth: depth)
                        sawValue = true
                    } else {
                        try entry.skip(w)
                    }
                }
                if !sawValue { val = try zeroValue(vt, depth: depth) }
                let keyString: String
                switch key {
                case .string(let s)?: keyString = s
                case .int(let i)?: keyString = String(i)
                case .bool(let b)?: keyString = b ? "true" : "false"
                default: keyString = ""
                }
                maps[number, default: JSONObject()][keyString] = val ?? .null
            }
        }
        if msg.isListWrapper {
            return .array(lists[msg.fields.first?.number ?? 1] ?? [])
        }
        var out = JSONObject()
        for field in msg.fields where !field.excluded {
            let n = field.number
            switch field.type {
            case .single(let vt):
                guard let v = singles[n] else { continue }
                if field.inline {
                    if case .object(let members) = v { for (k, mv) in members { out[k] = mv } }
                    continue
                }
                if keep(v, type: vt, field: field) { out[field.jsonName] = v }
            case .repeated:
                if let l = lists[n], !l.isEmpty { out[field.jsonName] = .array(l) }
            case .map:
                if let m = maps[n], !m.isEmpty { out[field.jsonName] = .object(m) }
            }
        }
        return .object(out)
    }

    /// The zero-value rules described on `KubeProtobuf`.
    func keep(_ v: JSONValue, type: ProtobufSchema.ValueType, field: ProtobufSchema.Field) -> Bool {
        if case .message(let m) = type {
            if m == Self.intOrStringName, v == .int(0), field.omitEmpty || field.noGoInfo, !field.pointer { return false }
            return true
        }
        if case .scalar(.bytes) = type { return v != .string("") || field.pointer }
        if field.pointer { return true }
        let isZero: Bool
        switch v {
        case .string(let s): isZero = s.isEmpty
        case .int(let i): isZero = i == 0
        case .double(let d): isZero = d == 0
        case .bool(let b): isZero = !b
        default: isZero = false
        }
        if !isZero { return true }
        if field.noGoInfo {
            switch v {
            case .bool: return true
            case .int, .double: return Self.keepZero.contains(field.jsonName)
            default: return false
            }
        }
        return !field.omitEmpty
    }

    /// One value of a field (a scalar or a message).
    func value(_ vt: ProtobufSchema.ValueType, wire: ProtobufReader.WireType, reader: inout ProtobufReader,
                        field: ProtobufSchema.Field, depth: Int) throws -> JSONValue? {
        switch vt {
        case .scalar(let sc):
            return try scalar(sc, wire: wire, reader: &reader, field: field)
        case .message(let name):
            try expect(.lengthDelimited, wire, field)
            return try message(name, try reader.readLengthDelimited(), depth: depth + 1)
        }
    }

    /// The value of a map entry whose value field was left out (proto default).
    func zeroValue(_ vt: ProtobufSchema.ValueType, depth: Int) throws -> JSONValue? {
        switch vt {
        case .scalar(let sc):
            switch sc {
            case .string, .bytes: return .string("")
            case .bool: return .bool(false)
            case .double, .float: return .double(0)
            default: return .int(0)
            }
        case .message(let name):
            return try message(name, 0..<0, depth: depth + 1)
        }
    }

    func scalar(_ sc: ProtobufSchema.Scalar, wire: ProtobufReader.WireType, reader: inout ProtobufReader,
                field: ProtobufSchema.Field) throws -> JSONValue {
        try expect(Self.wireType(of: sc), wire, field)
        switch sc {
        case .string:
            return .string(KubeProtobuf.string(bytes, try reader.readLengthDelimited()))
        case .bytes:
            let r = try reader.readLengthDelimited()
            return .string(Data(bytes[r]).base64EncodedString())
        case .bool:
            return .bool(try reader.readVarint() != 0)
        case .int32:
            return .int(Int64(Int32(truncatingIfNeeded: try reader.readVarint())))
        case .int64:
            return .int(Int64(bitPattern: try reader.readVarint()))
        case .uint32:
            return .int(Int64(UInt32(truncatingIfNeeded: try reader.readVarint())))
        case .uint64:
            let u = try reader.readVarint()
            return u <= UInt64(Int64.max) ? .int(Int64(u)) : .double(Double(u))
        case .sint32:
            let u = UInt32(truncatingIfNeeded: try reader.readVarint())
            return .int(Int64(Int32(bitPattern: (u >> 1) ^ (0 &- (u & 1)))))
        case .sint64:
            let u = try reader.readVarint()
            return .int(Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))))
        case .fixed32:
            return .int(Int64(try reader.readFixed32()))
        case .sfixed32:
            return .int(Int64(Int32(bitPattern: try reader.readFixed32())))
        case .fixed64:
            let u = try reader.readFixed64()
            return u <= UInt64(Int64.max) ? .int(Int64(u)) : .double(Double(u))
        case .sfixed64:
            return .int(Int64(bitPattern: try reader.readFixed64()))
        case .float:
            return .double(Double(Float(bitPattern: try reader.readFixed32())))
        case .double:
            return .double(Double(bitPattern: try reader.readFixed64()))
        }
    }

    static func wireType(of sc: ProtobufSchema.Scalar) -> ProtobufReader.WireType {
        switch sc {
        case .string, .bytes: return .lengthDelimited
        case .fixed32, .sfixed32, .float: return .fixed32
        case .fixed64, .sfixed64, .double: return .fixed64
        default: return .varint
        }
    }

    func expect(_ want: ProtobufReader.WireType, _ got: ProtobufReader.WireType, _ field: ProtobufSchema.Field) throws {
        if want != got {
            throw KubeProtobufError("protobuf field \(field.jsonName) (\(field.number)) has wire type \(got.rawValue), expected \(want.rawValue)")
        }
    }

    /// Seconds and nanos of a Time/MicroTime message, and whether any field was present.
    func timestamp(_ range: Range<Int>) throws -> (Int64, Int32, Bool) {
        var r = ProtobufReader(bytes, range: range)
        var seconds: Int64 = 0, nanos: Int32 = 0, any = false
        while let (f, w) = try r.readTag() {
            switch (f, w) {
            case (1, .varint): seconds = Int64(bitPattern: try r.readVarint()); any = true
            case (2, .varint): nanos = Int32(truncatingIfNeeded: try r.readVarint()); any = true
            default: try r.skip(w)
            }
        }
        return (seconds, nanos, any)
    }
}
