import Foundation

/// Serves a CRI-format container log file ("k8s-file", as conmon writes it) the
/// way kubelet does: tail, since, timestamps, limitBytes, and follow (polling for
/// appended lines until `isRunning` says the container has stopped). Reads are
/// cancellable: a cancelled task gets nil.
public actor CRILogFile: ByteReader {
    private let path: String
    private let options: PodLogOptions
    private let isRunning: @Sendable () async -> Bool
    private let pollInterval: UInt64
    private var renderer: LogRenderer
    private var offset: Int64 = 0
    private var partialLine: [UInt8] = []
    private var started = false
    private var finished = false
    private var since: LogTimestamp?

    /// - Parameters:
    ///   - isRunning: asked while following; once false, remaining lines are sent and the stream ends.
    ///   - pollInterval: how often to look for appended lines while following.
    public init(path: String, options: PodLogOptions, pollInterval: Double = 0.1,
                isRunning: @escaping @Sendable () async -> Bool = { true }) {
        self.path = path
        self.options = options
        self.isRunning = isRunning
        self.pollInterval = UInt64(max(0.01, pollInterval) * 1e9)
        self.renderer = LogRenderer(options: options)
    }

    /// The next rendered bytes; nil at the end (not following, limit reached, container stopped, or cancelled).
    public func read() async throws -> [UInt8]? {
        while !finished {
            if Task.isCancelled { finished = true; return nil }
            let fresh = readAppended()
            var out: [UInt8] = []
            if !started {
                started = true
                since = options.since(now: LogTimestamp.now())
                for e in LogRenderer.select(fresh, options: options, now: LogTimestamp.now()) { out += renderer.render(e) }
            } else {
                for e in fresh where since.map({ !(e.time < $0) }) ?? true { out += renderer.render(e) }
            }
            if renderer.exhausted || !options.follow { finished = true }
            if !out.isEmpty { return out }
            if finished { break }
            // Following and nothing new: stop once the container is gone and the file is drained.
            if !(await isRunning()) {
                let last = readAppended().flatMap { renderer.render($0) }
                finished = true
                return last.isEmpty ? nil : last
            }
            do { try await Task.sleep(nanoseconds: pollInterval) } catch { finished = true }
        }
        return nil
    }

    /// Complete records appended since the last call (a missing file reads as empty).
    private func readAppended() -> [CRILogEntry] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 && Int64(st.st_size) < offset {
            offset = 0  // truncated or replaced: start over
            partialLine = []
        }
        var bytes = partialLine
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if n <= 0 { break }
            bytes += buf[0..<n]
            offset += Int64(n)
        }
        let (entries, rest) = CRILogEntry.parse(bytes)
        partialLine = rest
        return entries
    }
}
