/// The quoted-printable body encoding (RFC 2045 §6.7), for `text/plain; charset=utf-8`.
///
/// Why quoted-printable and not 8bit: the message is rendered once, before any server is
/// asked what it supports, and quoted-printable is 7-bit, so it passes every relay, with
/// or without 8BITMIME (RFC 6152) or SMTPUTF8 (RFC 6531), and never needs downgrading
/// (RFC 5321 §2.4 only promises 7-bit transport). Its soft line breaks also keep every
/// line within 76 characters (§6.7 rule 5), far under RFC 5322 §2.1.1's 998, however
/// long the caller's lines. ASCII text stays readable as it is.
enum QuotedPrintable {
    /// Encoded lines at most this long, the soft break's `=` included (§6.7 rule 5).
    static let maxLineLength = 76

    /// `text`'s lines (split at CRLF, CR or LF alike: the caller's line breaks become the
    /// canonical CRLF, §6.7 rule 4), each encoded and ended with CRLF.
    static func encode(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return out }
        var lineStart = 0
        var index = 0
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == 13 || bytes[index] == 10 {
                if index == bytes.count && lineStart == index { break }  // text ended with a line break
                encodeLine(bytes[lineStart..<index], into: &out)
                if index < bytes.count && bytes[index] == 13 && index + 1 < bytes.count && bytes[index + 1] == 10 { index += 1 }
                index += 1
                lineStart = index
                continue
            }
            index += 1
        }
        return out
    }

    private static let hex = Array("0123456789ABCDEF".utf8)

    private static func encodeLine(_ line: ArraySlice<UInt8>, into out: inout [UInt8]) {
        var length = 0
        for position in line.indices {
            let byte = line[position]
            let isLast = position == line.index(before: line.endIndex)
            let literal: Bool
            switch byte {
            case 33...60, 62...126: literal = true  // rule 2: printable ASCII but "="
            case 9, 32: literal = !isLast  // rule 3: no white space at the end of a line
            default: literal = false  // "=", controls, every byte of a non-ASCII character (rule 1)
            }
            let width = literal ? 1 : 3
            // Rule 5: a soft line break ("=" CRLF) before the line would pass 76.
            // The last character needs no room for a following "=".
            if length + width > maxLineLength - (isLast ? 0 : 1) {
                out += [UInt8(ascii: "="), 13, 10]
                length = 0
            }
            if literal {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
            length += width
        }
        out += [13, 10]
    }
}
