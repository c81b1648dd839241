import Foundation

/// A log timestamp with nanosecond precision and the UTC offset it was written
/// with (kubelet prints it back in the same zone, "Z" for UTC).
public struct LogTimestamp: Sendable, Equatable, Comparable {
    public var seconds: Int64
    public var nanos: Int32
    public var offsetSeconds: Int32

    public init(seconds: Int64, nanos: Int32, offsetSeconds: Int32 = 0) {
        self.seconds = seconds
        self.nanos = nanos
        self.offsetSeconds = offsetSeconds
    }

    /// The current time, in UTC.
    public static func now() -> LogTimestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return LogTimestamp(seconds: Int64(ts.tv_sec), nanos: Int32(ts.tv_nsec))
    }

    public static func < (a: LogTimestamp, b: LogTimestamp) -> Bool {
        a.seconds != b.seconds ? a.seconds < b.seconds : a.nanos < b.nanos
    }

    public static func == (a: LogTimestamp, b: LogTimestamp) -> Bool { a.seconds == b.seconds && a.nanos == b.nanos }

    /// Parses RFC 3339 with optional fraction: "2024-05-01T10:00:00.123456789+02:00" or "...Z".
    public init?(rfc3339 s: String) {
        let b = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for c in b[from..<from + len] {
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard b.count >= 20, let year = num(0, 4), b[4] == 45, let month = num(5, 2), b[7] == 45, let day = num(8, 2),
              b[10] == 84 || b[10] == 116, let hour = num(11, 2), b[13] == 58, let minute = num(14, 2), b[16] == 58,
              let second = num(17, 2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var nanos = 0
        if i < b.count && b[i] == 46 {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 9 { nanos = nanos * 10 + Int(b[i] - 48) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in 0..<max(0, 9 - digits) { nanos *= 10 }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == 90 || b[i] == 122 {
            i += 1
        } else if b[i] == 43 || b[i] == 45, let oh = num(i + 1, 2), b.count > i + 3, b[i + 3] == 58, let om = num(i + 4, 2) {
            offset = (oh * 3600 + om * 60) * (b[i] == 45 ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = LogTimestamp.daysFromCivil(year, month, day)
        let local = Int64(days) * 86400 + Int64(hour * 3600 + minute * 60 + second)
        self.init(seconds: local - Int64(offset), nanos: Int32(nanos), offsetSeconds: Int32(offset))
    }

    /// Kubelet's output format "2006-01-02T15:04:05.000000000Z07:00".
    public var formatted: String {
        let local = seconds + Int64(offsetSeconds)
        var days = local / 86400
        var rem = local % 86400
        if rem < 0 { rem += 86400; days -= 1 }
        let (y, m, d) = LogTimestamp.civilFromDays(Int(days))
        let zone: String
        if offsetSeconds == 0 {
            zone = "Z"
        } else {
            let a = abs(Int(offsetSeconds))
            zone = (offsetSeconds < 0 ? "-" : "+") + pad(a / 3600, 2) + ":" + pad(a % 3600 / 60, 2)
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(Int(rem / 3600), 2)):\(pad(Int(rem % 3600 / 60), 2)):\(pad(Int(rem % 60), 2)).\(pad(Int(nanos), 9))\(zone)"
    }

    // Howard Hinnant's civil-calendar conversions (proleptic Gregorian).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

private func pad(_ v: Int, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

/// One record of a CRI-format container log ("k8s-file", as conmon writes it):
/// `TIMESTAMP STREAM TAG CONTENT`, TAG "F" for a full line, "P" for a partial one.
public struct CRILogEntry: Sendable, Equatable {
    public var time: LogTimestamp
    public var stream: String
    public var partial: Bool
    public var content: [UInt8]

    public init(time: LogTimestamp, stream: String, partial: Bool, content: [UInt8]) {
        self.time = time
        self.stream = stream
        self.partial = partial
        self.content = content
    }

    /// Parses one line without its trailing newline; nil when malformed.
    public init?(line: ArraySlice<UInt8>) {
        let parts = line.split(separator: 32, maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, let t = LogTimestamp(rfc3339: String(decoding: parts[0], as: UTF8.self)) else { return nil }
        let stream = String(decoding: parts[1], as: UTF8.self)
        guard stream == "stdout" || stream == "stderr" else { return nil }
        // Older writers omit the tag; treat such lines as full.
        let tag = String(decoding: parts[2], as: UTF8.self)
        if tag == "F" || tag == "P" || tag.hasPrefix("F:") || tag.hasPrefix("P:") {
            self.init(time: t, stream: stream, partial: tag.hasPrefix("P"), content: parts.count > 3 ? Array(parts[3]) : [])
        } else {
            let rest = line[parts[2].startIndex...]
            self.init(time: t, stream: stream, partial: false, content: Array(rest))
        }
    }

    /// Splits a buffer into entries; returns the entries and the bytes of an unfinished last line.
    public static func parse(_ bytes: [UInt8]) -> (entries: [CRILogEntry], rest: [UInt8]) {
        var out: [CRILogEntry] = []
        var start = 0
        for i in bytes.indices where bytes[i] == 10 {
            if let e = CRILogEntry(line: bytes[start..<i]) { out.append(e) }
            start = i + 1
        }
        return (out, Array(bytes[start...]))
    }
}

/// Turns log entries into the bytes kubelet sends: optional timestamp prefix at
/// the start of each line, newline after full lines, cut at limitBytes.
public struct LogRenderer: Sendable {
    let timestamps: Bool
    var remaining: Int64?
    var atLineStart = true

    /// A renderer for one log request (timestamps and limitBytes come from `options`).
    public init(options: PodLogOptions) {
        timestamps = options.timestamps
        remaining = options.limitBytes
    }

    /// True once limitBytes have been produced; a follower should stop.
    public var exhausted: Bool { remaining.map { $0 <= 0 } ?? false }

    /// The bytes for one entry (possibly truncated by limitBytes).
    public mutating func render(_ e: CRILogEntry) -> [UInt8] {
        var out: [UInt8] = []
        if timestamps && atLineStart { out += Array(e.time.formatted.utf8) + [32] }
        out += e.content
        if !e.partial { out.append(10) }
        atLineStart = !e.partial
        if let r = remaining {
            if Int64(out.count) > r { out = Array(out.prefix(Int(max(r, 0)))) }
            remaining = r - Int64(out.count)
        }
        return out
    }

    /// Kubelet's order: start `tailLines` records from the end, then drop records before `since`.
    public static func select(_ entries: [CRILogEntry], options: PodLogOptions, now: LogTimestamp) -> [CRILogEntry] {
        var picked = entries[...]
        if let tail = options.tailLines { picked = picked.suffix(Int(min(tail, Int64(Int32.max)))) }
        if let since = options.since(now: now) { return picked.filter { !($0.time < since) } }
        return Array(picked)
    }
}
