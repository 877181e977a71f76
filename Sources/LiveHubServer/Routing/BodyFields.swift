import Hub
import Phones
import JSON

/// Typed access to a JSON request body's fields. Every refusal names the field and why,
/// as a 400 with the caller's error code.
struct BodyFields {
    let body: JSONValue
    let errorCode: String

    init(_ body: JSONValue, errorCode: String) throws(APIError) {
        self.body = body
        self.errorCode = errorCode
        guard case .object = body else { throw invalid("the body must be a JSON object") }
    }

    func invalid(_ message: String) -> APIError {
        APIError(.badRequest, code: errorCode, message: message)
    }

    func text(_ name: String, max: Int) throws(APIError) -> String? {
        guard let value = body[name], value != .null else { return nil }
        guard let text = value.scalarText else { throw invalid("\(name) must be a string") }
        guard text.utf8.count <= max else { throw invalid("\(name) is longer than \(max) bytes") }
        // No name, id or message holds one, and PostgreSQL's text cannot: a key that did
        // would reach the database cut short at it, as somebody else's.
        guard !text.utf8.contains(0) else { throw invalid("\(name) may not hold a NUL character") }
        return text.isEmpty ? nil : text
    }

    func required(_ name: String, max: Int) throws(APIError) -> String {
        guard let text = try text(name, max: max) else { throw invalid("\(name) is required") }
        return text
    }

    /// A phone number in E.164 when libphonenumber reads it ("0712345678" in KE:
    /// "+254712345678"), else as written (compared by its digits, as before).
    func phone(_ name: String, _ phones: PhoneNormalizer) throws(APIError) -> String? {
        try text(name, max: 64).map { phones.e164($0) ?? $0 }
    }

    func session() throws(APIError) -> String { try required("session_id", max: 128) }

    /// A decimal amount, kept as its text (never a float).
    func amount(_ name: String) throws(APIError) -> String? {
        guard let value = body[name], value != .null else { return nil }
        guard let text = value.scalarText, Self.isDecimal(text) else { throw invalid("\(name) must be a decimal number") }
        return text
    }

    /// An amount of money: a decimal with at most two fraction digits, as integer cents.
    func money(_ name: String) throws(APIError) -> Money? {
        guard let text = try amount(name) else { return nil }
        guard let money = Money(decimal: text) else { throw invalid("\(name) must have at most two decimal places") }
        return money
    }

    /// Any JSON value, kept as compact JSON text of at most `max` bytes.
    func json(_ name: String, max: Int) throws(APIError) -> String? {
        guard let value = body[name], value != .null else { return nil }
        let text = value.serialized
        guard text.utf8.count <= max else { throw invalid("\(name) is longer than \(max) bytes") }
        return text
    }

    /// No control characters (names and tags a browser or a caller sends, shown on pages and
    /// kept in rows). Printable ASCII, the usual case, is checked without Unicode's tables
    /// (7,000 instructions an event beacon, callgrind).
    static func isPrintable(_ text: String) -> Bool {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return true }
        return !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    static func isDecimal(_ text: String) -> Bool {
        var seenDot = false, digits = 0
        for (i, c) in text.utf8.enumerated() {
            if c == UInt8(ascii: "-") && i == 0 { continue }
            if c == UInt8(ascii: ".") && !seenDot { seenDot = true; continue }
            guard c >= 0x30 && c <= 0x39 else { return false }
            digits += 1
        }
        return digits > 0 && digits <= 30
    }
}
