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

extension JSONValue {
    /// An object with the same member name twice.
    var hasDuplicateKeys: Bool {
        guard case .object(let members) = self else { return false }
        var seen = Set<String>()
        return !members.allSatisfy { seen.insert($0.0).inserted }
    }
}

/// HMAC through OpenSSL (RFC 2104).
public enum HMAC {
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        digest(EVP_sha256(), key: key, message: message, length: 32)
    }

    public static func sha512(key: [UInt8], message: [UInt8]) -> [UInt8] {
        digest(EVP_sha512(), key: key, message: message, length: 64)
    }

    private static func digest(_ md: OpaquePointer?, key: [UInt8], message: [UInt8], length: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: length)
        var outLength: UInt32 = 0
        key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                out.withUnsafeMutableBytes { o in
                    _ = COpenSSL.HMAC(md, k.baseAddress, Int32(k.count), m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count,
                                      o.baseAddress?.assumingMemoryBound(to: UInt8.self), &outLength)
                }
            }
        }
        return out
    }

    /// Compares without an early exit, so the time taken does not reveal where they differ.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }

    /// Lower-case hex, as webhook signatures and our secrets are written.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]] }
        return String(decoding: out, as: UTF8.self)
    }

    /// `count` random bytes from OpenSSL's CSPRNG.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "OpenSSL RAND_bytes failed")
        return out
    }
}
