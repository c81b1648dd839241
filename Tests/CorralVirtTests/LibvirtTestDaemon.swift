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

    static let socket = "/run/libvirt/libvirt-sock"

    /// Reuses a running libvirtd or starts one; throws XCTSkip when the e2e tier is not enabled.
    static func acquire() throws -> LibvirtTestDaemon {
        guard ProcessInfo.processInfo.environment["CORRAL_VIRT_E2E"] == "1" else {
            throw XCTSkip("libvirt end-to-end test: set CORRAL_VIRT_E2E=1 (needs root, libvirt-daemon-system, qemu-system-x86)")
        }
        guard getuid() == 0 else { throw XCTSkip("libvirt end-to-end test needs root") }
        // Without this libvirt re-probes QEMU on every call (see QEMUFiles.ensureKVMDeviceAccess).
        try QEMUFiles.ensureKVMDeviceAccess()
        if let pid = runningPID(), FileManager.default.fileExists(atPath: socket) {
            _ = pid
            return LibvirtTestDaemon(namespace: nil, pids: [])
        }
        let ns = "corral-virt-e2e-\(getpid())"
        try run("/usr/sbin/ip", ["netns", "add", ns])
        try run("/usr/sbin/ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"])
        let dir = "/run/corral-virt-e2e-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try run("/usr/sbin/ip", ["netns", "exec", ns, "/usr/sbin/virtlogd", "-d", "-p", dir + "/virtlogd.pid"])
        try run("/usr/sbin/ip", ["netns", "exec", ns, "/usr/sbin/libvirtd", "-d", "-p", dir + "/libvirtd.pid"])
        let daemon = LibvirtTestDaemon(namespace: ns, pids: [])
        for _ in 0..<100 {
            if FileManager.default.fileExists(atPath: socket),
               let v = try? String(contentsOfFile: dir + "/libvirtd.pid", encoding: .utf8), let l = Int32(v.trimmingCharacters(in: .whitespacesAndNewlines)),
               let g = try? String(contentsOfFile: dir + "/virtlogd.pid", encoding: .utf8), let lg = Int32(g.trimmingCharacters(in: .whitespacesAndNewlines)) {
                daemon.pids = [l, lg]
                return daemon
            }
            usleep(100_000)
        }
        daemon.stop()
        XCTFail("libvirtd did not come up in namespace \(ns)")
        throw XCTSkip("libvirtd did not start")
    }

    private init(namespace: String?, pids: [Int32]) {
        self.namespace = namespace
        self.pids = pids
    }

    /// The PID in /run/libvirtd.pid if that process is alive.
    static func runningPID() -> Int32? {
        guard let s = try? String(contentsOfFile: "/run/libvirtd.pid", encoding: .utf8),
              let pid = Int32(s.trimmingCharacters(in: .whitespacesAndNewlines)), kill(pid, 0) == 0 else { return nil }
        return pid
    }

    /// Stops what this object started (libvirtd first, then virtlogd) and deletes its namespace.
    func stop() {
        for pid in pids {
            kill(pid, SIGTERM)
            for _ in 0..<50 where kill(pid, 0) == 0 { usleep(100_000) }
        }
        pids = []
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
            (while /bin/busybox true; do read -r line < /dev/ttyS0 && echo "echo:$line" > /dev/ttyS0; done) &
            while /bin/busybox true; do echo "\(marker)" > /dev/ttyS0; /bin/busybox sleep 1; done

            """
        try initScript.write(toFile: root + "/init", atomically: true, encoding: .utf8)
        chmod(root + "/init", 0o755)
        let out = dir + "/initramfs.cpio.gz"
        try LibvirtTestDaemon.run("/bin/sh", ["-c", "cd '\(root)' && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1 > '\(out)'"])
        return out
    }
}
