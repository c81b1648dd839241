import Foundation

/// Work to do when corrald exits cleanly. corrald ends on SIGTERM/SIGINT with `exit(0)`,
/// which runs atexit handlers; kill -9 and crashes do not, which is what leaves the
/// dnsmasqs serving VM guests for the next run to adopt.
enum CleanExit {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var actions: [() -> Void] = []
    nonisolated(unsafe) private static var registered = false

    /// Runs `action` at a clean exit, after the ones registered before it.
    static func register(_ action: @escaping () -> Void) {
        lock.withLock {
            actions.append(action)
            if !registered {
                registered = true
                atexit { CleanExit.lock.withLock { CleanExit.actions }.forEach { $0() } }
            }
        }
    }
}
