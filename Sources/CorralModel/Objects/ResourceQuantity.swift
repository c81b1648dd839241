import Foundation

/// Kubernetes resource quantities ("500m", "1Gi", "1e3", "128974848"):
/// parsing into numbers the scheduler, cgroups and downward API use.
public enum ResourceQuantity {
    static let binary: [String: Double] = ["Ki": 1024, "Mi": 1_048_576, "Gi": 1_073_741_824, "Ti": 1_099_511_627_776,
                                           "Pi": 1_125_899_906_842_624, "Ei": 1_152_921_504_606_846_976]
    static let decimal: [String: Double] = ["n": 1e-9, "u": 1e-6, "m": 1e-3, "": 1, "k": 1e3, "M": 1e6, "G": 1e9,
                                            "T": 1e12, "P": 1e15, "E": 1e18]

    /// The quantity's value in base units (cores, bytes), or nil when malformed.
    public static func parse(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { return nil }
        var numEnd = t.startIndex
        for (i, ch) in zip(t.indices, t) {
            if ch.isNumber || ch == "." || ((ch == "+" || ch == "-") && i == t.startIndex) { numEnd = t.index(after: i) } else { break }
        }
        guard let number = Double(t[t.startIndex..<numEnd]) else { return nil }
        let suffix = String(t[numEnd...])
        if let m = binary[suffix] { return number * m }
        if let m = decimal[suffix] { return number * m }
        if suffix.first == "e" || suffix.first == "E", let exp = Int(suffix.dropFirst()) { return number * pow(10, Double(exp)) }
        return nil
    }

    /// Whole bytes (rounded up, as Kubernetes does for memory).
    public static func bytes(_ s: String) -> Int64? { parse(s).map { Int64(($0 - 1e-9).rounded(.up)) } }

    /// Millicores (rounded up): "500m" → 500, "2" → 2000.
    public static func milli(_ s: String) -> Int64? { parse(s).map { Int64(($0 * 1000 - 1e-9).rounded(.up)) } }

    /// A JSON quantity (string or number) → base units.
    public static func parse(_ v: JSONValue?) -> Double? {
        switch v {
        case .string(let s)?: return parse(s)
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: return nil
        }
    }
}
