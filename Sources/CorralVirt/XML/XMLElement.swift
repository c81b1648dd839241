/// A minimal XML element tree used to build libvirt domain documents.
/// Attributes keep insertion order so the output is stable for golden files.
public struct XMLElement: Equatable, Sendable {
    /// The tag name, optionally prefixed (`corral:uid`).
    public var name: String
    /// Attributes in the order they were added.
    public var attributes: [(String, String)]
    /// Child nodes in document order.
    public var children: [XMLNode]

    /// Creates an element with attributes and children.
    public init(_ name: String, _ attributes: [(String, String)] = [], children: [XMLNode] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
    }

    /// Creates an element whose only child is a text node.
    public init(_ name: String, _ attributes: [(String, String)] = [], text: String) {
        self.init(name, attributes, children: [.text(text)])
    }

    /// Creates an element whose children are elements.
    public init(_ name: String, _ attributes: [(String, String)] = [], elements: [XMLElement]) {
        self.init(name, attributes, children: elements.map { .element($0) })
    }

    /// Appends a child element.
    public mutating func append(_ child: XMLElement) { children.append(.element(child)) }

    /// Value of an attribute, if set.
    public func attribute(_ key: String) -> String? { attributes.first { $0.0 == key }?.1 }

    /// Child elements named `name` (direct children only).
    public func elements(named name: String) -> [XMLElement] {
        children.compactMap { if case .element(let e) = $0, e.name == name { return e }; return nil }
    }

    /// The first direct child element named `name`.
    public func first(_ name: String) -> XMLElement? { elements(named: name).first }

    /// Concatenated text of direct text children.
    public var text: String {
        children.map { if case .text(let t) = $0 { return t }; return "" }.joined()
    }

    public static func == (a: XMLElement, b: XMLElement) -> Bool {
        a.name == b.name && a.children == b.children
            && a.attributes.map { $0.0 } == b.attributes.map { $0.0 }
            && a.attributes.map { $0.1 } == b.attributes.map { $0.1 }
    }

    /// Serializes the element with two-space indentation; text-only elements stay on one line.
    public func rendered(indent: Int = 0) -> String {
        var out = ""
        render(into: &out, depth: indent)
        return out
    }

    private func render(into out: inout String, depth: Int) {
        let pad = String(repeating: "  ", count: depth)
        out += pad + "<" + name
        for (k, v) in attributes { out += " \(k)='\(XMLEscape.attribute(v))'" }
        if children.isEmpty { out += "/>\n"; return }
        let onlyText = children.allSatisfy { if case .text = $0 { return true }; return false }
        if onlyText {
            out += ">" + XMLEscape.text(text) + "</\(name)>\n"
            return
        }
        out += ">\n"
        for child in children {
            switch child {
            case .element(let e): e.render(into: &out, depth: depth + 1)
            case .text(let t): out += pad + "  " + XMLEscape.text(t) + "\n"
            }
        }
        out += pad + "</\(name)>\n"
    }
}

/// A node of an `XMLElement` tree.
public enum XMLNode: Equatable, Sendable {
    case element(XMLElement)
    case text(String)
}

/// XML escaping for text and single-quoted attribute values.
public enum XMLEscape {
    /// Escapes `&`, `<`, `>` and drops characters XML 1.0 cannot carry.
    public static func text(_ s: String) -> String { escape(s, quotes: false) }
    /// Escapes text plus both quote characters.
    public static func attribute(_ s: String) -> String { escape(s, quotes: true) }

    /// The five predefined entities back to characters (what libvirt's XML carries;
    /// numeric references other than these are left as they are).
    public static func unescaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    private static func escape(_ s: String, quotes: Bool) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "'" where quotes: out += "&apos;"
            case "\"" where quotes: out += "&quot;"
            case "\n" where quotes: out += "&#10;"
            case "\t" where quotes: out += "&#9;"
            default:
                // XML 1.0 forbids most C0 controls even as character references.
                let v = scalar.value
                if v < 0x20 && v != 0x9 && v != 0xA && v != 0xD { continue }
                if v == 0xFFFE || v == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
