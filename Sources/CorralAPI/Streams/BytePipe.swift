/// Errors of the streaming layer (pipes, WebSocket channels, SPDY).
public enum StreamError: Error, CustomStringConvertible, Equatable {
    /// The other side of a pipe or connection is gone.
    case closed
    /// The peer broke the wire protocol; the text says how.
    case protocolViolation(String)
    /// zlib failed while (de)compressing SPDY headers.
    case compression(String)
    /// The host refused an operation (spawn, connect); the text is shown to the user as is.
    case failed(String)

    public var description: String {
        switch self {
        case .closed: return "stream closed"
        case .protocolViolation(let s): return "protocol error: \(s)"
        case .compression(let s): return "header compression error: \(s)"
        case .failed(let s): return s
        }
    }
}

/// A bounded in-memory byte pipe: writers suspend while `capacity` bytes are
/// buffered, the reader suspends while it is empty. Node implementations can
/// use it to hand process output to the API server with backpressure.
public actor BytePipe: ByteReader, ByteWriter {
    private let capacity: Int
    private var chunks: [[UInt8]] = []
    private var head = 0
    private var buffered = 0
    private var writeClosed = false
    private var readClosed = false
    private var failure: StreamError?
    private var readerWaiting: CheckedContinuation<Void, Never>?
    private var writersWaiting: [CheckedContinuation<Void, Never>] = []

    /// A pipe that holds up to `capacity` bytes before writers wait.
    public init(capacity: Int = 256 * 1024) { self.capacity = max(1, capacity) }

    /// Appends bytes; suspends while the pipe is full; throws once the reader closed.
    public func write(_ bytes: [UInt8]) async throws {
        if bytes.isEmpty { return }
        while buffered >= capacity && !readClosed && !writeClosed {
            await withCheckedContinuation { writersWaiting.append($0) }
        }
        if readClosed || writeClosed { throw StreamError.closed }
        chunks.append(bytes)
        buffered += bytes.count
        wakeReader()
    }

    /// Marks end of stream; the reader gets nil after draining.
    public func closeWrite() {
        writeClosed = true
        wakeReader()
        wakeWriters()
    }

    /// Ends the stream with an error the reader sees after draining.
    public func fail(_ error: StreamError) {
        failure = error
        closeWrite()
    }

    /// The reader is gone: pending and future writes throw.
    public func closeRead() {
        readClosed = true
        chunks.removeAll()
        head = 0
        buffered = 0
        wakeWriters()
        wakeReader()
    }

    /// Everything buffered so far coalesced into one chunk, nil at end of stream.
    public func read() async throws -> [UInt8]? {
        while head == chunks.count {
            if writeClosed || readClosed {
                if let failure { throw failure }
                return nil
            }
            await withCheckedContinuation { readerWaiting = $0 }
        }
        var out = chunks[head]
        head += 1
        while head < chunks.count && out.count < 64 * 1024 {
            out += chunks[head]
            head += 1
        }
        if head == chunks.count {
            chunks.removeAll(keepingCapacity: true)
            head = 0
        }
        buffered -= out.count
        wakeWriters()
        return out
    }

    private func wakeReader() {
        readerWaiting?.resume()
        readerWaiting = nil
    }

    private func wakeWriters() {
        let w = writersWaiting
        writersWaiting = []
        for c in w { c.resume() }
    }
}
