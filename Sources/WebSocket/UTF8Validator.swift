/// An incremental UTF-8 validator (RFC 3629): feed it a text message's bytes in any split
/// and it rejects at the first byte that cannot be part of valid UTF-8 — overlong forms,
/// surrogates, code points above U+10FFFF — so a fragmented message fails early.
public struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the current sequence.
    private var needed: UInt8 = 0
    /// Allowed range of the next continuation byte (narrower right after some lead bytes).
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    public init() {}

    /// True at a code point boundary: the bytes so far are complete UTF-8.
    public var isComplete: Bool { needed == 0 }

    public mutating func reset() {
        needed = 0
        lower = 0x80
        upper = 0xBF
    }

    /// Returns false at the first invalid byte; the validator is then unusable until reset.
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let count = bytes.count
        while i < count {
            let byte = bytes[i]
            if needed == 0 {
                // Fast path: eight ASCII bytes at a time.
                if byte < 0x80 {
                    while i + 8 <= count {
                        let word = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                        if word & 0x8080_8080_8080_8080 != 0 { break }
                        i += 8
                    }
                    while i < count, bytes[i] < 0x80 { i += 1 }
                    continue
                }
                switch byte {
                case 0xC2...0xDF: needed = 1
                case 0xE0: needed = 2; lower = 0xA0
                case 0xE1...0xEC, 0xEE, 0xEF: needed = 2
                case 0xED: needed = 2; upper = 0x9F          // no surrogates
                case 0xF0: needed = 3; lower = 0x90          // no overlong 4-byte forms
                case 0xF1...0xF3: needed = 3
                case 0xF4: needed = 3; upper = 0x8F          // nothing above U+10FFFF
                default: return false
                }
            } else {
                guard byte >= lower && byte <= upper else { return false }
                lower = 0x80
                upper = 0xBF
                needed -= 1
            }
            i += 1
        }
        return true
    }

    public mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }
}
