/// An amount of money as integer minor units: exact, never a float. Text in and out is a
/// plain decimal with at most two fraction digits ("12.5", "0.07", "1200"): the ledger's
/// credits and the cents of most currencies; a payment's amount is read and written with its
/// currency's exponent instead (`Currency`: JPY 0, KWD 3).
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var minorUnits: Int64

    public init(minorUnits: Int64) {
        self.minorUnits = minorUnits
    }

    public static let zero = Money(minorUnits: 0)
    /// Enough for any shop; keeps every sum far from Int64's end.
    static let maxIntegerDigits = 13

    /// Parses a decimal. Refuses exponents, more than two fraction digits (they would be
    /// rounded, and money is not rounded silently), and absurd sizes.
    public init?(decimal text: String) { self.init(decimal: text, fractionDigits: 2) }

    /// The same with `fractionDigits` places in a minor unit (0 to 4).
    public init?(decimal text: String, fractionDigits places: Int) {
        guard (0...4).contains(places) else { return nil }
        var bytes = Substring(text).utf8[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        var whole: Int64 = 0
        var wholeDigits = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var seenDot = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard !seenDot else { return nil }
                seenDot = true
                continue
            }
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let digit = Int64(byte - 0x30)
            if seenDot {
                fractionDigits += 1
                // Trailing zeros beyond the minor unit are harmless ("1.500"); other digits are not.
                if fractionDigits > places {
                    guard digit == 0 else { return nil }
                    continue
                }
                fraction = fraction * 10 + digit
            } else {
                wholeDigits += 1
                guard wholeDigits <= Self.maxIntegerDigits else { return nil }
                whole = whole * 10 + digit
            }
        }
        guard wholeDigits + fractionDigits > 0, !(seenDot && fractionDigits == 0 && wholeDigits == 0) else { return nil }
        var scale: Int64 = 1
        for _ in 0..<places { scale *= 10 }
        for _ in min(fractionDigits, places)..<places { fraction *= 10 }
        let units = whole * scale + fraction
        minorUnits = negative ? -units : units
    }

    /// "12.50", "-0.07".
    public var description: String { text(fractionDigits: 2) }

    /// With `places` digits after the point: 500000 → "5000.00" (2), "500000" (0), "500.000" (3).
    public func text(fractionDigits places: Int) -> String {
        let magnitude = minorUnits.magnitude
        var scale: UInt64 = 1
        for _ in 0..<max(0, places) { scale *= 10 }
        let sign = minorUnits < 0 ? "-" : ""
        guard places > 0 else { return sign + "\(magnitude)" }
        let fraction = String(magnitude % scale)
        return sign + "\(magnitude / scale)." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    public static func < (a: Money, b: Money) -> Bool { a.minorUnits < b.minorUnits }
    /// The largest balance the ledger keeps (10 trillion units): every sum of a few
    /// million such amounts still fits in Int64.
    public static let limit = Money(minorUnits: 1_000_000_000_000_000)

    /// Sums for reports (monitor, stats) saturate instead of trapping; the ledger itself
    /// never gets near: it refuses a balance beyond `limit`.
    public static func + (a: Money, b: Money) -> Money {
        let (sum, overflow) = a.minorUnits.addingReportingOverflow(b.minorUnits)
        return Money(minorUnits: overflow ? (b.minorUnits > 0 ? .max : .min) : sum)
    }
    public static func - (a: Money, b: Money) -> Money { a + Money(minorUnits: -b.minorUnits) }
}
