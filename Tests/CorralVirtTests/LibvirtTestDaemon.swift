import Foundation
import XCTest
@testable import CorralVirt

/// libvirtd + virtlogd for root integration tests. libvirtd's sockets live at fixed paths under
/// /run/libvirt, so only one can run per machine: if one is already answering, the tests use it
/// and leave it alone; otherwise they start their own inside a fresh network namespace and stop
/// exactly those processes (by PID) afterwards.
final class LibvirtTestDaemon {
    let namespace: String?
    private var pids: [Int32] = []
    private var runDir: String?

    static let socketPath = "/run/libvirt/libvirt-sock"

    /// Reuses a running libvirtd or starts one; throws XCTSkip when the e2e tier is not enabled.
    static func acquire() throws -> LibvirtTestDaemon {
        guard ProcessInfo.processInfo.environment["CORRAL_VIRT_E2E"] == "1" else {
            throw XCTSkip("libvirt end-to-end test: set CORRAL_VIRT_E2E=1 (needs root, libvirt-daemon-system, qemu-system-x86)")
        }
        guard getuid() == 0 else { throw XCTSkip("libvirt end-to-end test needs root") }
        // Without this libvirt re-probes QEMU on every call (see QEMUFiles.ensureKVMDeviceAccess).
        try QEMUFiles.ensureKVMDeviceAccess()
        // Same lock as tools/e2e.sh and tools/bench-vms.py: one libvirt user at a time.
        let lockFD = try takeMachineLock()
        if socketAnswers(socketPath) {
            return LibvirtTestDaemon(namespace: nil, pids: [], lockFD: lockFD)
        }
        let ns = "corral-virt-e2e-\(getpid())"
        try run("/usr/sbin/ip", ["netns", "add", ns])
        try run("/usr/sbin/ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"])
        let dir = "/run/corral-virt-e2e-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // A virtlogd someone else left running keeps serving; start ours only if there is none.
        let ownLogd = !socketAnswers("/run/libvirt/virtlogd-sock")
        let daemon = LibvirtTestDaemon(namespace: ns, pids: [], lockFD: lockFD)
        daemon.runDir = dir
        // Record each PID as soon as it exists, so a failure below still stops what was started.
        for (name, wanted) in [("virtlogd", ownLogd), ("libvirtd", true)] where wanted {
            let pidFile = dir + "/\(name).pid"
            let ok = spawnDaemon(["netns", "exec", ns, "/usr/sbin/" + name, "-d", "-p", pidFile])
            if let pid = alivePID(file: pidFile) { daemon.pids.insert(pid, at: 0) }  // stop libvirtd before virtlogd
            guard ok else {
                daemon.stop()
                XCTFail("\(name) -d did not start within 30 s in namespace \(ns)")
                throw XCTSkip("\(name) did not start")
            }
        }
        for _ in 0..<100 {
            if FileManager.default.fileExists(atPath: socketPath), socketAnswers(socketPath) { return daemon }
            usleep(100_000)
        }
        daemon.stop()
        XCTFail("libvirtd did not come up in namespace \(ns)")
        throw XCTSkip("libvirtd did not start")
    }

    private var lockFD: Int32

    private init(namespace: String?, pids: [Int32], lockFD: Int32) {
        self.namespace = namespace
        self.pids = pids
        self.lockFD = lockFD
    }

    static let lockPath = "/run/corral-libvirt.lock"

    /// Waits (up to 30 minutes) for the machine-wide libvirt lock and returns its descriptor.
    static func takeMachineLock() throws -> Int32 {
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw XCTSkip("cannot open \(lockPath)") }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return fd }
        FileHandle.standardError.write(Data("waiting for \(lockPath) (another libvirt user)\n".utf8))
        // A blocking flock queues us with the other waiters; polling would keep losing the race.
        let got = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            flock(fd, LOCK_EX)
            got.signal()
        }
        guard got.wait(timeout: .now() + 1800) == .success else {
            XCTFail("\(lockPath) held for 30 minutes")
            throw XCTSkip("lock")
        }
        return fd
    }

    /// Whether some daemon accepts connections on the unix socket at `path`.
    static func socketAnswers(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in path.utf8.prefix(buf.count - 1).enumerated() { buf[i] = b }
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
    }

    /// The PID a pid file names, if that process is alive.
    static func alivePID(file: String) -> Int32? {
        guard let s = try? String(contentsOfFile: file, encoding: .utf8),
              let pid = Int32(s.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0 else { return nil }
        return pid
    }

    /// Runs `ip ARGS` for a self-daemonizing program; false if it fails or takes over 30 s.
    /// Output goes to /dev/null: the daemon keeps inherited descriptors open, so reading a pipe
    /// to its end would never return.
    static func spawnDaemon(_ args: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        let deadline = Date().addingTimeInterval(30)
        while p.isRunning, Date() < deadline { usleep(50_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            return false
        }
        return p.terminationStatus == 0
    }

    /// Stops what this object started (libvirtd first, then virtlogd) and deletes its namespace.
    func stop() {
        for pid in pids {
            kill(pid, SIGTERM)
            for _ in 0..<50 where kill(pid, 0) == 0 { usleep(100_000) }
        }
        pids = []
        if let runDir { try? FileManager.default.removeItem(atPath: runDir) }
        if lockFD >= 0 { flock(lockFD, LOCK_UN); close(lockFD); lockFD = -1 }
        if let namespace { _ = try? LibvirtTestDaemon.run("/usr/sbin/ip", ["netns", "delete", namespace]) }
    }

    @discardableResult
    static func run(_ tool: String, _ args: [String]) throws -> String {
        let (status, out) = try runTool(tool, args)
        guard status == 0 else { throw NSError(domain: "LibvirtTestDaemon", code: Int(status), userInfo: [NSLocalizedDescriptionKey: "\(tool) \(args): \(out)"]) }
        return out
    }
}

/// A Debian kernel and a one-binary busybox initramfs whose /init prints the marker on ttyS0.
enum TestGuest {
    static let marker = "corral-virt-test-ok"

    /// The kernel: $CORRAL_TEST_KERNEL, the helper's cache, or the host's /boot/vmlinuz-*.
    static func kernel() throws -> String {
        var candidates = [ProcessInfo.processInfo.environment["CORRAL_TEST_KERNEL"], "/var/cache/corral-virt-test/vmlinuz"].compactMap { $0 }
        if let boot = try? FileManager.default.contentsOfDirectory(atPath: "/boot") {
            candidates += boot.filter { $0.hasPrefix("vmlinuz-") }.sorted().reversed().map { "/boot/" + $0 }
        }
        guard let k = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
            XCTFail("""
                no guest kernel: set CORRAL_TEST_KERNEL, or run: mkdir -p /var/cache/corral-virt-test && cd $_ && \
                apt-get download linux-image-6.1.0-*-amd64 && dpkg-deb --fsys-tarfile linux-image-*.deb | tar -xO ./boot/vmlinuz-* > vmlinuz
                """)
            throw XCTSkip("no kernel")
        }
        return k
    }

    /// Writes initramfs.cpio.gz into `dir` (busybox-static + /init) and returns its path.
    static func initramfs(in dir: String) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            XCTFail("busybox missing: apt-get install -y busybox-static")
            throw XCTSkip("no busybox")
        }
        let root = dir + "/initramfs-root"
        for d in ["bin", "dev", "proc", "sys"] {
            try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: root + "/bin/busybox")
        let initScript = """
            #!/bin/busybox sh
            /bin/busybox mount -t devtmpfs dev /dev
            /bin/busybox mount -t proc proc /proc
            (while /bin/busybox true; do read -r line < /dev/ttyS0 && echo "echo:$line" > /dev/ttyS0; [ "$line" = poweroff ] && /bin/busybox poweroff -f; done) &
            while /bin/busybox true; do echo "\(marker)" > /dev/ttyS0; /bin/busybox sleep 1; done

            """
        try initScript.write(toFile: root + "/init", atomically: true, encoding: .utf8)
        chmod(root + "/init", 0o755)
        let out = dir + "/initramfs.cpio.gz"
        try LibvirtTestDaemon.run("/bin/sh", ["-c", "cd '\(root)' && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1 > '\(out)'"])
        return out
    }
}
