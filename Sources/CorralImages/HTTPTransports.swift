/// Picks the HTTP client for registry pulls: the NIO transport when the module is built with it
/// (custom CA files and insecure_skip_verify work), else URLSession (system CAs only).
public enum HTTPTransports {
    /// Whether per-registry CA files and `insecure_skip_verify` are supported in this build.
    public static var supportsCustomTLS: Bool {
        #if CORRAL_IMAGES_NIO
        return true
        #else
        return false
        #endif
    }

    /// The transport the node should use.
    public static func standard() -> HTTPTransport {
        #if CORRAL_IMAGES_NIO
        return NIOHTTPTransport()
        #else
        return URLSessionTransport()
        #endif
    }

    /// A transport that connects from inside the network namespace at `path` (tests, pulls on
    /// behalf of a namespace). Needs the NIO transport.
    public static func inNetworkNamespace(_ path: String) throws -> HTTPTransport {
        #if CORRAL_IMAGES_NIO
        return try NIOHTTPTransport(networkNamespace: path)
        #else
        throw ImageError.registry("pulling inside a network namespace needs the NIO transport: build CorralImages with NIOCore/NIOPosix/NIOHTTP1/NIOSSL and -D CORRAL_IMAGES_NIO")
        #endif
    }
}
