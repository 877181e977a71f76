import JSON

/// The strings an answer keeps, each bounded: a provider's answer is read as hostile, and
/// what we keep goes to the records (PostgreSQL's text holds no NUL) and to operators' screens.
enum ProviderText {
    /// As the hub's own references (`reference` ≤ 256 bytes in the API's bodies).
    static let referenceLimit = 256
    /// A provider's id, an event id, an email.
    static let idLimit = 255
    static let emailLimit = 320
    /// Characters of a provider's message kept (`gateway_response`, `ResultDesc`, …).
    static let messageLimit = 500

    /// The text as it is when it has no control character and at most `limit` bytes; nil
    /// otherwise (an id that does not fit is not one we can match).
    static func kept(_ text: String?, limit: Int) -> String? {
        guard let text, !text.isEmpty, text.utf8.count <= limit, text.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x7F }) else { return nil }
        return text
    }

    static func kept(_ value: JSONValue?, limit: Int) -> String? { kept(value?.scalarText, limit: limit) }

    /// A message for people: control characters become spaces, and it is cut to
    /// `messageLimit` Unicode scalars (so to at most 2,000 bytes, whatever the text: a
    /// character may hold any number of combining scalars). nil when blank.
    static func message(_ text: String?) -> String? {
        guard let text else { return nil }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(messageLimit) {
            scalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? " " : scalar)
        }
        let message = String(scalars)
        return message.allSatisfy({ $0 == " " }) ? nil : message
    }

    static func message(_ value: JSONValue?) -> String? { message(value?.stringValue) }
}
