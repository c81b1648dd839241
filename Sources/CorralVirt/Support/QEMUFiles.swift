import Foundation

/// Host file preparation for QEMU, which libvirt runs as an unprivileged user
/// (`libvirt-qemu` on Debian, see /etc/libvirt/qemu.conf).
public enum QEMUFiles {
    /// Why preparing a path failed.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Creates `path` (mode 0750) and hands it to the QEMU user, so QEMU can create sockets there
    /// (the VNC socket) and read what the node agent puts in it. A missing user leaves root ownership.
    public static func prepareDirectory(_ path: String, user: String = "libvirt-qemu") throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(path): \(error)")
        }
        guard let pw = getpwnam(user) else { return }
        guard chown(path, pw.pointee.pw_uid, pw.pointee.pw_gid) == 0, chmod(path, 0o750) == 0 else {
            throw Failure(description: "cannot hand \(path) to \(user): \(String(cString: strerror(errno)))")
        }
    }

    /// Gives /dev/kvm to group `kvm` with mode 0660, as udev does on a normal Debian host.
    /// Needed even when guests run under TCG: libvirt probes QEMU as root, then checks /dev/kvm
    /// as the QEMU user; if the two disagree it discards its capability cache and re-probes
    /// (~4 s) on every define/start — in practice a minute-long stall per VM start.
    /// Returns true when it changed something. Call before starting libvirtd.
    @discardableResult
    public static func ensureKVMDeviceAccess(device: String = "/dev/kvm", group: String = "kvm") throws -> Bool {
        var st = stat()
        guard stat(device, &st) == 0, let gr = getgrnam(group) else { return false }
        let gid = gr.pointee.gr_gid
        guard st.st_gid != gid || st.st_mode & 0o060 != 0o060 else { return false }
        guard chown(device, st.st_uid, gid) == 0, chmod(device, 0o660) == 0 else {
            throw Failure(description: "cannot give \(device) to group \(group): \(String(cString: strerror(errno)))")
        }
        return true
    }
}
