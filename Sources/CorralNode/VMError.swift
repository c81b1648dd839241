import CorralVirt

/// Failures of the VM side of the node agent, in words for events.
enum VMError: Error, CustomStringConvertible {
    case missingTool(String)
    case volume(String)
    case image(String)
    /// The VMI spec cannot work on this node, at this KubeVirt field path: retrying does not
    /// help, so the VMI fails with the path in its condition and event.
    case field(String, String)

    var description: String {
        switch self {
        case .missingTool(let m), .volume(let m), .image(let m): return m
        case .field(let path, let m): return "\(path): \(m)"
        }
    }

    /// Runs `body`, turning a `.volume` failure into a `.field` failure at `path`.
    static func at<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch VMError.volume(let m) { throw VMError.field(path, m) }
    }

    /// The message of an error no retry can fix (a bad spec), naming the field; nil for
    /// errors worth retrying (image pulls, libvirt or the host being busy).
    static func permanentMessage(_ error: Error) -> String? {
        switch error {
        case let e as VMError: if case .field = e { return e.description }
        case let e as DomainConversionError: return e.description
        case let e as CloudInitError:
            if case .buildFailed = e { return nil }
            return e.description
        default: break
        }
        return nil
    }
}
