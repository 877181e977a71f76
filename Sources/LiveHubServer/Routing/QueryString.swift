/// `a=1&b=x%20y` → ["a": "1", "b": "x y"] (the last value of a repeated name wins).
enum QueryString {
    static func parse(_ query: Substring) -> [String: String] {
        var out: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = percentDecode(parts[0]) else { continue }
            out[name] = parts.count > 1 ? percentDecode(parts[1]) ?? "" : ""
        }
        return out
    }

    /// Whether every name and value decodes (`percentDecode`).
    static func isWellFormed(_ query: Substring) -> Bool {
        // The common case, a beacon's `?sid=…`: plain ASCII decodes as it is.
        if query.utf8.allSatisfy({ $0 != UInt8(ascii: "%") && $0 < 0x80 }) { return true }
        return query.split(separator: "&").allSatisfy { pair in
            pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).allSatisfy { percentDecode($0) != nil }
        }
    }

    /// RFC 3986 §2.1 percent-decoding, `+` as space (form encoding); nil if malformed or if
    /// it decodes to a NUL (no key holds one, and a database would cut the key short there).
    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let hi = iterator.next().flatMap(hexDigit), let lo = iterator.next().flatMap(hexDigit) else { return nil }
                bytes.append(hi << 4 | lo)
            case UInt8(ascii: "+"): bytes.append(0x20)
            default: bytes.append(byte)
            }
        }
        guard !bytes.contains(0) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x37
        case 0x61...0x66: return b - 0x57
        default: return nil
        }
    }
}
