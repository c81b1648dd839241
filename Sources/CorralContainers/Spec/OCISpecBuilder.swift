import CorralModel

/// Builds the OCI runtime spec (`config.json`) of one container from the pod,
/// the container, the image config and host facts. Pure: the same input always
/// gives the same JSON, so the result is golden-file tested.
public enum OCISpecBuilder {
    /// The OCI spec version written into `ociVersion`.
    public static let ociVersion = "1.0.2"
    /// PATH used when the image does not set one (containerd's default).
    public static let defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// The spec, or an error for impossible input (no command, runAsNonRoot violated, bad seccomp profile…).
    public static func build(_ input: ContainerSpecInput) throws -> JSONValue {
        if input.security("runAsNonRoot")?.boolValue == true, input.user.uid == 0 {
            // UserResolver reports this first; repeated here so a hand-made ResolvedUser cannot bypass it.
            throw ContainersError.runAsNonRoot("container has runAsNonRoot and image will run as root (pod: \"\(UserResolver.podDescription(input.pod))\", container: \(input.container["name"]?.stringValue ?? ""))")
        }
        let caps = Capabilities.effective(securityContext: input.container["securityContext"])
        let resources = try ContainerResources(container: input.container)
        var spec: JSONValue = ["ociVersion": .string(ociVersion)]
        spec["process"] = try process(input, caps: caps, resources: resources)
        spec["root"] = ["path": .string(input.rootfsPath), "readonly": .bool(input.security("readOnlyRootFilesystem")?.boolValue == true)]
        if input.pod[path: ["spec", "hostNetwork"]]?.boolValue != true || input.namespacePaths["uts"] != nil {
            spec["hostname"] = .string(input.hostname)
        }
        spec["mounts"] = .array(MountsConfigurator.mounts(input))
        spec["annotations"] = annotations(input)
        spec["linux"] = try LinuxConfigurator.linux(input, caps: caps, resources: resources)
        return spec
    }

    /// The process arguments with Kubernetes semantics: `command` replaces ENTRYPOINT,
    /// `args` replaces CMD (and command without args drops CMD); `$(VAR)` expanded from the container env.
    public static func arguments(container: JSONValue, image: ImageConfig, env: [EnvVar]) throws -> [String] {
        let command = container["command"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let args = container["args"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var map: [String: String] = [:]
        for e in env { map[e.name] = e.value }
        let expand = { (s: String) in EnvExpansion.expand(s) { map[$0] } }
        let result: [String]
        if !command.isEmpty {
            result = command.map(expand) + args.map(expand)
        } else if !args.isEmpty {
            result = image.entrypoint + args.map(expand)
        } else {
            result = image.entrypoint + image.cmd
        }
        guard !result.isEmpty else { throw ContainersError.noCommand(container: container["name"]?.stringValue ?? "") }
        return result
    }

    /// Environment in containerd's order: default PATH, HOSTNAME, image env, then the container's
    /// (a later definition replaces an earlier one in place).
    public static func environment(image: ImageConfig, env: [EnvVar], hostname: String) -> [String] {
        var merged = OrderedEnv()
        for entry in [defaultPath, "HOSTNAME=\(hostname)"] + image.env {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            merged.set(String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
        for e in env { merged.set(e.name, e.value) }
        return merged.items.map(\.description)
    }

    static func process(_ input: ContainerSpecInput, caps: [String], resources: ContainerResources) throws -> JSONValue {
        let c = input.container
        let capsJSON: JSONValue = .array(caps.map { .string($0) })
        let workingDir = c["workingDir"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            ?? (input.image.workingDir.isEmpty ? "/" : input.image.workingDir)
        var user: JSONValue = ["uid": .int(Int64(input.user.uid)), "gid": .int(Int64(input.user.gid))]
        if !input.user.additionalGids.isEmpty { user["additionalGids"] = .array(input.user.additionalGids.map { .int(Int64($0)) }) }
        // Kubernetes sets no_new_privs only when allowPrivilegeEscalation is explicitly false (kubelet AddNoNewPrivileges).
        let noNewPrivs = !input.privileged && input.container[path: ["securityContext", "allowPrivilegeEscalation"]]?.boolValue == false
        let qos = QoSClass.of(pod: input.pod)
        let oom = ContainerResources.oomScoreAdj(qos: qos, memoryRequest: resources.memoryRequest, memoryCapacity: input.host.memoryCapacity)
        var p: JSONValue = [
            "terminal": .bool(c["tty"]?.boolValue == true),
            "user": user,
            "args": .array(try arguments(container: c, image: input.image, env: input.env).map { .string($0) }),
            "env": .array(environment(image: input.image, env: input.env, hostname: input.hostname).map { .string($0) }),
            "cwd": .string(workingDir),
            "capabilities": ["bounding": capsJSON, "effective": capsJSON, "permitted": capsJSON, "inheritable": [], "ambient": []],
            "rlimits": [["type": "RLIMIT_NOFILE", "hard": .int(input.host.nofile), "soft": .int(input.host.nofile)]],
            "noNewPrivileges": .bool(noNewPrivs),
            "oomScoreAdj": .int(Int64(oom)),
        ]
        if c["tty"]?.boolValue == true { p["consoleSize"] = ["height": 24, "width": 80] }
        return p
    }

    static func annotations(_ input: ContainerSpecInput) -> JSONValue {
        let meta = input.pod["metadata"] ?? .null
        return [
            "io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.container-name": .string(input.container["name"]?.stringValue ?? ""),
            "io.kubernetes.cri.sandbox-name": .string(meta["name"]?.stringValue ?? ""),
            "io.kubernetes.cri.sandbox-namespace": .string(meta["namespace"]?.stringValue ?? "default"),
            "io.kubernetes.cri.sandbox-uid": .string(meta["uid"]?.stringValue ?? ""),
        ]
    }
}
