import CorralModel
@testable import CorralContainers

/// Pod/container inputs shared by the golden and semantic spec tests.
enum SpecFixtures {
    static let host = HostFacts(arch: "amd64", cgroupMode: .hybrid, memoryCapacity: 8 << 30,
                                devices: [DeviceNode(path: "/dev/fuse", type: "c", major: 10, minor: 229)], nofile: 1_048_576)
    static let root = ResolvedUser(uid: 0, gid: 0, additionalGids: [], home: "/root")

    static func pod(_ name: String, spec: JSONValue) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod",
         "metadata": ["name": .string(name), "namespace": "default", "uid": .string("uid-\(name)")], "spec": spec]
    }

    static func input(_ pod: JSONValue, containerIndex: Int = 0, image: ImageConfig = ImageConfig(cmd: ["sh"]),
                      user: ResolvedUser = root, mounts: [ResolvedMount] = [], env: [EnvVar]? = nil,
                      seccomp: String? = nil) throws -> ContainerSpecInput {
        let c = pod[path: ["spec", "containers"]]!.arrayValue![containerIndex]
        let resolvedEnv = try env ?? EnvResolver.resolve(pod: pod, container: c, sources: EnvSources(podIPs: ["10.42.0.7"])).env
        let name = pod[path: ["metadata", "name"]]!.stringValue!
        return ContainerSpecInput(
            pod: pod, container: c, image: image, env: resolvedEnv, user: user, mounts: mounts,
            rootfsPath: "/var/lib/corral/containers/\(name)/rootfs", netnsPath: "/run/netns/corral-\(name)",
            hostname: name, hostsPath: "/var/lib/corral/pods/\(name)/hosts",
            resolvConfPath: "/var/lib/corral/pods/\(name)/resolv.conf", hostnamePath: "/var/lib/corral/pods/\(name)/hostname",
            terminationMessagePath: "/var/lib/corral/pods/\(name)/termination-log",
            cgroupsPath: "/corral/pod-uid-\(name)/\(c["name"]!.stringValue!)", host: host, localhostSeccompProfile: seccomp)
    }

    /// Golden cases: name → input.
    static func cases() throws -> [(String, ContainerSpecInput)] {
        let basic = pod("basic", spec: ["containers": [[
            "name": "main", "image": "busybox", "command": ["sh", "-c"], "args": ["echo $(GREETING); sleep 30"],
            "env": [["name": "GREETING", "value": "hi"], ["name": "POD_IP", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]]],
        ]]])
        let restricted = pod("restricted", spec: [
            "securityContext": ["runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000, "runAsNonRoot": true,
                                "sysctls": [["name": "net.ipv4.ip_unprivileged_port_start", "value": "0"]]],
            "containers": [[
                "name": "app", "image": "app:1", "workingDir": "/srv", "args": ["--port", "8080"],
                "resources": ["limits": ["cpu": "500m", "memory": "128Mi"], "requests": ["cpu": "250m", "memory": "64Mi"]],
                "securityContext": ["allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                    "capabilities": ["drop": ["ALL"], "add": ["net_bind_service"]]],
                "volumeMounts": [["name": "data", "mountPath": "/srv/data"], ["name": "cfg", "mountPath": "/etc/app", "readOnly": true]],
            ]],
        ])
        let restrictedMounts = [
            ResolvedMount(containerPath: "/srv/data/cache", hostPath: "/var/lib/corral/pods/restricted/volumes/cache", propagation: .hostToContainer),
            ResolvedMount(containerPath: "/srv/data", hostPath: "/var/lib/corral/pods/restricted/volumes/data"),
            ResolvedMount(containerPath: "/etc/app", hostPath: "/var/lib/corral/pods/restricted/volumes/cfg", readOnly: true),
        ]
        let privileged = pod("privileged", spec: ["hostNetwork": true, "hostPID": true, "containers": [[
            "name": "agent", "image": "agent", "command": ["/agent"], "tty": true,
            "securityContext": ["privileged": true, "seccompProfile": ["type": "RuntimeDefault"]],
        ]]])
        let guaranteed = pod("guaranteed", spec: [
            "securityContext": ["seccompProfile": ["type": "Localhost", "localhostProfile": "profiles/audit.json"]],
            "containers": [[
                "name": "db", "image": "db", "args": ["-c", "max_connections=$(CONN)"],
                "env": [["name": "CONN", "value": "50"], ["name": "PATH", "value": "/opt/db/bin:/usr/bin:/bin"]],
                "resources": ["limits": ["cpu": "2", "memory": "1Gi"]],
                "securityContext": ["capabilities": ["add": ["SYS_ADMIN"], "drop": ["NET_RAW"]]],
            ]],
        ])
        let localProfile = """
        {"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}],
         "syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"},
                     {"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
                     {"names":["reboot"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_BOOT"]}}]}
        """
        let dbImage = ImageConfig(env: ["PATH=/usr/bin", "PGDATA=/var/lib/db"], entrypoint: ["/usr/bin/db"], cmd: ["--default"],
                                  workingDir: "/var/lib/db", user: "999")
        return [
            ("basic", try input(basic, image: ImageConfig(env: ["PATH=/bin"], cmd: ["sh"]))),
            ("restricted", try input(restricted, image: ImageConfig(entrypoint: ["/app"], cmd: ["--help"]),
                                     user: ResolvedUser(uid: 1000, gid: 3000, additionalGids: [2000], home: "/"), mounts: restrictedMounts)),
            ("privileged", try input(privileged)),
            ("guaranteed", try input(guaranteed, image: dbImage, user: ResolvedUser(uid: 999, gid: 999, additionalGids: [], home: "/"),
                                     seccomp: localProfile)),
        ]
    }
}
