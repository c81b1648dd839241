import CorralModel
import Foundation
import XCTest
@testable import CorralContainers

/// A scratch area for one integration test: busybox rootfs, driver directories,
/// unique container ids, and cleanup of everything it started.
final class RuntimeSandbox {
    let dir: String
    let driver: ConmonRuntime
    private(set) var ids: [String] = []
    static let applets = ["sh", "sleep", "echo", "cat", "tail", "id", "ls", "true", "false", "head", "wc", "stty", "hostname", "env", "httpd", "wget", "nc", "grep", "mkdir"]

    /// Fails the test (does not skip) when a required tool is missing, naming the package.
    init(file: StaticString = #filePath, line: UInt = #line) throws {
        guard getuid() == 0 else { throw XCTSkip("needs root (runc + conmon)") }
        for (tool, pkg) in [("runc", "runc"), ("conmon", "conmon")] where HostProbe.which(tool) == nil {
            XCTFail("\(tool) missing: apt-get install -y \(pkg)", file: file, line: line)
            throw ContainersError.noRuntime(tool)
        }
        guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            XCTFail("/bin/busybox missing: apt-get install -y busybox-static", file: file, line: line)
            throw ContainersError.noRuntime("busybox")
        }
        dir = "/tmp/corral-ct-\(UUID().uuidString.prefix(8).lowercased())"
        let runtime = try OCIRuntimeChoice.choose(override: nil, cgroupMode: HostProbe.cgroupMode(), available: HostProbe.availableRuntimes())
        driver = ConmonRuntime(runtime: runtime, root: dir + "/runc", stateDir: dir + "/state")
    }

    /// A fresh busybox root filesystem directory.
    func makeRootfs(_ name: String) throws -> String {
        let root = "\(dir)/rootfs-\(name)"
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: root + "/bin/busybox")
        for a in Self.applets { try FileManager.default.createSymbolicLink(atPath: "\(root)/bin/\(a)", withDestinationPath: "busybox") }
        try "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/sh\n".write(toFile: root + "/etc/passwd", atomically: true, encoding: .utf8)
        return root
    }

    /// A unique container id (remembered for cleanup).
    func newID(_ label: String) -> String {
        let id = "ct-\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        ids.append(id)
        return id
    }

    /// The spec the product would generate for a one-container pod running `command`.
    func spec(id: String, rootfs: String, command: [String], tty: Bool = false, resources: JSONValue? = nil, netns: String? = nil) throws -> JSONValue {
        var c: JSONValue = ["name": "main", "image": "busybox", "command": .array(command.map { .string($0) }), "tty": .bool(tty)]
        if let resources { c["resources"] = resources }
        let pod: JSONValue = ["metadata": ["name": .string(id), "namespace": "test", "uid": "u"], "spec": ["containers": [c]]]
        let input = ContainerSpecInput(pod: pod, container: c, image: ImageConfig(env: ["PATH=/bin"]),
                                       env: try EnvResolver.resolve(pod: pod, container: c, sources: EnvSources()).env,
                                       user: ResolvedUser(uid: 0, gid: 0, additionalGids: [], home: "/"),
                                       rootfsPath: rootfs, netnsPath: netns, hostname: "h-\(id.prefix(20))",
                                       cgroupsPath: "corral-test/\(id)", host: HostProbe.hostFacts())
        return try OCISpecBuilder.build(input)
    }

    /// Creates and starts a container running `command`; returns (id, pid, logPath).
    func run(_ label: String, _ command: [String], tty: Bool = false, stdin: Bool = false, stdinOnce: Bool = false,
             resources: JSONValue? = nil, netns: String? = nil) throws -> (String, Int32, String) {
        let id = newID(label)
        let rootfs = try makeRootfs(id)
        let log = "\(dir)/logs/\(id).log"
        let pid = try driver.create(id: id, bundle: "\(dir)/bundles/\(id)", spec: try spec(id: id, rootfs: rootfs, command: command, tty: tty, resources: resources, netns: netns),
                                    logPath: log, options: ConmonOptions(tty: tty, stdin: stdin, leaveStdinOpen: !stdinOnce))
        return (id, pid, log)
    }

    /// Deletes every container and the scratch directory.
    func cleanup() async {
        for id in ids { try? await driver.delete(id: id) }
        ConmonRuntime.removeCgroup("corral-test")
        for ns in netnsNames { _ = try? ChildProcess.run("/usr/sbin/ip", ["netns", "del", ns]) }
        try? FileManager.default.removeItem(atPath: dir)
    }

    private var netnsNames: [String] = []

    /// A network namespace of our own with loopback up (deleted by `cleanup`).
    func makeNetns() throws -> String {
        let name = "corral-h-containers-\(UUID().uuidString.prefix(6).lowercased())"
        let ip = HostProbe.which("ip") ?? "/usr/sbin/ip"
        guard try ChildProcess.run(ip, ["netns", "add", name]).status == 0 else { throw ContainersError.noRuntime("ip netns add failed") }
        netnsNames.append(name)
        _ = try ChildProcess.run(ip, ["-n", name, "link", "set", "lo", "up"])
        return "/run/netns/\(name)"
    }

    /// Polls `cond` every 20 ms up to `timeout` seconds.
    static func eventually(_ timeout: TimeInterval = 5, _ cond: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if cond() { return true }
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        return cond()
    }
}
