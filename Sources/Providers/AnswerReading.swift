import Hub
import JSON
import Webhooks

/// Reading a provider's answer: the body as JSON, at most 1 MiB, and its fields, where a
/// field that is there but not what the provider documents refuses the whole answer
/// (`badAnswer`) rather than be read as missing.
enum AnswerReading {
    /// The outgoing client reads at most 1 MiB of a body (`HTTPResponseParser`); a caller
    /// that reads more is refused the same.
    static let bodyLimit = 1 << 20

    static func json(_ body: [UInt8]) throws(ProviderCallError) -> JSONValue {
        guard body.count <= bodyLimit else { throw .badAnswer("the answer is larger than 1 MiB (\(body.count) bytes)") }
        do {
            return try JSONParser.parse(body)
        } catch {
            throw .badAnswer("the answer is not JSON: \(error.reason) at byte \(error.offset)")
        }
    }

    /// The body as a JSON object, or nil when it is not one (an error page of a proxy).
    static func objectIfAny(_ body: [UInt8]) -> JSONValue? {
        guard body.count <= bodyLimit, let json = try? JSONParser.parse(body), case .object = json else { return nil }
        return json
    }

    static func object(_ body: [UInt8]) throws(ProviderCallError) -> JSONValue {
        let json = try json(body)
        guard case .object = json else { throw .badAnswer("the answer is not a JSON object") }
        return json
    }

    /// A required text field: a string or number, bounded by `limit` bytes, no control character.
    static func text(_ value: JSONValue?, _ name: String, limit: Int) throws(ProviderCallError) -> String {
        guard let value, value != .null else { throw .badAnswer("\(name) is missing") }
        guard let text = value.scalarText else { throw .badAnswer("\(name) is not a string") }
        guard let kept = ProviderText.kept(text, limit: limit) else {
            throw .badAnswer("\(name) is empty, longer than \(limit) bytes or holds a control character")
        }
        return kept
    }

    /// An amount field: absent or null is nil; there, `read` must make money of it.
    static func amount(_ value: JSONValue?, _ name: String, _ read: (JSONValue?) -> Money?) throws(ProviderCallError) -> Money? {
        guard let value, value != .null else { return nil }
        guard let money = read(value) else { throw .badAnswer("\(name) is not an amount we can read") }
        return money
    }

    /// A currency field: absent or null is nil; there, a string of 1 to 16 ASCII letters
    /// and digits (ISO 4217, or a coin's code such as NOWPayments' "usdttrc20"), read as the
    /// webhooks read it (upper case).
    static func currency(_ value: JSONValue?, _ name: String) throws(ProviderCallError) -> String? {
        guard let value, value != .null else { return nil }
        guard let text = value.stringValue, (1...16).contains(text.utf8.count),
              text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }) else {
            throw .badAnswer("\(name) is not a currency code")
        }
        return PayloadReading.currencyCode(value)
    }

    /// The reference an answer names must be the one asked about: an answer about another
    /// payment (a proxy's mix-up, a wrong route) is never read as this one's.
    static func same(_ named: String, as asked: String, _ name: String) throws(ProviderCallError) {
        guard named == asked else { throw .badAnswer("\(name) is not the reference asked about") }
    }
}
