/// The DATA transparency procedure (RFC 5321 §4.5.2): a line of the message that starts
/// with "." gets one more, so no line of it can read as the end of the data, which is
/// then marked by a line holding only "." (§4.1.1.4: `CRLF "." CRLF`).
enum DotStuffing {
    /// `message` (lines ended by CRLF) as written after the 354: stuffed, then ended.
    static func encode(_ message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 64 + 5)
        var atLineStart = true
        for byte in message {
            if atLineStart && byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            atLineStart = byte == 10
        }
        // The terminator must start a line of its own.
        if !out.isEmpty && !out.ends(with: [13, 10]) { out += [13, 10] }
        out += Array(".\r\n".utf8)
        return out
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}
