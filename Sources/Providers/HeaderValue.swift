/// A value put in a request header we write. RFC 9110 §5.5: field values are visible ASCII,
/// spaces and tabs, and obs-text; CR, LF and NUL never. A value with any other control
/// character would split the header in two, so it is never written as it is.
enum HeaderValue {
    static func isSafe(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }
    }

    /// The value with every control character dropped: what a refused value (a token read
    /// from an answer, a secret the caller did not check) becomes if it is sent anyway.
    static func safe(_ text: String) -> String {
        isSafe(text) ? text : String(decoding: text.utf8.filter { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }, as: UTF8.self)
    }
}
