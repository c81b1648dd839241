import Foundation

/// A point in time with nanosecond precision, as CRI log lines carry it.
public struct CRITimestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Seconds since the Unix epoch (UTC).
    public var seconds: Int64
    /// Nanoseconds within the second.
    public var nanos: Int32

    /// A timestamp.
    public init(seconds: Int64, nanos: Int32 = 0) { self.seconds = seconds; self.nanos = nanos }

    /// The same instant as `date` (microsecond precision), e.g. `Date() - sinceSeconds` for `--since`.
    public init(date: Date) {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        nanos = Int32((micros - seconds * 1_000_000) * 1000)
    }

    /// Chronological order.
    public static func < (a: CRITimestamp, b: CRITimestamp) -> Bool {
        a.seconds != b.seconds ? a.seconds < b.seconds : a.nanos < b.nanos
    }

    /// Parses RFC 3339 with optional fraction and a `Z` or `±hh:mm` offset (conmon writes local offsets).
    public init?(rfc3339 s: String) {
        let b = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int64? {
            guard from + len <= b.count else { return nil }
            var v: Int64 = 0
            for c in b[from..<(from + len)] { guard c >= 0x30 && c <= 0x39 else { return nil }; v = v * 10 + Int64(c - 0x30) }
            return v
        }
        guard b.count >= 20, let y = num(0, 4), b[4] == 0x2D, let mo = num(5, 2), b[7] == 0x2D, let d = num(8, 2),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), let h = num(11, 2), b[13] == 0x3A,
              let mi = num(14, 2), b[16] == 0x3A, let se = num(17, 2), (1...12).contains(mo), (1...31).contains(d),
              h < 24, mi < 60, se < 61 else { return nil }
        var i = 19
        var nanos: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int64(b[i] - 0x30) }
                digits += 1; i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        var offset: Int64 = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), b.count > i + 3, b[i + 3] == 0x3A, let om = num(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
            i += 6
        } else { return nil }
        guard i == b.count else { return nil }
        seconds = CRITimestamp.daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset
        self.nanos = Int32(nanos)
    }

    /// RFC3339Nano in UTC the way Go prints it (trailing fraction zeros dropped), as kubectl shows it.
    public var description: String {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rem = seconds - days * 86400
        let (y, m, d) = CRITimestamp.civilFromDays(days)
        func p(_ v: Int64, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        var out = "\(p(y, 4))-\(p(m, 2))-\(p(d, 2))T\(p(rem / 3600, 2)):\(p(rem % 3600 / 60, 2)):\(p(rem % 60, 2))"
        if nanos > 0 {
            var frac = p(Int64(nanos), 9)
            while frac.hasSuffix("0") { frac.removeLast() }
            out += "." + frac
        }
        return out + "Z"
    }

    // Howard Hinnant's civil-calendar algorithms.
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

/// One line of a CRI-format container log: `TIMESTAMP STREAM TAG CONTENT`.
public struct CRILogEntry: Equatable, Sendable {
    /// Which output stream the line came from.
    public enum Stream: String, Sendable { case stdout, stderr }
    /// When conmon read the data.
    public var time: CRITimestamp
    /// stdout or stderr.
    public var stream: Stream
    /// `P`: the line continues in the next entry; `F`: it ends here.
    public var partial: Bool
    /// The text without the newline the container wrote.
    public var content: [UInt8]

    /// An entry.
    public init(time: CRITimestamp, stream: Stream, partial: Bool, content: [UInt8]) {
        self.time = time; self.stream = stream; self.partial = partial; self.content = content
    }

    /// Parses one log line (without its trailing newline); nil when it is not CRI format.
    public init?(line: ArraySlice<UInt8>) {
        let space = UInt8(ascii: " ")
        guard let s1 = line.firstIndex(of: space), let s2 = line[(s1 + 1)...].firstIndex(of: space) else { return nil }
        guard let time = CRITimestamp(rfc3339: String(decoding: line[line.startIndex..<s1], as: UTF8.self)),
              let stream = Stream(rawValue: String(decoding: line[(s1 + 1)..<s2], as: UTF8.self)) else { return nil }
        let s3 = line[(s2 + 1)...].firstIndex(of: space) ?? line.endIndex
        let tag = line[(s2 + 1)..<s3].split(separator: UInt8(ascii: ":")).first ?? []
        self.time = time
        self.stream = stream
        partial = Array(tag) == [UInt8(ascii: "P")]
        content = s3 < line.endIndex ? Array(line[(s3 + 1)...]) : []
    }

    /// The log line, newline included.
    public var formatted: [UInt8] {
        Array("\(time) \(stream.rawValue) \(partial ? "P" : "F") ".utf8) + content + [UInt8(ascii: "\n")]
    }
}
