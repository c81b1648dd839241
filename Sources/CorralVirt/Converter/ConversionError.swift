/// Why a VMI could not be turned into a libvirt domain.
/// `field` is the KubeVirt field path (`spec.domain.devices.disks[0].name`) so the
/// message can be shown on the VMI as is.
public enum DomainConversionError: Error, CustomStringConvertible, Equatable {
    /// The VMI spec holds a value the converter cannot use.
    case invalidField(field: String, message: String)
    /// The spec asks for something Corral does not implement.
    case unsupported(field: String, message: String)
    /// The caller did not resolve a host resource the spec needs (a bug in the node agent).
    case missingHostResource(field: String, message: String)

    /// The KubeVirt field path the error is about.
    public var field: String {
        switch self {
        case .invalidField(let f, _), .unsupported(let f, _), .missingHostResource(let f, _): return f
        }
    }

    public var description: String {
        switch self {
        case .invalidField(let f, let m): return "\(f): \(m)"
        case .unsupported(let f, let m): return "\(f): not supported: \(m)"
        case .missingHostResource(let f, let m): return "\(f): host resource not prepared: \(m)"
        }
    }
}
