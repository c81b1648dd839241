/// Label key and value syntax, as `k8s.io/apimachinery/pkg/util/validation`
/// checks it (`IsQualifiedName`, `IsValidLabelValue`), with the same messages.
extension LabelSelector {
    /// The problems with `key` as a label key (a qualified name: an optional
    /// DNS-1123 subdomain prefix and '/', then a name of at most 63 characters
    /// matching `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`). Empty when valid.
    public static func labelKeyErrors(_ key: String) -> [String] {
        var errs: [String] = []
        let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name: String
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errs.append("prefix part must be non-empty")
            } else {
                errs.append(contentsOf: dns1123SubdomainErrors(prefix).map { "prefix part " + $0 })
            }
        default:
            return ["a qualified name " + regexError(qualifiedNameMessage, qualifiedNameFormat, ["MyName", "my.name", "123-abc"])
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            errs.append("name part must be non-empty")
        } else if name.utf8.count > 63 {
            errs.append("name part must be no more than 63 characters")
        }
        if !isQualifiedNamePart(name) {
            errs.append("name part " + regexError(qualifiedNameMessage, qualifiedNameFormat, ["MyName", "my.name", "123-abc"]))
        }
        return errs
    }

    /// The problems with `value` as a label value (empty, or at most 63
    /// characters matching the qualified-name pattern). Empty when valid.
    public static func labelValueErrors(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 63 {
            errs.append("must be no more than 63 characters")
        }
        if !(value.isEmpty || isQualifiedNamePart(value)) {
            errs.append(regexError(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                "(" + qualifiedNameFormat + ")?", ["MyValue", "my_value", "12345"]))
        }
        return errs
    }

    static let qualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let qualifiedNameMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"

    static func dns1123SubdomainErrors(_ value: String) -> [String] {
        var errs: [String] = []
        if value.utf8.count > 253 {
            errs.append("must be no more than 253 characters")
        }
        let labelsOK = value.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            let b = Array(label.utf8)
            guard let first = b.first, let last = b.last else { return false }
            func lowerAlnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
            return lowerAlnum(first) && lowerAlnum(last) && b.allSatisfy { lowerAlnum($0) || $0 == 45 }
        }
        if !labelsOK {
            errs.append(regexError(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", ["example.com"]))
        }
        return errs
    }

    /// Matches `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]` (ASCII only, like Go's regexp here).
    static func isQualifiedNamePart(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first, let last = b.last else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) }
        return alnum(first) && alnum(last) && b.allSatisfy { alnum($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }

    /// apimachinery's `RegexError` wording.
    static func regexError(_ msg: String, _ format: String, _ examples: [String]) -> String {
        if examples.isEmpty { return msg + " (regex used for validation is '" + format + "')" }
        var out = msg + " (e.g. "
        for (i, e) in examples.enumerated() {
            if i > 0 { out += " or " }
            out += "'" + e + "', "
        }
        return out + "regex used for validation is '" + format + "')"
    }

    /// Go's JSON rendering of a `[]string` bad value (`null` when nil/empty was passed as nil).
    static func goJSONStrings(_ values: [String]?) -> String {
        guard let values else { return "null" }
        return "[" + values.map { JSONValue.string($0).jsonString() }.joined(separator: ",") + "]"
    }
}
