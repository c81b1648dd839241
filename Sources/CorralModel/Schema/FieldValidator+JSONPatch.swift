extension FieldValidator {
    /// Scans a JSON patch (RFC 6902 operations): an `add`, `replace`, `move`
    /// or `copy` whose target is an undeclared member is an unknown field, and
    /// the values of `add`/`replace` are scanned against the schema at their
    /// target. `pruned` drops the operations that target unknown members and
    /// prunes the values of the others.
    public func scanJSONPatch(_ patch: JSONValue, schema: SchemaNode) -> FieldScan {
        var out = FieldScan()
        guard let ops = patch.arrayValue else {
            out.pruned = patch
            return out
        }
        var kept: [JSONValue] = []
        for op in ops {
            guard let kind = op["op"]?.stringValue, ["add", "replace", "move", "copy"].contains(kind),
                  let pointer = op["path"]?.stringValue else {
                kept.append(op)
                continue
            }
            switch target(of: pointer, schema: schema) {
            case .unknown(let path):
                out.unknown.append(path)
            case .open:
                kept.append(op)
            case .known(let node, let path):
                guard (kind == "add" || kind == "replace"), let value = op["value"] else {
                    kept.append(op)
                    continue
                }
                let sub = scan(value, schema: node, at: path)
                out.unknown += sub.unknown
                out.mismatches += sub.mismatches
                var pruned = op
                pruned["value"] = sub.pruned
                kept.append(pruned)
            }
        }
        out.pruned = .array(kept)
        return out
    }

    private enum Target {
        case known(SchemaNode, FieldPath)
        /// Inside a part of the object that keeps any member.
        case open
        case unknown(FieldPath)
    }

    /// Follows a JSON pointer through the schema.
    private func target(of pointer: String, schema: SchemaNode) -> Target {
        var node = schema
        var path = FieldPath()
        let tokens = pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
        for token in tokens {
            let n = catalog.resolve(node)
            if n.preservesUnknownFields || n.isEmbeddedResource { return .open }
            if let items = n.items {
                path = path.appending(.element(Int(token) ?? -1, keys: []))
                node = items
            } else if let p = n.property(token) {
                path = path.appending(.member(token))
                node = p
            } else if let a = n.additionalProperties {
                path = path.appending(.member(token))
                node = a
            } else if n.properties.isEmpty || n.allowsAnyMember {
                return .open
            } else {
                return .unknown(path.appending(.member(token)))
            }
        }
        return .known(node, path)
    }
}
