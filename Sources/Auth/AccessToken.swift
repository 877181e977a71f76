import COpenSSL
import JSON
import WebSocket

/// Who may do what: HS256 JWTs (RFC 7519) with `sub`, `scope` and `exp`, so any backend can
/// mint them with its own JWT library. The algorithm is pinned: a token whose header says
/// anything but HS256 (including "none") is refused.
public struct AccessToken: Equatable, Sendable {
    public enum Scope: String, Sendable, CaseIterable {
        case seller, balance, admin
    }

    public var subject: String
    public var scope: Scope
    /// Seconds since the Unix epoch.
    public var expiresAt: Int64

    public init(subject: String, scope: Scope, expiresAt: Int64) {
        self.subject = subject
        self.scope = scope
        self.expiresAt = expiresAt
    }

    public enum Failure: Error, Equatable, Sendable {
        case malformed, wrongAlgorithm, badSignature, expired
    }

    public func signed(secret: [UInt8]) -> String {
        var payload = JSONWriter()
        payload.beginObject()
        payload.field("sub", subject)
        payload.field("scope", scope.rawValue)
        payload.key("exp")
        payload.int(Int(expiresAt))
        payload.endObject()
        let signingInput = Base64.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), urlSafe: true, padding: false)
            + "." + Base64.encode(payload.bytes, urlSafe: true, padding: false)
        return signingInput + "." + Base64.encode(HMAC.sha256(key: secret, message: Array(signingInput.utf8)), urlSafe: true, padding: false)
    }

    /// Checks signature (constant time), algorithm and expiry; `now` in seconds.
    public static func verify(_ token: String, secret: [UInt8], now: Int64) throws(Failure) -> AccessToken {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              let headerBytes = Base64.decode(parts[0]), let payloadBytes = Base64.decode(parts[1]),
              let signature = Base64.decode(parts[2]),
              let header = try? JSONParser.parse(headerBytes), let payload = try? JSONParser.parse(payloadBytes)
        else { throw .malformed }
        // A member given twice is ambiguous (RFC 7519 §4: reject or take the last; we
        // reject), so no claim can be overridden by appending a second one.
        guard !header.hasDuplicateKeys, !payload.hasDuplicateKeys else { throw .malformed }
        guard header["alg"]?.stringValue == "HS256" else { throw .wrongAlgorithm }
        let expected = HMAC.sha256(key: secret, message: Array(token.utf8[..<parts[1].endIndex]))
        guard HMAC.constantTimeEquals(expected, signature) else { throw .badSignature }
        guard let subject = payload["sub"]?.scalarText,
              let scope = payload["scope"]?.stringValue.flatMap(Scope.init(rawValue:)),
              case .number(let expText) = payload["exp"], let exp = Self.numericDate(expText)
        else { throw .malformed }
        guard exp > now else { throw .expired }
        return AccessToken(subject: subject, scope: scope, expiresAt: exp)
    }

    /// A NumericDate (RFC 7519 §2): a JSON number of seconds, possibly with a fraction
    /// (dropped). A string, an exponent or a value past Int64 is refused.
    static func numericDate(_ text: String) -> Int64? {
        let whole = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = whole.first, !first.isEmpty, first.allSatisfy(\.isASCIIDigitOrMinus) else { return nil }
        if whole.count == 2 { guard !whole[1].isEmpty, whole[1].allSatisfy(\.isASCIIDigit) else { return nil } }
        return Int64(first)
    }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    var isASCIIDigitOrMinus: Bool { isASCIIDigit || self == "-" }
}

