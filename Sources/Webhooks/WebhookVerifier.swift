import HTTP1
import Hub
import JSON

/// One provider's webhook, as pure functions: whether a delivery is really from it
/// (always over the raw body, compared in constant time), and what its payload means.
public protocol WebhookVerifier: Sendable {
    static var provider: PaymentProvider { get }
    /// nil when the delivery is the provider's; otherwise why it is refused.
    func refusal(body: [UInt8], headers: HTTPHeaders, pathToken: String?, now seconds: Int64) -> String?
    /// The payment event a verified payload reports.
    static func interpret(_ json: JSONValue) throws(WebhookPayloadError) -> WebhookOutcome
}

/// Why a verified payload cannot be applied (answered 400 `invalid_webhook`).
public struct WebhookPayloadError: Error, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// The readings below are `PayloadReading`'s, under the names the verifiers use.
func decimalAmount(_ value: JSONValue?, currency: String?) -> Money? { PayloadReading.decimalAmount(value, currency: currency) }
func currencyCode(_ value: JSONValue?) -> String? { PayloadReading.currencyCode(value) }
func minorUnits(_ value: JSONValue?) -> Money? { PayloadReading.minorUnits(value) }
