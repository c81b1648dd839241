/// Decodes the protobuf bodies kubectl sends for `authorization.k8s.io/v1`
/// reviews (SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview,
/// LocalSubjectAccessReview) into their JSON form. The generated schema table
/// does not cover that group; this covers exactly the request fields the
/// handlers read (metadata name/namespace, spec), field numbers from
/// k8s.io/api authorization/v1 generated.proto.
public enum ReviewProtobuf {
    enum Field {
        case string(String)
        case strings(String)
        case message(String, [Int: Field])
        case extraMap(String)
    }

    static let resourceAttributes: [Int: Field] = [
        1: .string("namespace"), 2: .string("verb"), 3: .string("group"), 4: .string("version"),
        5: .string("resource"), 6: .string("subresource"), 7: .string("name"),
    ]
    static let nonResourceAttributes: [Int: Field] = [1: .string("path"), 2: .string("verb")]
    static let metadata: [Int: Field] = [1: .string("name"), 3: .string("namespace")]
    static let accessSpec: [Int: Field] = [
        1: .message("resourceAttributes", resourceAttributes), 2: .message("nonResourceAttributes", nonResourceAttributes),
        3: .string("user"), 4: .strings("groups"), 5: .extraMap("extra"), 6: .string("uid"),
    ]
    static let kinds: [String: [Int: Field]] = [
        "SelfSubjectAccessReview": [1: .message("metadata", metadata), 2: .message("spec", accessSpec)],
        "SubjectAccessReview": [1: .message("metadata", metadata), 2: .message("spec", accessSpec)],
        "LocalSubjectAccessReview": [1: .message("metadata", metadata), 2: .message("spec", accessSpec)],
        "SelfSubjectRulesReview": [1: .message("metadata", metadata), 2: .message("spec", [1: .string("namespace")])],
    ]

    /// Decodes a `k8s\0`-prefixed body of one of the review kinds.
    public static func decode(_ bytes: [UInt8]) throws -> JSONValue {
        guard bytes.count >= 4, Array(bytes.prefix(4)) == KubeProtobuf.magic else {
            throw KubeProtobufError("invalid protobuf body: missing the \"k8s\\x00\" prefix")
        }
        var r = ProtobufReader(bytes, range: 4..<bytes.count)
        var apiVersion = "", kind = ""
        var raw = 0..<0
        while let (field, wire) = try r.readTag() {
            switch (field, wire) {
            case (1, .lengthDelimited):
                var tm = r.subReader(try r.readLengthDelimited())
                while let (f, w) = try tm.readTag() {
                    switch (f, w) {
                    case (1, .lengthDelimited): apiVersion = KubeProtobuf.string(bytes, try tm.readLengthDelimited())
                    case (2, .lengthDelimited): kind = KubeProtobuf.string(bytes, try tm.readLengthDelimited())
                    default: try tm.skip(w)
                    }
                }
            case (2, .lengthDelimited): raw = try r.readLengthDelimited()
            default: try r.skip(wire)
            }
        }
        guard apiVersion == "authorization.k8s.io/v1", let layout = kinds[kind] else {
            throw KubeProtobufError("no protobuf schema for apiVersion \"\(apiVersion)\", kind \"\(kind)\"; send it as application/json")
        }
        var obj = JSONObject()
        obj["apiVersion"] = .string(apiVersion)
        obj["kind"] = .string(kind)
        for (k, v) in try message(bytes, raw, layout) { obj[k] = v }
        return .object(obj)
    }

    static func message(_ bytes: [UInt8], _ range: Range<Int>, _ layout: [Int: Field]) throws -> JSONObject {
        var r = ProtobufReader(bytes, range: range)
        var out = JSONObject()
        while let (field, wire) = try r.readTag() {
            guard wire == .lengthDelimited, let f = layout[field] else { try r.skip(wire); continue }
            let sub = try r.readLengthDelimited()
            switch f {
            case .string(let name): out[name] = .string(KubeProtobuf.string(bytes, sub))
            case .strings(let name):
                out[name] = .array((out[name]?.arrayValue ?? []) + [.string(KubeProtobuf.string(bytes, sub))])
            case .message(let name, let inner): out[name] = .object(try message(bytes, sub, inner))
            case .extraMap(let name):
                // map entry: 1 key, 2 ExtraValue{1 repeated items}
                let entry = try message(bytes, sub, [1: .string("key"), 2: .message("value", [1: .strings("items")])])
                var map = out[name]?.objectValue ?? JSONObject()
                map[entry["key"]?.stringValue ?? ""] = entry["value"]?["items"] ?? .array([])
                out[name] = .object(map)
            }
        }
        return out
    }
}
