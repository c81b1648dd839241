/// A normalised image reference following docker's rules: `busybox` is
/// `docker.io/library/busybox:latest`, `localhost/x/y:tag` keeps its registry, and
/// `host:5000/a/b@sha256:…` carries a digest (and no implied tag). Pure value type.
public struct ImageReference: Hashable, CustomStringConvertible, Sendable {
    /// Registry host with optional port, e.g. `docker.io`, `localhost`, `host:5000`.
    public var domain: String
    /// Repository path inside the registry, e.g. `library/busybox`.
    public var path: String
    /// Tag, if any (defaults to `latest` when neither tag nor digest was given).
    public var tag: String?
    /// Manifest digest, if the reference pins one.
    public var digest: Digest?

    /// The docker hub domain as references spell it.
    public static let dockerHub = "docker.io"

    /// Parses and normalises `string`; throws `ImageError.invalidReference` with the reason.
    public init(parsing string: String) throws {
        func bad(_ why: String) -> ImageError { .invalidReference(string, reason: why) }
        guard !string.isEmpty else { throw bad("empty reference") }
        guard string.utf8.count <= 4096 else { throw bad("too long") }
        var rest = Substring(string)
        if let at = rest.firstIndex(of: "@") {
            digest = try? Digest(String(rest[rest.index(after: at)...]))
            guard digest != nil else { throw bad("invalid digest") }
            rest = rest[..<at]
        }
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let t = String(rest[rest.index(after: colon)...])
            guard ImageReference.isValidTag(t) else { throw bad("invalid tag \"\(t)\"") }
            tag = t
            rest = rest[..<colon]
        }
        var name = String(rest)
        guard !name.isEmpty else { throw bad("missing repository name") }
        if let slash = name.firstIndex(of: "/") {
            let first = String(name[..<slash])
            // Docker treats the first component as a registry when it looks like a host.
            if first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first {
                domain = first
                name = String(name[name.index(after: slash)...])
            } else {
                domain = ImageReference.dockerHub
            }
        } else {
            domain = ImageReference.dockerHub
        }
        if domain == "index.docker.io" { domain = ImageReference.dockerHub }
        if domain == ImageReference.dockerHub && !name.contains("/") { name = "library/" + name }
        guard ImageReference.isValidDomain(domain) else { throw bad("invalid registry host \"\(domain)\"") }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            guard ImageReference.isValidPathComponent(component) else {
                throw bad(name.lowercased() != name ? "repository name must be lowercase" : "invalid repository name \"\(name)\"")
            }
        }
        guard (domain + "/" + name).utf8.count <= 255 else { throw bad("repository name longer than 255 characters") }
        path = name
        if tag == nil && digest == nil { tag = "latest" }
    }

    /// `domain/path`, the repository without tag or digest.
    public var repository: String { domain + "/" + path }

    /// The full normalised form: `domain/path[:tag][@digest]`.
    public var description: String {
        var s = repository
        if let tag { s += ":" + tag }
        if let digest { s += "@" + digest.description }
        return s
    }

    /// What to ask the registry for: the digest when pinned, else the tag.
    public var manifestReference: String { digest?.description ?? tag ?? "latest" }

    /// The same repository with another tag and no digest.
    public func withTag(_ tag: String) -> ImageReference {
        var r = self
        r.tag = tag
        r.digest = nil
        return r
    }

    static func isValidTag(_ t: String) -> Bool {
        let u = Array(t.utf8)
        guard !u.isEmpty, u.count <= 128 else { return false }
        func word(_ c: UInt8) -> Bool { isAlnum(c) || c == 95 }
        return word(u[0]) && u.dropFirst().allSatisfy { word($0) || $0 == 46 || $0 == 45 }
    }

    /// `[a-z0-9]+` separated by `.`, `_`, `__` or runs of `-`.
    static func isValidPathComponent(_ c: Substring) -> Bool {
        let u = Array(c.utf8)
        guard let first = u.first, let last = u.last, isLowerAlnum(first), isLowerAlnum(last) else { return false }
        var i = 0
        while i < u.count {
            if isLowerAlnum(u[i]) { i += 1; continue }
            var j = i
            while j < u.count && !isLowerAlnum(u[j]) { j += 1 }
            let sep = String(decoding: u[i..<j], as: UTF8.self)
            let ok = sep == "." || sep == "_" || sep == "__" || sep.allSatisfy { $0 == "-" }
            if !ok { return false }
            i = j
        }
        return true
    }

    static func isValidDomain(_ d: String) -> Bool {
        var host = Substring(d)
        if let colon = d.lastIndex(of: ":"), !d.hasPrefix("[") || d[..<colon].hasSuffix("]") {
            let port = d[d.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            host = d[..<colon]
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { return host.count > 2 }
        return !host.isEmpty && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let u = Array(label.utf8)
            guard let f = u.first, let l = u.last, isAlnum(f), isAlnum(l) else { return false }
            return u.allSatisfy { isAlnum($0) || $0 == 45 }
        }
    }

    private static func isAlnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
    private static func isLowerAlnum(_ c: UInt8) -> Bool { (c >= 48 && c <= 57) || (c >= 97 && c <= 122) }
}
