import CorralModel
import Foundation

/// The pod's sandbox as set up on this node: network namespace, IP, files.
public struct SandboxInfo: Sendable, Equatable {
    public var netnsName: String
    public var netnsPath: String
    public var podIP: String
    /// DATA/pods/UID: hosts, resolv.conf, volumes.
    public var directory: String
    /// Volume name → host path, for the containers' bind mounts.
    public var volumePaths: [String: String] = [:]
}

/// A container start that failed in a way the kubelet reports as a waiting
/// reason (ErrImagePull, CreateContainerConfigError, …) rather than a crash.
public struct ContainerStartError: Error, CustomStringConvertible {
    public var reason: String
    public var message: String
    /// Retry with back-off (image pulls) rather than on the next sync.
    public var backoff: Bool
    public var description: String { "\(reason): \(message)" }
}

/// Receives kubelet-style events (Pulling, Pulled, Created, Started, Killing, …).
public typealias EventSink = @Sendable (_ type: String, _ reason: String, _ message: String) -> Void

/// The side effects a pod worker needs. The real implementation runs over
/// CorralImages, CorralContainers and CorralNetwork.
public protocol PodBackend: AnyObject, Sendable {
    /// Sets up (idempotently) network namespace, IP, hosts/resolv.conf and volumes.
    func prepareSandbox(_ pod: JSONValue) async throws -> SandboxInfo
    /// Pulls if needed, creates and starts one container (attempt = restart count).
    func startContainer(_ pod: JSONValue, name: String, isInit: Bool, attempt: Int, sandbox: SandboxInfo,
                        events: @escaping EventSink) async throws -> ContainerObservation
    /// What is known of the pod's containers right now (cheap: records + exit files).
    func observe(_ pod: JSONValue) -> [String: ContainerObservation]
    /// SIGTERM, wait up to `grace`, then SIGKILL; runs preStop first.
    func stopContainer(_ pod: JSONValue, name: String, grace: TimeInterval) async
    /// Removes containers, mounts, network and IP of a pod that is gone.
    func teardown(podUID: String) async
    /// Runs a probe (exec/httpGet/tcpSocket) against a container; true = success.
    func probe(_ pod: JSONValue, container: String, probe: JSONValue, sandbox: SandboxInfo) async -> Bool
}
