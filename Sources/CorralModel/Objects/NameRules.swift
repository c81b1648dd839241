/// Which syntax a type's `metadata.name` must follow (kube-apiserver's per-type choice).
public enum NameRule: Sendable {
    case dns1123Subdomain, dns1123Label, dns1035Label, pathSegment

    /// The rule Kubernetes applies to a type's names.
    public static func forType(_ t: ResourceType) -> NameRule {
        switch t.storageKey {
        case "namespaces": return .dns1123Label
        case "services": return .dns1035Label
        case _ where t.group == "rbac.authorization.k8s.io": return .pathSegment
        default: return .dns1123Subdomain
        }
    }

    /// Messages for a bad name, worded as apimachinery's validation words them; empty when valid.
    public func problems(_ name: String) -> [String] {
        switch self {
        case .dns1123Subdomain:
            var out: [String] = []
            if name.utf8.count > 253 { out.append("must be no more than 253 characters") }
            if !NameRule.isSubdomain(name) {
                out.append("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
            }
            return out
        case .dns1123Label:
            var out: [String] = []
            if name.utf8.count > 63 { out.append("must be no more than 63 characters") }
            if !NameRule.isLabel(name) {
                out.append("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
            }
            return out
        case .dns1035Label:
            var out: [String] = []
            if name.utf8.count > 63 { out.append("must be no more than 63 characters") }
            if !NameRule.isLabel(name) || !(name.first?.isLetter ?? false) {
                out.append("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
            }
            return out
        case .pathSegment:
            if name == "." || name == ".." { return ["may not be '\(name)'"] }
            if name.contains("/") { return ["may not contain '/'"] }
            if name.contains("%") { return ["may not contain '%'"] }
            return []
        }
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 bytes.
    public static func isLabel<S: StringProtocol>(_ s: S) -> Bool {
        let b = Array(s.utf8)
        guard !b.isEmpty, b.count <= 63 else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        guard alnum(b.first!), alnum(b.last!) else { return false }
        return b.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// Dot-separated labels, at most 253 bytes.
    public static func isSubdomain(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isLabel($0) }
    }
}
