/// Kubernetes' `$(VAR)` expansion for command, args, env values and subPathExpr.
/// `$(NAME)` becomes the value of NAME when defined and stays literal otherwise;
/// `$$` escapes to `$`, so `$$(NAME)` yields the literal `$(NAME)`.
public enum EnvExpansion {
    /// Expands `input` with `lookup`; an unknown name is left as `$(NAME)`.
    public static func expand(_ input: String, _ lookup: (String) -> String?) -> String {
        let s = Array(input.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            guard s[i] == UInt8(ascii: "$"), i + 1 < s.count else {
                out.append(s[i]); i += 1; continue
            }
            let next = s[i + 1]
            if next == UInt8(ascii: "$") {
                out.append(next); i += 2
            } else if next == UInt8(ascii: "("), let close = s[(i + 2)...].firstIndex(of: UInt8(ascii: ")")) {
                let name = String(decoding: s[(i + 2)..<close], as: UTF8.self)
                if let v = lookup(name) { out.append(contentsOf: v.utf8) } else { out.append(contentsOf: "$(\(name))".utf8) }
                i = close + 1
            } else {
                // Not a reference (or an unclosed one): keep the `$` and move on one byte, as kube does.
                out.append(s[i]); out.append(next); i += 2
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Expands with an ordered environment list (later entries win).
    public static func expand(_ input: String, env: [EnvVar]) -> String {
        var map: [String: String] = [:]
        for e in env { map[e.name] = e.value }
        return expand(input) { map[$0] }
    }
}

/// One resolved environment variable.
public struct EnvVar: Equatable, Sendable, CustomStringConvertible {
    /// Variable name.
    public var name: String
    /// Variable value.
    public var value: String
    /// A variable `name=value`.
    public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    /// `NAME=value`, the OCI form.
    public var description: String { "\(name)=\(value)" }
}
