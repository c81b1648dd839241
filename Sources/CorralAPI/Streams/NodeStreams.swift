import Foundation

// The boundary between the API server's streaming subresources (pods/log,
// exec, attach, portforward) and whatever runs containers. The API server
// validates the request (pod exists, container name valid, options legal),
// then calls one of these; the wire protocols (chunked HTTP, WebSocket
// channels, SPDY streams) stay on the API side.

/// One container of one pod, resolved and validated by the API server.
public struct ContainerRef: Sendable, Equatable, CustomStringConvertible {
    public var namespace: String
    public var pod: String
    public var uid: String
    public var container: String

    public init(namespace: String, pod: String, uid: String, container: String) {
        self.namespace = namespace
        self.pod = pod
        self.uid = uid
        self.container = container
    }

    public var description: String { "\(namespace)/\(pod)/\(container)" }
}

/// One pod (port-forward targets the pod's network namespace, not a container).
public struct PodRef: Sendable, Equatable {
    public var namespace: String
    public var pod: String
    public var uid: String

    public init(namespace: String, pod: String, uid: String) {
        self.namespace = namespace
        self.pod = pod
        self.uid = uid
    }
}

/// A terminal size as kubectl sends it on the resize channel.
public struct TerminalSize: Sendable, Equatable {
    public var width: UInt16
    public var height: UInt16
    public init(width: UInt16, height: UInt16) {
        self.width = width
        self.height = height
    }
}

/// Which standard streams the client wants, and whether it asked for a TTY.
/// With `tty`, stderr is merged into stdout by the terminal, as in kubelet.
public struct StdioOptions: Sendable, Equatable {
    public var stdin: Bool
    public var stdout: Bool
    public var stderr: Bool
    public var tty: Bool
    public init(stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool) {
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
    }
}

/// How a remote command ended.
public enum ExitStatus: Sendable, Equatable {
    /// The process exited with this code (128+N for a signal, as shells report it).
    case exited(Int)
    /// The runtime could not run or follow the command; the text is shown to the user
    /// as "Internal error occurred: <text>".
    case failed(String)
}

/// A pull-based byte source: each call returns the next chunk, nil at end of stream.
/// Pulling only when the client can take more keeps memory bounded.
public protocol ByteReader: Sendable {
    /// The next chunk (never empty), or nil at end of stream.
    func read() async throws -> [UInt8]?
}

/// A byte sink; `write` may suspend until the other side has room.
public protocol ByteWriter: Sendable {
    /// Writes all bytes; throws once the other side is gone.
    func write(_ bytes: [UInt8]) async throws
    /// Signals end of input (EOF on the process's stdin, FIN on a socket).
    func closeWrite() async
}

/// A bidirectional byte stream (a TCP connection into a pod for port-forward).
public protocol ByteChannel: ByteReader, ByteWriter {
    /// Closes both directions and releases the connection.
    func close() async
}

/// A running exec or attach session.
public protocol StreamSession: Sendable {
    /// The process's stdin; nil when the client did not ask for stdin.
    var stdin: (any ByteWriter)? { get }
    /// The process's stdout (the terminal when `tty`); nil when not requested.
    var stdout: (any ByteReader)? { get }
    /// The process's stderr; nil when not requested or when `tty`.
    var stderr: (any ByteReader)? { get }
    /// Resizes the session's terminal; ignored without a TTY.
    func resize(_ size: TerminalSize) async
    /// Suspends until the command exits (exec) or the attachment ends (attach).
    /// Called after stdout and stderr reached end of stream.
    func wait() async -> ExitStatus
    /// The client went away before the session ended: release everything.
    /// For attach this must only detach (the container keeps running); for exec,
    /// kubelet leaves the process running too, and so may an implementation.
    func detach() async
}

/// What the node offers the API server. Set `APIServer.nodeStreams`; while it is
/// nil these subresources answer 503. Throw `APIError` for anything the user should
/// see as a Kubernetes Status (e.g. `APIError.badRequest("container \"c\" in pod \"p\" is waiting to start: ContainerCreating")`);
/// any other error becomes a 500 InternalError.
public protocol NodeStreams: AnyObject, Sendable {
    /// The container's log rendered per `options` (tail, since, timestamps, limitBytes,
    /// follow); `CRILogFile` implements this for CRI-format ("k8s-file") log files.
    func logs(_ target: ContainerRef, options: PodLogOptions) async throws -> any ByteReader
    /// Runs `command` in the container (kubelet's exec).
    func exec(_ target: ContainerRef, command: [String], stdio: StdioOptions) async throws -> any StreamSession
    /// Attaches to the container's main process (kubelet's attach).
    func attach(_ target: ContainerRef, stdio: StdioOptions) async throws -> any StreamSession
    /// Opens a TCP connection to `port` inside the pod's network namespace.
    func portForward(_ pod: PodRef, port: UInt16) async throws -> any ByteChannel
}
