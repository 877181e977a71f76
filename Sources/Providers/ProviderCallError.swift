import HTTP1

/// Why a call to a provider's API gave no answer about the payment. Each says what happened
/// in words an operator can act on, and none holds a secret or a whole answer.
public enum ProviderCallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A key, secret or shortcode is missing or unusable: nothing was asked.
    case notConfigured(String)
    /// 401 or 403 (or a provider's own "invalid key" answer): our key is wrong.
    case unauthorized(Int)
    /// 429: asked too often. `Retry-After` in seconds when the answer said (RFC 9110 §10.2.3).
    case rateLimited(retryAfterSeconds: Int?)
    /// 5xx: the provider is down or failing; ask again later.
    case unavailable(Int)
    /// Not an answer of the shape the provider documents, or a refusal we did not expect.
    case badAnswer(String)

    public var description: String {
        switch self {
        case .notConfigured(let why): return "not configured: \(why)"
        case .unauthorized(let status): return "the provider refused our key (HTTP \(status))"
        case .rateLimited(let seconds?): return "rate limited: retry after \(seconds) s"
        case .rateLimited(nil): return "rate limited"
        case .unavailable(let status): return "the provider is unavailable (HTTP \(status))"
        case .badAnswer(let why): return "bad answer: \(why)"
        }
    }

    /// What the status alone says: 401/403, 429 and 5xx are the same for every provider;
    /// nil for the statuses each provider's parser reads itself (2xx, 400, 404, …).
    static func forStatus(_ status: Int, headers: HTTPHeaders) -> ProviderCallError? {
        switch status {
        case 401, 403: return .unauthorized(status)
        case 429: return .rateLimited(retryAfterSeconds: retryAfter(headers["Retry-After"]))
        case 500...599: return .unavailable(status)
        case 100...499: return nil
        default: return .badAnswer("HTTP status \(status) is not one")
        }
    }

    /// RFC 9110 §10.2.3 `Retry-After: delay-seconds`, at most a day; an HTTP-date (which we
    /// cannot read without a clock) or anything else is nil.
    static func retryAfter(_ value: String?) -> Int? {
        guard let text = value?.trimmingOWS(), !text.isEmpty, text.utf8.count <= 10,
              text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seconds = Int(text) else { return nil }
        return min(seconds, 86_400)
    }
}
