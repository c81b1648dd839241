/// Everything that can go wrong while turning a pod into an OCI spec or while
/// driving conmon and the OCI runtime. Messages are worded like the kubelet's
/// (or runc's) so they can be surfaced unchanged as pod status reasons.
public enum ContainersError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A resource quantity such as `500x` that Kubernetes would not parse.
    case invalidQuantity(String)
    /// An env/envFrom source names a ConfigMap or Secret that does not exist (`kind` is "configmap" or "secret").
    case sourceNotFound(kind: String, namespace: String, name: String)
    /// A key is missing in a ConfigMap or Secret referenced without `optional: true`.
    case keyNotFound(kind: String, key: String, namespace: String, name: String)
    /// `fieldRef.fieldPath` names a field the kubelet cannot expose.
    case unsupportedFieldPath(String)
    /// `resourceFieldRef.resource` names a resource the kubelet cannot expose.
    case unsupportedResource(String)
    /// runAsNonRoot is set but the container would run as uid 0 (or cannot be verified).
    case runAsNonRoot(String)
    /// A user or group name the image's passwd/group files do not contain.
    case unknownUser(String)
    /// A volumeMount names a volume the caller did not resolve.
    case unknownVolume(volume: String, container: String)
    /// subPath is absolute or escapes the volume with `..`.
    case invalidSubPath(String)
    /// Neither the container nor the image provides a command.
    case noCommand(container: String)
    /// A seccomp profile that is unsupported or not valid JSON.
    case invalidSeccompProfile(String)
    /// No usable OCI runtime for this host (missing binary, or refused cgroup mode).
    case noRuntime(String)
    /// A helper program (runc, conmon) failed; `output` is its stderr or message.
    case commandFailed(command: String, status: Int32, output: String)
    /// The container id is unknown to the driver.
    case containerNotFound(String)
    /// A system call failed.
    case system(call: String, errno: Int32)
    /// A file could not be read or written.
    case io(path: String, message: String)

    /// The message, worded like the kubelet's.
    public var description: String {
        switch self {
        case .invalidQuantity(let s):
            return "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': \(s)"
        case .sourceNotFound(let kind, _, let name):
            return "\(kind) \"\(name)\" not found"
        case .keyNotFound(let kind, let key, let ns, let name):
            return "couldn't find key \(key) in \(kind) \(ns)/\(name)"
        case .unsupportedFieldPath(let p):
            return "unsupported fieldPath: \(p)"
        case .unsupportedResource(let r):
            return "unsupported container resource : \(r)"
        case .runAsNonRoot(let m):
            return m
        case .unknownUser(let u):
            return "unable to find user \(u): no matching entries in passwd file"
        case .unknownVolume(let v, let c):
            return "cannot find volume \"\(v)\" to mount into container \"\(c)\""
        case .invalidSubPath(let m):
            return m
        case .noCommand(let c):
            return "no command specified for container \(c)"
        case .invalidSeccompProfile(let m):
            return "invalid seccomp profile: \(m)"
        case .noRuntime(let m):
            return m
        case .commandFailed(let cmd, let status, let out):
            let o = out.trimmingCharacters(in: .whitespacesAndNewlines)
            return "\(cmd) failed (status \(status))" + (o.isEmpty ? "" : ": \(o)")
        case .containerNotFound(let id):
            return "container \"\(id)\" not found"
        case .system(let call, let errno):
            return "\(call): \(String(cString: strerror(errno)))"
        case .io(let path, let m):
            return "\(path): \(m)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation
