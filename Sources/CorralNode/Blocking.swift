import Foundation

/// Runs blocking work (fork/exec and waitpid, netlink, mount, libvirt calls)
/// on a thread of its own instead of Swift's small cooperative pool, which
/// has about one thread per core: blocking it would stall every other task in
/// the daemon (API handlers, controllers, other pods).
enum Blocking {
    private static let queue = DispatchQueue(label: "corral.node.blocking", qos: .userInitiated, attributes: .concurrent)

    static func run<T>(_ body: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { cont in
            queue.async {
                do { cont.resume(returning: try body()) } catch { cont.resume(throwing: error) }
            }
        }
    }

    static func run<T>(_ body: @escaping () -> T) async -> T {
        await withCheckedContinuation { cont in queue.async { cont.resume(returning: body()) } }
    }
}
