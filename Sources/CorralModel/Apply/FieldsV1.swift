/// The `FieldsV1` wire form of a field set (metadata.managedFields[].fieldsV1):
/// nested objects keyed by serialized path elements, `{}` for a leaf, and
/// `".": {}` marking a node that is itself in the set and also has children.
public enum FieldsV1 {
    /// Encodes a set; children are emitted in structured-merge-diff's order.
    public static func encode(_ set: FieldSet) -> JSONValue {
        .object(encodeContents(set, includeSelf: false))
    }

    private static func encodeContents(_ set: FieldSet, includeSelf: Bool) -> JSONObject {
        var out = JSONObject()
        if includeSelf { out["."] = .object(JSONObject()) }
        for pe in set.members.union(set.children.keys).sorted() {
            if let sub = set.children[pe] {
                out[pe.serialized] = .object(encodeContents(sub, includeSelf: set.members.contains(pe)))
            } else {
                out[pe.serialized] = .object(JSONObject())
            }
        }
        return out
    }

    /// Decodes a FieldsV1 object. Unknown element prefixes are skipped, as
    /// upstream does; anything not an object is an error.
    public static func decode(_ v: JSONValue) throws -> FieldSet {
        guard let obj = v.objectValue else { throw FieldsV1Error.notAnObject }
        return try decodeChildren(obj)
    }

    private static func decodeChildren(_ obj: JSONObject) throws -> FieldSet {
        var set = FieldSet()
        for (k, sub) in obj where k != "." {
            guard let subObj = sub.objectValue else { throw FieldsV1Error.notAnObject }
            guard let pe = PathElement.parse(k) else {
                if let p = k.first, "fkvi".contains(p), k.dropFirst().first == ":" { throw FieldsV1Error.badElement(k) }
                continue
            }
            let grandchildren = try decodeChildren(subObj)
            // A leaf (`{}`) or a node marked with "." is a member.
            if subObj.isEmpty || subObj["."] != nil { set.insert([pe]) }
            for p in grandchildren.paths { set.insert([pe] + p) }
        }
        return set
    }
}

/// A malformed `fieldsV1` value.
public enum FieldsV1Error: Error, CustomStringConvertible, Equatable {
    case notAnObject
    case badElement(String)

    public var description: String {
        switch self {
        case .notAnObject: return "fieldsV1 must be a JSON object of objects"
        case .badElement(let k): return "parsing key as path element: \(k)"
        }
    }
}
