import Foundation

/// Go's renderings of times and durations, as Kubernetes' JSON uses them.
/// The one place the project formats timestamps (objects, tables, protobuf, logs).
enum KubeTimeFormat {
    /// RFC 3339 in UTC with whole seconds, for a Date.
    static func rfc3339(_ date: Date) -> String {
        rfc3339(seconds: Int64(date.timeIntervalSince1970.rounded(.down)), nanos: 0, micro: false)
    }

    /// RFC 3339 in UTC: `2024-01-02T03:04:05Z` (metav1.Time, whole seconds), or with
    /// six fractional digits for metav1.MicroTime.
    static func rfc3339(seconds: Int64, nanos: Int32, micro: Bool) -> String {
        var secs = seconds
        var ns = Int64(nanos)
        if ns < 0 || ns >= 1_000_000_000 {  // normalize, as time.Unix does
            secs += ns / 1_000_000_000
            ns %= 1_000_000_000
            if ns < 0 { ns += 1_000_000_000; secs -= 1 }
        }
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        let (y, m, d) = civil(fromDays: days)
        func pad(_ v: Int64, _ w: Int) -> String {
            let s = String(v.magnitude)
            return (v < 0 ? "-" : "") + String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var out = "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem % 3600 / 60, 2)):\(pad(rem % 60, 2))"
        if micro { out += "." + pad(ns / 1000, 6) }
        return out + "Z"
    }

    /// Days since 1970-01-01 → proleptic Gregorian (year, month, day).
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Go's `time.Duration.String()`: "1h0m0s", "30s", "1.5s", "500ms", "0s".
    static func goDuration(nanoseconds d: Int64) -> String {
        if d == 0 { return "0s" }
        let neg = d < 0
        let u = d.magnitude
        let sign = neg ? "-" : ""
        /// Fraction digits of v / 10^prec without trailing zeros (with the dot), and the integer part.
        func frac(_ v: UInt64, _ prec: Int) -> (String, UInt64) {
            var p: UInt64 = 1
            for _ in 0..<prec { p *= 10 }
            let f = v % p
            if f == 0 { return ("", v / p) }
            var digits = String(f)
            digits = String(repeating: "0", count: prec - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            return ("." + digits, v / p)
        }
        if u < 1_000_000_000 {
            if u < 1000 { return "\(sign)\(u)ns" }
            let (prec, unit) = u < 1_000_000 ? (3, "µs") : (6, "ms")
            let (f, i) = frac(u, prec)
            return "\(sign)\(i)\(f)\(unit)"
        }
        let (f, secs) = frac(u, 9)
        let s = secs % 60
        let mins = secs / 60
        if mins == 0 { return "\(sign)\(s)\(f)s" }
        let m = mins % 60
        let h = mins / 60
        if h == 0 { return "\(sign)\(m)m\(s)\(f)s" }
        return "\(sign)\(h)h\(m)m\(s)\(f)s"
    }
}
