/// `kubectl logs` options, as the kubelet applies them to a CRI log file.
public struct LogOptions: Equatable, Sendable {
    /// Only the last N lines (`--tail`); nil for all.
    public var tailLines: Int?
    /// Only entries at or after this time (`--since-time`, or now − `--since`).
    public var since: CRITimestamp?
    /// Prefix each line with its RFC3339Nano timestamp (`--timestamps`).
    public var timestamps: Bool
    /// Stop after this many bytes (`--limit-bytes`).
    public var limitBytes: Int?
    /// Keep streaming new output until the container exits (`-f`).
    public var follow: Bool

    /// Options; all default to "everything, once".
    public init(tailLines: Int? = nil, since: CRITimestamp? = nil, timestamps: Bool = false, limitBytes: Int? = nil, follow: Bool = false) {
        self.tailLines = tailLines; self.since = since; self.timestamps = timestamps
        self.limitBytes = limitBytes; self.follow = follow
    }
}

/// Turns log entries into the bytes `kubectl logs` prints (pure, incremental):
/// since-filter, optional timestamp at the start of each logical line, newline
/// after full (`F`) entries, and the byte limit.
public struct LogRenderer: Sendable {
    /// The options being applied.
    public let options: LogOptions
    private var atLineStart = true
    /// Bytes still allowed by limitBytes (nil: unlimited).
    public private(set) var remaining: Int?

    /// A renderer for `options`.
    public init(options: LogOptions) {
        self.options = options
        remaining = options.limitBytes
    }

    /// True once the byte limit is used up.
    public var exhausted: Bool { remaining.map { $0 <= 0 } ?? false }

    /// Bytes for `entries`, in order.
    public mutating func render(_ entries: [CRILogEntry]) -> [UInt8] {
        var out: [UInt8] = []
        for e in entries {
            if let since = options.since, e.time < since { continue }
            var chunk: [UInt8] = []
            if options.timestamps && atLineStart { chunk += Array("\(e.time) ".utf8) }
            chunk += e.content
            if !e.partial { chunk.append(UInt8(ascii: "\n")) }
            atLineStart = !e.partial
            if let r = remaining {
                if r <= 0 { break }
                if chunk.count > r { chunk = Array(chunk.prefix(r)) }
                remaining = r - chunk.count
            }
            out += chunk
        }
        return out
    }

    /// The entries making up the last `n` logical lines (a line is a run of `P` entries closed by an `F`).
    public static func tail(_ entries: [CRILogEntry], lines n: Int) -> [CRILogEntry] {
        guard n >= 0 else { return entries }
        if n == 0 { return [] }
        var count = 0
        var start = entries.count
        var i = entries.count - 1
        while i >= 0 {
            // A line ends at an F entry (or at the unterminated tail of the file).
            if !entries[i].partial || i == entries.count - 1 {
                if count == n { break }
                count += 1
            }
            start = i
            i -= 1
            while i >= 0 && entries[i].partial { start = i; i -= 1 }
        }
        return Array(entries[start...])
    }
}
