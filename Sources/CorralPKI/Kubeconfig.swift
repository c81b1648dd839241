import Foundation

/// Renders and writes kubeconfig files (apiVersion v1, kind Config) that kubectl 1.32 and the
/// Python client accept as they are.
public enum Kubeconfig {
    /// Renders a kubeconfig with one cluster named "corral" (`server` URL and
    /// certificate-authority-data = base64 of `caPEM`), one user `userName` authenticating with a
    /// client certificate (client-certificate-data/client-key-data = base64 of the PEM texts), and one
    /// context `contextName` joining them, with `namespace` if given; current-context is that context.
    public static func render(
        server: String, caPEM: String, userName: String,
        clientCertificatePEM: String, clientKeyPEM: String,
        contextName: String = "corral", namespace: String? = nil
    ) -> String {
        let credentials = [
            "client-certificate-data: \(base64(clientCertificatePEM))",
            "client-key-data: \(base64(clientKeyPEM))",
        ]
        return document(server: server, caPEM: caPEM, userName: userName, credentials: credentials,
                        contextName: contextName, namespace: namespace)
    }

    /// Renders the same kubeconfig as the client-certificate variant, but the user authenticates
    /// with the bearer `token` (sent by kubectl as `Authorization: Bearer <token>`).
    public static func render(
        server: String, caPEM: String, userName: String, token: String,
        contextName: String = "corral", namespace: String? = nil
    ) -> String {
        document(server: server, caPEM: caPEM, userName: userName, credentials: ["token: \(scalar(token))"],
                 contextName: contextName, namespace: namespace)
    }

    /// Writes `text` to `path` atomically (a temporary file in the same directory, fsync, rename)
    /// with mode 0600 regardless of the umask. A missing parent directory is created with mode 0700.
    /// - Throws: ``PKIError`` on any file-system failure; `path` is then left as it was.
    public static func write(_ text: String, to path: String) throws {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            try FileIO.ensureDirectory(parent, mode: 0o700)
        }
        try FileIO.writeAtomically(text, to: path, mode: 0o600)
    }

    /// The common document body.
    private static func document(
        server: String, caPEM: String, userName: String, credentials: [String],
        contextName: String, namespace: String?
    ) -> String {
        let cluster = "corral"
        var lines = [
            "apiVersion: v1",
            "kind: Config",
            "preferences: {}",
            "clusters:",
            "- name: \(scalar(cluster))",
            "  cluster:",
            "    server: \(scalar(server))",
            "    certificate-authority-data: \(base64(caPEM))",
            "users:",
            "- name: \(scalar(userName))",
            "  user:",
        ]
        lines += credentials.map { "    " + $0 }
        lines += [
            "contexts:",
            "- name: \(scalar(contextName))",
            "  context:",
            "    cluster: \(scalar(cluster))",
            "    user: \(scalar(userName))",
        ]
        if let namespace {
            lines.append("    namespace: \(scalar(namespace))")
        }
        lines.append("current-context: \(scalar(contextName))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Base64 of the UTF-8 bytes, on one line.
    private static func base64(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    /// Words a YAML 1.1/1.2 reader would turn into booleans or null when left unquoted.
    private static let reservedWords: Set<String> = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
    ]

    /// A YAML scalar for `value`: plain when it is unmistakably a string (starts with a letter,
    /// only URL-ish characters, not a reserved word), otherwise double-quoted with escapes.
    static func scalar(_ value: String) -> String {
        let plainChars = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@+=[]")
        if let first = value.first, first.isASCII, first.isLetter,
           value.allSatisfy({ plainChars.contains($0) }), !value.hasSuffix(":"),
           !reservedWords.contains(value.lowercased()) {
            return value
        }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += String(format: "\\x%02X", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
