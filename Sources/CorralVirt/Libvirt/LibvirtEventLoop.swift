import Foundation
import CLibvirt

/// libvirt's default event loop, run on one dedicated thread for the whole process.
/// It must be registered before the first connection is opened, and it drives
/// lifecycle events, console streams and connection keepalives.
enum LibvirtEventLoop {
    private static let started: Bool = {
        // libvirt prints every error to stderr unless a handler is installed; we report them ourselves.
        virSetErrorFunc(nil) { _, _ in }
        guard virEventRegisterDefaultImpl() == 0 else { return false }
        let thread = Thread {
            while true {
                if virEventRunDefaultImpl() < 0 { usleep(100_000) }
            }
        }
        thread.name = "libvirt-event-loop"
        thread.start()
        return true
    }()

    /// Starts the loop once; later calls do nothing. Returns false if libvirt refused.
    @discardableResult
    static func ensureStarted() -> Bool { started }
}
