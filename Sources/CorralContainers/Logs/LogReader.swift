import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a container's CRI log file for `kubectl logs`: once, or following it
/// until the container has exited and the file is drained.
public enum LogReader {
    /// Parses complete lines of `bytes`; returns the entries and how many bytes were consumed
    /// (an unterminated last line is left for the next read). Non-CRI lines are skipped.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> (entries: [CRILogEntry], consumed: Int) {
        var entries: [CRILogEntry] = []
        var start = bytes.startIndex
        while let nl = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if let e = CRILogEntry(line: bytes[start..<nl]) { entries.append(e) }
            start = nl + 1
        }
        return (entries, start - bytes.startIndex)
    }

    /// The whole (filtered, tailed, limited) output of the log file at `path`; empty when it does not exist.
    public static func read(path: String, options: LogOptions) -> [UInt8] {
        let data = FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
        var entries = parse(data[...]).entries
        if let n = options.tailLines { entries = LogRenderer.tail(entries, lines: n) }
        var r = LogRenderer(options: options)
        return r.render(entries)
    }

    /// Streams the log: first what `read` would return, then new output as it is written (polling
    /// every `interval`), until `finished()` reports the container exited and the file is drained,
    /// the byte limit is reached, or the consumer stops listening.
    public static func follow(path: String, options: LogOptions, interval: TimeInterval = 0.1,
                              finished: @escaping @Sendable () -> Bool) -> AsyncStream<[UInt8]> {
        AsyncStream { continuation in
            let task = Task {
                var renderer = LogRenderer(options: options)
                var offset: UInt64 = 0
                var pending: [UInt8] = []
                var first = true
                while !Task.isCancelled {
                    let done = finished()  // sampled before reading, so output written before exit is drained
                    var chunk: [UInt8] = []
                    if let h = FileHandle(forReadingAtPath: path) {
                        let size = (try? h.seekToEnd()) ?? 0
                        if size < offset { offset = 0; pending = [] }  // truncated (log rotated by conmon)
                        try? h.seek(toOffset: offset)
                        chunk = [UInt8]((try? h.readToEnd()) ?? Data())
                        try? h.close()
                        offset += UInt64(chunk.count)
                    }
                    pending += chunk
                    let (entries, consumed) = parse(pending[...])
                    pending.removeFirst(consumed)
                    var selected = entries
                    if first, let n = options.tailLines { selected = LogRenderer.tail(entries, lines: n) }
                    first = false
                    let out = renderer.render(selected)
                    if !out.isEmpty { continuation.yield(out) }
                    if renderer.exhausted || (done && chunk.isEmpty) { break }
                    try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
