import CorralModel

/// The parts of an OCI image config the runtime spec needs (`config` in the image config JSON).
public struct ImageConfig: Equatable, Sendable {
    /// Image `Env` entries, `NAME=value`.
    public var env: [String]
    /// Image `Entrypoint` (replaced by the container's `command`).
    public var entrypoint: [String]
    /// Image `Cmd` (replaced by the container's `args`).
    public var cmd: [String]
    /// Image `WorkingDir`; "" means "/".
    public var workingDir: String
    /// Image `User`: "", "uid", "name", "uid:gid", "name:group".
    public var user: String
    /// Image `StopSignal` (see `Signals.number`).
    public var stopSignal: String?

    /// An image config with the given fields.
    public init(env: [String] = [], entrypoint: [String] = [], cmd: [String] = [], workingDir: String = "",
                user: String = "", stopSignal: String? = nil) {
        self.env = env; self.entrypoint = entrypoint; self.cmd = cmd
        self.workingDir = workingDir; self.user = user; self.stopSignal = stopSignal
    }

    /// Reads an OCI image config document (the object holding `config`), or its `config` member itself.
    public init(json: JSONValue) {
        let c = json["config"] ?? json
        func strings(_ k: String) -> [String] { c[k]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        self.init(env: strings("Env"), entrypoint: strings("Entrypoint"), cmd: strings("Cmd"),
                  workingDir: c["WorkingDir"]?.stringValue ?? "", user: c["User"]?.stringValue ?? "",
                  stopSignal: c["StopSignal"]?.stringValue)
    }
}

/// How mounts below a volume propagate (pod volumeMounts[].mountPropagation).
public enum MountPropagation: String, Equatable, Sendable {
    /// `None`: rprivate.
    case none = "None"
    /// `HostToContainer`: rslave.
    case hostToContainer = "HostToContainer"
    /// `Bidirectional`: rshared.
    case bidirectional = "Bidirectional"
}

/// One bind mount of a host path into the container.
public struct ResolvedMount: Equatable, Sendable {
    /// Mount point inside the container.
    public var containerPath: String
    /// Source on the host (subPath already joined).
    public var hostPath: String
    /// Mounted read-only.
    public var readOnly: Bool
    /// Mount propagation mode.
    public var propagation: MountPropagation
    /// A bind mount of `hostPath` at `containerPath`.
    public init(containerPath: String, hostPath: String, readOnly: Bool = false, propagation: MountPropagation = .none) {
        self.containerPath = containerPath; self.hostPath = hostPath
        self.readOnly = readOnly; self.propagation = propagation
    }
}

/// cgroup hierarchy layout of the host.
public enum CgroupMode: String, Equatable, Sendable {
    /// Only cgroup v1 controllers.
    case v1
    /// v1 controllers plus a v2 hierarchy at /sys/fs/cgroup/unified.
    case hybrid
    /// Pure cgroup v2 at /sys/fs/cgroup.
    case unified
}

/// A device node exposed to privileged containers.
public struct DeviceNode: Equatable, Sendable {
    /// Device path, e.g. /dev/fuse.
    public var path: String
    /// "c" or "b".
    public var type: String
    /// Device numbers, permission bits and owner.
    public var major: Int64, minor: Int64, fileMode: Int64, uid: Int64, gid: Int64
    /// A device node.
    public init(path: String, type: String, major: Int64, minor: Int64, fileMode: Int64 = 0o666, uid: Int64 = 0, gid: Int64 = 0) {
        self.path = path; self.type = type; self.major = major; self.minor = minor
        self.fileMode = fileMode; self.uid = uid; self.gid = gid
    }
}

/// Facts about the host the spec depends on, gathered by `HostProbe` (never read by the pure builder).
public struct HostFacts: Equatable, Sendable {
    /// Go-style architecture: "amd64", "arm64".
    public var arch: String
    /// cgroup layout (a cgroup namespace is added only on unified hosts).
    public var cgroupMode: CgroupMode
    /// Node memory capacity in bytes (OOM score of Burstable pods).
    public var memoryCapacity: Int64
    /// Host devices given to privileged containers.
    public var devices: [DeviceNode]
    /// RLIMIT_NOFILE for container processes.
    public var nofile: Int64

    /// Host facts.
    public init(arch: String = "amd64", cgroupMode: CgroupMode = .unified, memoryCapacity: Int64 = 0,
                devices: [DeviceNode] = [], nofile: Int64 = 1_048_576) {
        self.arch = arch; self.cgroupMode = cgroupMode; self.memoryCapacity = memoryCapacity
        self.devices = devices; self.nofile = nofile
    }
}

/// Everything `OCISpecBuilder` turns into one container's runtime spec.
public struct ContainerSpecInput {
    /// The Pod object.
    public var pod: JSONValue
    /// One element of pod.spec.containers (or initContainers).
    public var container: JSONValue
    /// The image's config.
    public var image: ImageConfig
    /// The container's environment from `EnvResolver` (image env is merged by the builder).
    public var env: [EnvVar]
    /// The process identity from `UserResolver`.
    public var user: ResolvedUser
    /// Volume mounts from `MountPlanner`.
    public var mounts: [ResolvedMount]
    /// The prepared root filesystem (e.g. an overlay mount).
    public var rootfsPath: String
    /// Network namespace to join; nil creates a new one (ignored for hostNetwork pods).
    public var netnsPath: String?
    /// Other namespaces to join, keyed by OCI type ("ipc", "uts", "pid").
    public var namespacePaths: [String: String]
    /// Hostname in the container's UTS namespace (the pod name).
    public var hostname: String
    /// Host files bound at /etc/hosts, /etc/resolv.conf, /etc/hostname, the termination log.
    public var hostsPath: String?
    /// Host file bound at /etc/resolv.conf.
    public var resolvConfPath: String?
    /// Host file bound at /etc/hostname.
    public var hostnamePath: String?
    /// Host file bound at the container's terminationMessagePath.
    public var terminationMessagePath: String?
    /// The pod's shared /dev/shm directory; nil gives the container its own tmpfs.
    public var shmPath: String?
    /// runc cgroupsPath (cgroupfs form, e.g. "/corral/pod<uid>/<id>").
    public var cgroupsPath: String
    /// Facts about this host.
    public var host: HostFacts
    /// Content of the Localhost seccomp profile the pod names (see `SeccompPolicy.choice`).
    public var localhostSeccompProfile: String?

    /// An input with the required parts; optional ones default to none.
    public init(pod: JSONValue, container: JSONValue, image: ImageConfig, env: [EnvVar], user: ResolvedUser,
                mounts: [ResolvedMount] = [], rootfsPath: String, netnsPath: String? = nil,
                namespacePaths: [String: String] = [:], hostname: String, hostsPath: String? = nil,
                resolvConfPath: String? = nil, hostnamePath: String? = nil, terminationMessagePath: String? = nil,
                shmPath: String? = nil, cgroupsPath: String, host: HostFacts, localhostSeccompProfile: String? = nil) {
        self.pod = pod; self.container = container; self.image = image; self.env = env; self.user = user
        self.mounts = mounts; self.rootfsPath = rootfsPath; self.netnsPath = netnsPath
        self.namespacePaths = namespacePaths; self.hostname = hostname; self.hostsPath = hostsPath
        self.resolvConfPath = resolvConfPath; self.hostnamePath = hostnamePath
        self.terminationMessagePath = terminationMessagePath; self.shmPath = shmPath
        self.cgroupsPath = cgroupsPath; self.host = host; self.localhostSeccompProfile = localhostSeccompProfile
    }

    /// A securityContext setting, container level over pod level.
    func security(_ key: String) -> JSONValue? {
        if let v = container[path: ["securityContext", key]], !v.isNull { return v }
        if let v = pod[path: ["spec", "securityContext", key]], !v.isNull { return v }
        return nil
    }

    /// `securityContext.privileged` of the container.
    var privileged: Bool { container[path: ["securityContext", "privileged"]]?.boolValue == true }
}
