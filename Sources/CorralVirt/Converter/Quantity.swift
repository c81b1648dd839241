import Foundation

/// Parses Kubernetes resource quantities ("64Mi", "1G", "500m", "1.5Gi", "1e3").
public enum Quantity {
    /// The quantity's value scaled to whole units, rounded up; nil when malformed.
    /// `bytes("64Mi") == 67108864`, `bytes("1.5k") == 1500`, `bytes("500m") == 1`.
    public static func value(_ text: String) -> Int64? {
        guard let (mantissa, scale) = parse(text) else { return nil }
        let v = mantissa * scale
        guard v.isFinite, v >= 0, v < 9.2e18 else { return nil }
        return Int64(v.rounded(.up))
    }

    /// CPU count for a quantity like "2" or "500m", rounded up to whole CPUs.
    public static func cpus(_ text: String) -> Int64? { value(text) }

    private static let binary: [String: Double] = [
        "Ki": 0x1p10, "Mi": 0x1p20, "Gi": 0x1p30, "Ti": 0x1p40, "Pi": 0x1p50, "Ei": 0x1p60,
    ]
    private static let decimal: [String: Double] = [
        "n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    ]

    private static func parse(_ raw: String) -> (Double, Double)? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        // Split at the first character that cannot belong to a signed decimal number.
        var numberEnd = text.startIndex
        for (i, c) in zip(text.indices, text) {
            if c.isASCII && (c.isNumber || c == "." || ((c == "+" || c == "-") && i == text.startIndex)) {
                numberEnd = text.index(after: i)
            } else { break }
        }
        let number = String(text[..<numberEnd])
        let suffix = String(text[numberEnd...])
        guard let mantissa = Double(number), !number.hasPrefix("-") else { return nil }
        if let s = binary[suffix] { return (mantissa, s) }
        if let s = decimal[suffix] { return (mantissa, s) }
        if suffix.first == "e" || suffix.first == "E", let exp = Int(suffix.dropFirst()), abs(exp) < 30 {
            var s = 1.0
            for _ in 0..<abs(exp) { s *= 10 }
            return (mantissa, exp < 0 ? 1 / s : s)
        }
        return nil
    }
}
