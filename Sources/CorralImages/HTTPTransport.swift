import Foundation

/// One HTTP request as the registry client builds it.
public struct HTTPRequest: Sendable {
    /// GET, HEAD, ….
    public var method: String
    /// Absolute URL, scheme http or https.
    public var url: URL
    /// Request headers in order (Host is added by the transport).
    public var headers: [(String, String)]

    public init(method: String = "GET", url: URL, headers: [(String, String)] = []) {
        self.method = method
        self.url = url
        self.headers = headers
    }
}

/// Status and headers of a response (the body goes to a `ResponseSink`).
public struct HTTPResponseHead: Sendable {
    /// HTTP status code.
    public var status: Int
    /// Response headers in order.
    public var headers: [(String, String)]

    public init(status: Int, headers: [(String, String)]) {
        self.status = status
        self.headers = headers
    }

    /// The first header named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// Receives a response body chunk by chunk.
public protocol ResponseSink: AnyObject {
    func receive(_ chunk: UnsafeRawBufferPointer) throws
}

/// Collects a body in memory, refusing more than `limit` bytes.
public final class CollectingSink: ResponseSink {
    /// The body so far.
    public private(set) var bytes: [UInt8] = []
    /// Most bytes accepted.
    public let limit: Int
    public init(limit: Int) { self.limit = limit }
    /// Appends `chunk`, or throws once over the limit.
    public func receive(_ chunk: UnsafeRawBufferPointer) throws {
        guard bytes.count + chunk.count <= limit else { throw ImageError.registry("response larger than \(limit) bytes") }
        bytes += chunk
    }
}

extension BlobWriter: ResponseSink {
    /// Streams the chunk into the blob.
    public func receive(_ chunk: UnsafeRawBufferPointer) throws { try write(chunk) }
}

/// How to talk TLS to one host.
public struct TLSSettings: Equatable, Sendable {
    /// PEM CA bundle to trust instead of the system store.
    public var caFile: String?
    /// Accept any server certificate.
    public var insecureSkipVerify: Bool

    public init(caFile: String? = nil, insecureSkipVerify: Bool = false) {
        self.caFile = caFile
        self.insecureSkipVerify = insecureSkipVerify
    }
}

/// The HTTP client edge of registry pulls, so the choice of client stays in one place and tests
/// can use a fake. Implementations must not follow redirects themselves: the registry client
/// does, dropping credentials when the host changes.
public protocol HTTPTransport: Sendable {
    /// Performs `request`; once the head is known, `sinkFor` picks where the body goes.
    func perform(_ request: HTTPRequest, tls: TLSSettings,
                 sinkFor: @escaping @Sendable (HTTPResponseHead) -> ResponseSink) async throws -> HTTPResponseHead
}
