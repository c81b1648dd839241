/// Start tags read out of XML libvirt wrote (live domain XML): enough to pick an
/// element's attributes without a full parser.
public enum XMLStartTags {
    /// Attributes of every start tag whose local name is `name`, in document order.
    public static func named(_ name: String, in xml: String) -> [[String: String]] {
        var out: [[String: String]] = []
        var rest = Substring(xml)
        while let open = rest.range(of: "<" + name) {
            rest = rest[open.upperBound...]
            // `<targetfoo` is another element; a name ends at whitespace, `/` or `>`.
            guard let next = rest.first, next == " " || next == "\t" || next == "\n" || next == "/" || next == ">" else { continue }
            guard let close = rest.firstIndex(of: ">") else { break }
            out.append(attributes(rest[..<close]))
            rest = rest[close...]
        }
        return out
    }

    /// `a='x' b="y"` → ["a": "x", "b": "y"] (entities decoded for the few libvirt emits).
    public static func attributes(_ s: Substring) -> [String: String] {
        var out: [String: String] = [:]
        var rest = s
        while let eq = rest.firstIndex(of: "=") {
            let key = rest[..<eq].split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).last.map(String.init) ?? ""
            var after = rest[rest.index(after: eq)...].drop(while: { $0 == " " })
            guard let quote = after.first, quote == "'" || quote == "\"" else { break }
            after = after.dropFirst()
            guard let end = after.firstIndex(of: quote) else { break }
            out[key] = XMLEscape.unescaped(String(after[..<end]))
            rest = after[after.index(after: end)...]
        }
        return out
    }
}
