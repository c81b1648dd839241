import CorralModel

/// Where the caller put one pod volume on the host.
public struct VolumeHostPath: Equatable, Sendable {
    /// The volume's directory (or file) on the host.
    public var hostPath: String
    /// Volumes that are always read-only (configMap, secret, downwardAPI, projected).
    public var forceReadOnly: Bool
    /// A volume at `hostPath`.
    public init(_ hostPath: String, forceReadOnly: Bool = false) { self.hostPath = hostPath; self.forceReadOnly = forceReadOnly }
}

/// Turns `container.volumeMounts` into bind mounts, given each volume's host path:
/// subPath / subPathExpr (expanded with the container env) are joined below the
/// volume after checking they stay inside it; readOnly and mountPropagation map through.
public enum MountPlanner {
    /// The container's mounts, in the order the pod lists them.
    public static func plan(container: JSONValue, volumes: [String: VolumeHostPath], env: [EnvVar]) throws -> [ResolvedMount] {
        let cname = container["name"]?.stringValue ?? ""
        return try (container["volumeMounts"]?.arrayValue ?? []).map { vm in
            let name = vm["name"]?.stringValue ?? ""
            guard let vol = volumes[name] else { throw ContainersError.unknownVolume(volume: name, container: cname) }
            var sub = vm["subPath"]?.stringValue ?? ""
            if let expr = vm["subPathExpr"]?.stringValue, !expr.isEmpty { sub = EnvExpansion.expand(expr, env: env) }
            var host = vol.hostPath
            if !sub.isEmpty {
                try checkSubPath(sub)
                host = (host.hasSuffix("/") ? String(host.dropLast()) : host) + "/" + sub
            }
            let prop = vm["mountPropagation"]?.stringValue.flatMap(MountPropagation.init(rawValue:)) ?? .none
            return ResolvedMount(containerPath: vm["mountPath"]?.stringValue ?? "", hostPath: host,
                                 readOnly: vol.forceReadOnly || vm["readOnly"]?.boolValue == true, propagation: prop)
        }
    }

    /// kube's subPath rules: relative, no `..` element.
    static func checkSubPath(_ sub: String) throws {
        if sub.hasPrefix("/") { throw ContainersError.invalidSubPath("subPath \"\(sub)\" must be a relative path") }
        if sub.split(separator: "/").contains("..") {
            throw ContainersError.invalidSubPath("subPath \"\(sub)\" must not contain '..'")
        }
    }
}
