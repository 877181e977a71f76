/// One server reply (RFC 5321 §4.2): a three-digit code and the text of each line; a
/// multi-line reply (§4.2.1) has several lines, all with the same code.
public struct SMTPReply: Sendable, Equatable {
    public let code: Int
    /// Each line's text after the code and its separator, control characters replaced by
    /// spaces (the text ends up in logs and alerts).
    public let lines: [String]

    /// 2yz, 3yz, 4yz, 5yz (RFC 5321 §4.2.1).
    public var isPositive: Bool { code / 100 == 2 }
    public var isIntermediate: Bool { code / 100 == 3 }
    public var isTransientNegative: Bool { code / 100 == 4 }
    public var isPermanentNegative: Bool { code / 100 == 5 }

    /// The lines in one string, bounded, for an error or a log line.
    public var text: String {
        let joined = lines.joined(separator: " ")
        return joined.count > 512 ? String(joined.prefix(512)) + "…" : joined
    }
}

/// Reads replies out of the server's bytes, sans I/O. Every byte is hostile: a line is at
/// most `maxLineLength` octets (RFC 5321 §4.5.3.1.5 allows 512; we take four times that
/// before calling it an attack), a reply at most `maxLines` lines, and anything that is
/// not `Reply-code [ ("-" / SP) textstring ] CRLF` (§4.2) is a protocol error, not a guess.
struct SMTPReplyReader {
    static let maxLineLength = 2048
    static let maxLines = 64

    private var buffer: [UInt8] = []
    private var code: Int?
    private var lines: [String] = []

    /// True while bytes wait that are not part of a complete reply yet.
    var hasPendingBytes: Bool { !buffer.isEmpty || code != nil }

    mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete reply, nil while more bytes are needed.
    mutating func next() throws(SMTPError) -> SMTPReply? {
        while let newline = buffer.firstIndex(of: 10) {
            guard newline < Self.maxLineLength else { throw tooLong }
            var line = buffer[..<newline]
            // CRLF ends a line (§2.3.8); a bare LF is taken as well, as most clients do.
            if line.last == 13 { line = line.dropLast() }
            let parsed = try Self.parse(line)
            buffer.removeSubrange(...newline)
            if let code, code != parsed.code {
                throw .protocolError("multi-line reply changes its code from \(code) to \(parsed.code) (RFC 5321 §4.2.1)")
            }
            code = parsed.code
            lines.append(parsed.text)
            if parsed.isLast {
                let reply = SMTPReply(code: parsed.code, lines: lines)
                self.code = nil
                lines = []
                return reply
            }
            guard lines.count < Self.maxLines else {
                throw .protocolError("reply longer than \(Self.maxLines) lines")
            }
        }
        if buffer.count >= Self.maxLineLength { throw tooLong }
        return nil
    }

    private var tooLong: SMTPError { .protocolError("reply line longer than \(Self.maxLineLength) bytes") }

    /// `Reply-code = %x32-35 %x30-35 %x30-39` (§4.2), then "-" (more lines follow), SP or
    /// nothing (the last line).
    private static func parse(_ line: ArraySlice<UInt8>) throws(SMTPError) -> (code: Int, text: String, isLast: Bool) {
        let bytes = Array(line)
        guard bytes.count >= 3, (50...53).contains(bytes[0]), (48...53).contains(bytes[1]), (48...57).contains(bytes[2]),
              bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-") else {
            throw .protocolError("not an SMTP reply: \(printable(bytes.prefix(64)).debugDescription)")
        }
        let code = Int(bytes[0] - 48) * 100 + Int(bytes[1] - 48) * 10 + Int(bytes[2] - 48)
        let isLast = bytes.count == 3 || bytes[3] == UInt8(ascii: " ")
        return (code, printable(bytes.dropFirst(4)), isLast)
    }

    /// Text safe to log: invalid UTF-8 repaired, controls made spaces.
    static func printable<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let text = String(decoding: bytes, as: UTF8.self)
        return String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }
}
