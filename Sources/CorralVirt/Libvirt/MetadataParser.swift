import Foundation

/// Reads Corral's `<metadata>` element back (as returned by `virDomainGetMetadata`,
/// whose namespace prefix libvirt may rewrite), without a full XML parser.
enum MetadataParser {
    /// The owner recorded in the element, or nil when uid is missing.
    static func owner(fromXML xml: String) -> DomainOwner? {
        guard let uid = value(of: "uid", in: xml), !uid.isEmpty else { return nil }
        return DomainOwner(uid: uid, namespace: value(of: "namespace", in: xml) ?? "", name: value(of: "name", in: xml) ?? "")
    }

    /// Text of the first element whose local name is `local` (any or no prefix).
    static func value(of local: String, in xml: String) -> String? {
        var rest = Substring(xml)
        while let open = rest.firstIndex(of: "<") {
            rest = rest[rest.index(after: open)...]
            guard let close = rest.firstIndex(of: ">") else { return nil }
            let tag = rest[..<close]
            let tagName = tag.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            let localName = tagName.split(separator: ":").last.map(String.init) ?? tagName
            if localName == local, !tag.hasSuffix("/") {
                let body = rest[rest.index(after: close)...]
                guard let end = body.range(of: "</" + tagName + ">") else { return nil }
                return XMLEscape.unescaped(String(body[..<end.lowerBound]))
            }
            rest = rest[rest.index(after: close)...]
        }
        return nil
    }
}
