import COpenSSL
import JSON
import WebSocket

/// Who may do what: HS256 JWTs (RFC 7519) with `sub`, `scope`, `exp`, and `iat` and `jti`
/// (RFC 7519 §4.1.6-7) so one can be revoked, so any backend can mint them with its own
/// JWT library. The algorithm is pinned: a token whose header says anything but HS256
/// (including "none") is refused.
public struct AccessToken: Equatable, Sendable {
    public enum Scope: String, Sendable, CaseIterable {
        case seller, support, balance, admin

        /// The longest a token of this scope may live: the more it can do, the shorter.
        /// A token that would outlive it is refused, wherever it was minted.
        public var maxLifetime: Int64 {
            switch self {
            case .admin, .support: return 30 * 86_400
            case .seller: return 90 * 86_400
            case .balance: return 365 * 86_400
            }
        }
    }

    public var subject: String
    public var scope: Scope
    /// Seconds since the Unix epoch.
    public var expiresAt: Int64
    /// When it was issued (0: the token does not say; any revocation of its subject covers it).
    public var issuedAt: Int64
    /// Its id, for revoking this one token (nil: the token has none).
    public var id: String?

    public init(subject: String, scope: Scope, expiresAt: Int64, issuedAt: Int64 = 0, id: String? = nil) {
        self.subject = subject
        self.scope = scope
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.id = id
    }

    /// A new token with a random id, issued `now`.
    public static func issue(subject: String, scope: Scope, now: Int64, lifetime: Int64) -> AccessToken {
        AccessToken(subject: subject, scope: scope, expiresAt: now + lifetime, issuedAt: now, id: HMAC.hex(HMAC.randomBytes(12)))
    }

    public enum Failure: Error, Equatable, Sendable {
        case malformed, wrongAlgorithm, badSignature, expired, lifetimeTooLong
    }

    public func signed(secret: [UInt8]) -> String {
        var payload = JSONWriter()
        payload.beginObject()
        payload.field("sub", subject)
        payload.field("scope", scope.rawValue)
        payload.key("exp")
        payload.int(Int(expiresAt))
        if issuedAt > 0 {
            payload.key("iat")
            payload.int(Int(issuedAt))
        }
        if let id { payload.field("jti", id) }
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
        guard exp - now <= scope.maxLifetime else { throw .lifetimeTooLong }
        var issuedAt: Int64 = 0
        if let iat = payload["iat"] {
            guard case .number(let text) = iat, let value = Self.numericDate(text) else { throw .malformed }
            issuedAt = value
        }
        var id: String?
        if let jti = payload["jti"] {
            guard let text = jti.stringValue, (1...128).contains(text.utf8.count) else { throw .malformed }
            id = text
        }
        return AccessToken(subject: subject, scope: scope, expiresAt: exp, issuedAt: issuedAt, id: id)
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

