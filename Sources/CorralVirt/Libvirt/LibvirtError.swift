import CLibvirt

/// A failed libvirt call, with libvirt's own message (from `virGetLastError`).
public enum LibvirtError: Error, CustomStringConvertible, Equatable {
    /// Could not connect to the daemon at `uri`.
    case connectionFailed(uri: String, message: String)
    /// No domain with this UUID (or name) exists.
    case domainNotFound(String)
    /// Any other failure: which operation, libvirt's error code and message.
    case operationFailed(operation: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case .connectionFailed(let uri, let m): return "cannot connect to libvirt at \(uri): \(m)"
        case .domainNotFound(let id): return "libvirt domain \(id) not found"
        case .operationFailed(let op, let code, let m): return "libvirt \(op) failed (code \(code)): \(m)"
        }
    }

    /// True when the error means "the domain is gone", which callers often treat as success.
    public var isNotFound: Bool { if case .domainNotFound = self { return true }; return false }

    /// Builds an error from the calling thread's last libvirt error.
    static func last(_ operation: String, domain: String? = nil) -> LibvirtError {
        guard let err = virGetLastError() else {
            return .operationFailed(operation: operation, code: -1, message: "unknown error")
        }
        let code = err.pointee.code
        let message = err.pointee.message.map { String(cString: $0) } ?? "unknown error"
        if code == Int32(VIR_ERR_NO_DOMAIN.rawValue), let domain { return .domainNotFound(domain) }
        return .operationFailed(operation: operation, code: code, message: message)
    }
}
