/// Parsing of the command line's durations (`250ms`, `30s`, `5m`, `24h`, `30d`) and sizes
/// (`64KiB`, `1MiB`, or bytes).
public enum ConfigValue {
    public static func duration(_ text: String) -> Duration? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if suffix == "s" && number.hasSuffix("m") { continue }  // "ms" is matched first
            // Digits only, and no more than a UInt64 of nanoseconds holds (the reactor's unit).
            guard number.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(number) else { return nil }
            let (milliseconds, overflow) = value.multipliedReportingOverflow(by: scale)
            guard !overflow, milliseconds <= Int64(UInt64.max / 1_000_000) else { return nil }
            return .milliseconds(milliseconds)
        }
        return nil
    }

    public static func size(_ text: String) -> Int? {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("B", 1), ("", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Int(text.dropLast(suffix.count)), value >= 0 else { return nil }
            let (product, overflow) = value.multipliedReportingOverflow(by: scale)
            return overflow ? nil : product
        }
        return nil
    }

    /// A rate: `200/s`, `600/m`, `1000/h`, or a plain number per second. Per second.
    public static func rate(_ text: String) -> Double? {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let count = Double(first), count.isFinite, count >= 0 else { return nil }
        guard parts.count == 2 else { return count }
        switch parts[1] {
        case "s": return count
        case "m": return count / 60
        case "h": return count / 3600
        default: return nil
        }
    }
}
