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

/// Integer minor units (kobo, cents), as Paystack and Stripe send amounts.
/// A decimal amount (M-Pesa's `Amount`, NOWPayments' `price_amount`) in its currency's
/// minor units; nil when it is not one, or has more places than the currency.
func decimalAmount(_ value: JSONValue?, currency: String?) -> Money? {
    guard let text = value?.scalarText else { return nil }
    let places = currency.flatMap(Currency.init(code:))?.exponent ?? 2
    guard let money = Money(decimal: text, fractionDigits: places), money.minorUnits >= 0 else { return nil }
    return money
}

/// A provider's currency code as ISO 4217 writes it ("ngn" → "NGN"); a code ISO does not
/// know (a crypto coin) is kept as sent, upper-cased.
func currencyCode(_ value: JSONValue?) -> String? {
    guard let text = value?.scalarText, !text.isEmpty, text.utf8.count <= 16 else { return nil }
    return Currency(code: text)?.code ?? text.uppercased()
}

func minorUnits(_ value: JSONValue?) -> Money? {
    guard let text = value?.scalarText, let units = Int64(text), units >= 0 else { return nil }
    return Money(minorUnits: units)
}
