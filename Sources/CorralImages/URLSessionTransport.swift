import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `HTTPTransport` over Foundation's URLSession: HTTP, and HTTPS trusting the system CA store.
/// On Linux URLSession cannot trust a per-host CA file or skip verification, so such hosts are
/// refused with a clear error (use `NIOHTTPTransport` for them).
public final class URLSessionTransport: HTTPTransport, @unchecked Sendable {
    private let timeout: TimeInterval

    /// `timeout`: seconds without progress before a request fails.
    public init(timeout: TimeInterval = 60) { self.timeout = timeout }

    /// Performs one request; see `HTTPTransport.perform`.
    public func perform(_ request: HTTPRequest, tls: TLSSettings,
                        sinkFor: @escaping @Sendable (HTTPResponseHead) -> ResponseSink) async throws -> HTTPResponseHead {
        if request.url.scheme == "https" && (tls.caFile != nil || tls.insecureSkipVerify) {
            throw ImageError.registry("\(request.url.host ?? ""): a custom CA file or insecure_skip_verify needs the NIO transport; URLSession on Linux cannot do either")
        }
        var r = URLRequest(url: request.url, timeoutInterval: timeout)
        r.httpMethod = request.method
        for (k, v) in request.headers { r.addValue(v, forHTTPHeaderField: k) }
        let delegate = StreamingDelegate(sinkFor: sinkFor)
        let session = URLSession(configuration: .ephemeral, delegate: delegate, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        return try await withCheckedThrowingContinuation { cont in
            delegate.continuation = cont
            session.dataTask(with: r).resume()
        }
    }
}

/// Streams body data into the sink chosen from the head, and refuses to follow redirects.
private final class StreamingDelegate: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let sinkFor: (HTTPResponseHead) -> ResponseSink
    var continuation: CheckedContinuation<HTTPResponseHead, Error>?
    private var head: HTTPResponseHead?
    private var sink: ResponseSink?
    private var failure: Error?

    init(sinkFor: @escaping (HTTPResponseHead) -> ResponseSink) { self.sinkFor = sinkFor }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let http = response as? HTTPURLResponse
        var headers: [(String, String)] = []
        for (k, v) in http?.allHeaderFields ?? [:] { headers.append(("\(k)", "\(v)")) }
        let h = HTTPResponseHead(status: http?.statusCode ?? 0, headers: headers)
        head = h
        sink = sinkFor(h)
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        do { try data.withUnsafeBytes { try sink?.receive($0) } } catch {
            failure = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        let cont = continuation
        continuation = nil
        if let failure { cont?.resume(throwing: failure); return }
        if let error { cont?.resume(throwing: ImageError.registry("\(task.originalRequest?.url?.absoluteString ?? ""): \(error.localizedDescription)")); return }
        if let head { cont?.resume(returning: head) } else {
            // A redirect we refused completes without a response object on some platforms.
            let http = task.response as? HTTPURLResponse
            var headers: [(String, String)] = []
            for (k, v) in http?.allHeaderFields ?? [:] { headers.append(("\(k)", "\(v)")) }
            cont?.resume(returning: HTTPResponseHead(status: http?.statusCode ?? 0, headers: headers))
        }
    }
}
