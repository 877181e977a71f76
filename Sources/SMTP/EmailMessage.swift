/// One plain-text message, rendered as RFC 5322 puts it on the wire: header fields, an
/// empty line, the body, every line ended with CRLF (§2.1, §2.3).
///
/// Header injection is impossible by construction: the addresses are `EmailAddress`es, the
/// Message-ID is a dot-atom pair, the date is ours, and the subject is refused when it
/// holds CR, LF or any other control but HTAB (the initializer returns nil), then written
/// either as it is (short printable ASCII) or as RFC 2047 encoded-words.
public struct EmailMessage: Sendable {
    public let from: EmailAddress
    public let to: EmailAddress
    public let subject: String
    public let text: String
    /// Without angle brackets.
    public let messageID: String
    public let dateMilliseconds: Int64
    /// The message as sent after DATA's 354 (before dot-stuffing, which is the
    /// transport's: `SMTPSession` applies it).
    public private(set) var rendered: [UInt8] = []

    /// Bounds for text that is ours but still should not grow without limit.
    public static let maxSubjectLength = 2048
    public static let maxTextLength = 1 << 20

    /// `messageID`: `left@right` (dot-atoms, RFC 5322 §3.6.4), with or without the angle
    /// brackets, e.g. a unique id at the hub's host name. `date`: milliseconds since the
    /// epoch (1970 to 9999). Nil when an address, the subject or the Message-ID would not
    /// make a well-formed header, or a bound is passed.
    public init?(from: String, to: String, subject: String, text: String, messageID: String, date milliseconds: Int64) {
        guard let sender = EmailAddress(from), let recipient = EmailAddress(to),
              let id = Self.messageIDValue(messageID),
              let date = MessageDate.format(milliseconds: milliseconds),
              subject.utf8.count <= Self.maxSubjectLength,
              subject.unicodeScalars.allSatisfy({ $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F && !(0x80..<0xA0).contains($0.value)) }),
              text.utf8.count <= Self.maxTextLength else { return nil }
        self.from = sender
        self.to = recipient
        self.subject = subject
        self.text = text
        self.messageID = id
        self.dateMilliseconds = milliseconds
        rendered = render(date: date)
    }

    /// RFC 5322 §3.6 fields (Date and From are required, §3.6.1/§3.6.2; Message-ID
    /// SHOULD be present, §3.6.4), then the MIME fields (RFC 2045 §4, §5, §6): UTF-8 text,
    /// quoted-printable (see `QuotedPrintable` for why).
    private func render(date: String) -> [UInt8] {
        let subjectName = "Subject: "
        let subjectValue = EncodedWord.headerValue(subject, room: 78 - subjectName.count)
        var head = "Date: \(date)\r\n"
        head += "From: \(from.text)\r\n"
        head += "To: \(to.text)\r\n"
        head += subjectValue.isEmpty ? "Subject:\r\n" : "\(subjectName)\(subjectValue)\r\n"
        head += "Message-ID: <\(messageID)>\r\n"
        head += "MIME-Version: 1.0\r\n"
        head += "Content-Type: text/plain; charset=utf-8\r\n"
        head += "Content-Transfer-Encoding: quoted-printable\r\n"
        head += "\r\n"
        return Array(head.utf8) + QuotedPrintable.encode(text)
    }

    /// RFC 5322 §3.6.4: `msg-id = "<" id-left "@" id-right ">"`, here both dot-atom-text
    /// (the `no-fold-literal` form is not taken), at most 250 octets inside the brackets.
    private static func messageIDValue(_ text: String) -> String? {
        var inner = Substring(text)
        if inner.hasPrefix("<") && inner.hasSuffix(">") && inner.count >= 2 { inner = inner.dropFirst().dropLast() }
        let bytes = Array(inner.utf8)
        guard !bytes.isEmpty, bytes.count <= 250 else { return nil }
        let halves = bytes.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard halves.count == 2 else { return nil }
        for half in halves {
            let atoms = half.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
            guard atoms.allSatisfy({ !$0.isEmpty && $0.allSatisfy(EmailAddress.isAtext) }) else { return nil }
        }
        return String(inner)
    }
}
