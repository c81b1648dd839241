import CorralModel
import Foundation

/// The container lifecycle the node agent drives. `ConmonRuntime` is the real
/// implementation; a test double can implement this to exercise the agent
/// without root.
public protocol ContainerDriver: AnyObject, Sendable {
    /// Writes the bundle's config.json and creates (and by default starts) the container; returns its host pid.
    @discardableResult
    func create(id: String, name: String?, bundle: String, spec: JSONValue, logPath: String,
                options: ConmonOptions, start: Bool) throws -> Int32
    /// Starts a created container.
    func start(id: String) throws
    /// The container's current state; throws `containerNotFound` for an unknown id.
    func state(id: String) throws -> ContainerState
    /// True while the container's monitor (conmon) runs, so an exit is still to be recorded.
    func monitorAlive(id: String) -> Bool
    /// Sends a signal to the container's init process (to all its processes with `all`).
    func kill(id: String, signal: Int32, all: Bool) throws
    /// SIGTERM (or `signal`), `grace` seconds, then SIGKILL; returns the exit status.
    func stop(id: String, grace: TimeInterval, signal: Int32) async throws -> Int32?
    /// Removes the container and the driver's files for it.
    func delete(id: String) async throws
    /// Every container the driver knows (after a restart: the ones to re-adopt).
    func list() throws -> [String]
    /// The stored record (bundle, log path, tty) of a container.
    func record(_ id: String) throws -> ContainerRecord
}

extension ConmonRuntime: ContainerDriver {}
