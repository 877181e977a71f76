import WebSocket

/// Header text that is not plain ASCII, as RFC 2047 encoded-words: `=?UTF-8?B?…?=`
/// (§2, §4.1 the "B" encoding, base64 of RFC 4648 §4).
enum EncodedWord {
    /// Octets of text per word. §2 allows 75 characters per encoded-word and 76 per line
    /// that holds one: 39 octets are 52 base64 characters, a 64-character word, which fits
    /// after `Subject: ` on the first line as well as after the folding space.
    static let maxOctetsPerWord = 39

    /// The value as a header needs it: as it is when it is short printable ASCII that
    /// cannot be mistaken for an encoded-word; otherwise encoded-words joined by folding
    /// white space (CRLF SP, RFC 5322 §2.2.3), each holding whole characters (§5 rule 3:
    /// a UTF-8 sequence is never split between two words).
    /// `room`: the characters the line has left after the field name.
    static func headerValue(_ text: String, room: Int) -> String {
        let plain = text.utf8.allSatisfy { (32...126).contains($0) } && !text.contains("=?") && text.utf8.count <= room
        if plain { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if chunk.count + encoded.count > maxOctetsPerWord {
                words.append(word(chunk))
                chunk = []
            }
            chunk += encoded
        }
        if !chunk.isEmpty { words.append(word(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    private static func word(_ octets: [UInt8]) -> String {
        "=?UTF-8?B?\(Base64.encode(octets))?="
    }
}
