/// A parsed `WWW-Authenticate` challenge, e.g. `Bearer realm="https://auth/token",service="reg",scope="repository:a:pull"`.
public struct AuthChallenge: Equatable, Sendable {
    /// `bearer` or `basic` (lowercased).
    public var scheme: String
    /// Parameters with lowercased names.
    public var parameters: [String: String]

    /// Parses the first challenge of a header value; nil if it is empty or malformed.
    public static func parse(_ header: String) -> AuthChallenge? {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") else {
            return trimmed.isEmpty ? nil : AuthChallenge(scheme: trimmed.lowercased(), parameters: [:])
        }
        let scheme = trimmed[..<space].lowercased()
        var params: [String: String] = [:]
        var rest = Array(trimmed[trimmed.index(after: space)...])
        var i = 0
        while i < rest.count {
            while i < rest.count && (rest[i] == " " || rest[i] == ",") { i += 1 }
            var name = ""
            while i < rest.count && rest[i] != "=" && rest[i] != "," { name.append(rest[i]); i += 1 }
            guard i < rest.count, rest[i] == "=" else { break }
            i += 1
            var value = ""
            if i < rest.count && rest[i] == "\"" {
                i += 1
                while i < rest.count && rest[i] != "\"" {
                    if rest[i] == "\\" && i + 1 < rest.count { i += 1 }
                    value.append(rest[i]); i += 1
                }
                i += 1
            } else {
                while i < rest.count && rest[i] != "," { value.append(rest[i]); i += 1 }
                value = value.trimmingCharacters(in: .whitespaces)
            }
            params[name.trimmingCharacters(in: .whitespaces).lowercased()] = value
        }
        rest.removeAll()
        return AuthChallenge(scheme: scheme, parameters: params)
    }

    /// The token endpoint URL for a Bearer challenge, asking for `scope` when the challenge gave none.
    public func tokenURL(defaultScope: String) -> String? {
        guard scheme == "bearer", let realm = parameters["realm"], !realm.isEmpty else { return nil }
        var query: [String] = []
        if let service = parameters["service"] { query.append("service=" + Self.encode(service)) }
        query.append("scope=" + Self.encode(parameters["scope"] ?? defaultScope))
        return realm + (realm.contains("?") ? "&" : "?") + query.joined(separator: "&")
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

import Foundation
