import Foundation

/// A Kubernetes resource quantity ("500m", "1Gi", "128974848", "1e3", "2k"),
/// held exactly as a decimal so conversions round the way the kubelet does.
public struct Quantity: Equatable, Sendable, CustomStringConvertible {
    /// The exact amount in base units (cores, bytes).
    public let amount: Decimal
    /// The text it was parsed from.
    public let description: String

    /// Parses a quantity; throws `ContainersError.invalidQuantity` for text Kubernetes rejects.
    public init(parsing text: String) throws {
        guard let amount = Quantity.parse(text) else { throw ContainersError.invalidQuantity(text) }
        self.amount = amount
        self.description = text
    }

    /// A quantity of exactly `value` base units.
    public init(_ value: Int64) {
        amount = Decimal(value)
        description = String(value)
    }

    /// The value rounded up to a whole base unit (kube's `Value()`), e.g. bytes.
    public var value: Int64 { Quantity.roundUp(amount) }
    /// The value in thousandths rounded up (kube's `MilliValue()`), e.g. millicores.
    public var milliValue: Int64 { Quantity.roundUp(amount * 1000) }
    /// True for a zero amount.
    public var isZero: Bool { amount == 0 }

    private static let binary: [String: Int] = ["Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6]
    private static let decimal: [String: Int] = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]

    static func parse(_ text: String) -> Decimal? {
        let s = Array(text.utf8)
        var i = 0
        var negative = false
        if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
            negative = s[i] == UInt8(ascii: "-")
            i += 1
        }
        let numStart = i
        var digits = 0, dots = 0
        while i < s.count, (s[i] >= 0x30 && s[i] <= 0x39) || s[i] == UInt8(ascii: ".") {
            if s[i] == UInt8(ascii: ".") { dots += 1 } else { digits += 1 }
            i += 1
        }
        guard digits > 0, dots <= 1 else { return nil }
        let numberText = String(decoding: s[numStart..<i], as: UTF8.self)
        let suffix = String(decoding: s[i...], as: UTF8.self)
        guard var number = Decimal(string: numberText.hasPrefix(".") ? "0" + numberText : numberText, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        if let p = binary[suffix] {
            for _ in 0..<p { number *= 1024 }
        } else if let e = decimal[suffix] {
            number = scale(number, e)
        } else if let first = suffix.first, first == "e" || first == "E" {
            let expText = suffix.dropFirst()
            guard let e = Int(expText), !expText.isEmpty, abs(e) <= 40 else { return nil }
            number = scale(number, e)
        } else {
            return nil
        }
        return negative ? -number : number
    }

    private static func scale(_ d: Decimal, _ exponent: Int) -> Decimal {
        var r = d
        if exponent > 0 { for _ in 0..<exponent { r *= 10 } }
        if exponent < 0 { for _ in 0..<(-exponent) { r /= 10 } }
        return r
    }

    static func roundUp(_ d: Decimal) -> Int64 {
        var input = d
        var out = Decimal()
        NSDecimalRound(&out, &input, 0, .up)
        if out > Decimal(Int64.max) { return Int64.max }
        if out < Decimal(Int64.min) { return Int64.min }
        return Int64(NSDecimalNumber(decimal: out).stringValue) ?? 0
    }
}
