/// ISO 8601 UTC text for milliseconds since the epoch (`2026-11-23T10:00:00.000Z`), without
/// Foundation: days to a civil date by Howard Hinnant's algorithm.
public enum Timestamp {
    public static func iso8601(milliseconds: Int64) -> String {
        let ms = Int(milliseconds % 1000 + 1000) % 1000
        let seconds = (milliseconds - Int64(ms)) / 1000
        var days = Int(seconds / 86_400)
        var rest = Int(seconds % 86_400)
        if rest < 0 { rest += 86_400; days -= 1 }
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        // Digits straight into 24 bytes: this runs for every row and every answer.
        guard (0...9999).contains(year) else {
            func pad(_ n: Int, _ width: Int) -> String {
                let s = String(n)
                return String(repeating: "0", count: max(0, width - s.count)) + s
            }
            return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3600, 2)):\(pad(rest / 60 % 60, 2)):\(pad(rest % 60, 2)).\(pad(ms, 3))Z"
        }
        return String(unsafeUninitializedCapacity: 24) { buffer in
            func put(_ n: Int, _ width: Int, at offset: Int) {
                var n = n
                for i in stride(from: offset + width - 1, through: offset, by: -1) {
                    buffer[i] = UInt8(48 + n % 10)
                    n /= 10
                }
            }
            put(year, 4, at: 0); buffer[4] = 45  // -
            put(month, 2, at: 5); buffer[7] = 45
            put(day, 2, at: 8); buffer[10] = 84  // T
            put(rest / 3600, 2, at: 11); buffer[13] = 58  // :
            put(rest / 60 % 60, 2, at: 14); buffer[16] = 58
            put(rest % 60, 2, at: 17); buffer[19] = 46  // .
            put(ms, 3, at: 20); buffer[23] = 90  // Z
            return 24
        }
    }

    /// Milliseconds since the epoch from either that number or `YYYY-MM-DDTHH:MM:SS(.mmm)Z`.
    public static func parse(_ text: String) -> Int64? {
        if let ms = Int64(text) { return ms }
        let b = Array(text.utf8)
        guard b.count >= 20, b.last == UInt8(ascii: "Z"), b[4] == 0x2D, b[7] == 0x2D, b[10] == UInt8(ascii: "T"), b[13] == 0x3A, b[16] == 0x3A else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range { guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }; n = n * 10 + Int(b[i] - 0x30) }
            return n
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10),
              let hh = number(11..<13), let mm = number(14..<16), let ss = number(17..<19),
              (1...12).contains(m), (1...31).contains(d), hh < 24, mm < 60, ss < 61 else { return nil }
        var ms = 0
        if b.count > 20 {
            guard b[19] == 0x2E, b.count == 24, let frac = number(20..<23) else { return nil }
            ms = frac
        } else if b.count != 20 { return nil }
        // Days from civil (Hinnant).
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Int64(days) * 86_400_000 + Int64(hh * 3600 + mm * 60 + ss) * 1000 + Int64(ms)
    }
}
