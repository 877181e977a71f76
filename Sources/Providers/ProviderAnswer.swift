import Hub
import Webhooks

/// What a provider's API says about one of our payments.
public struct ProviderAnswer: Sendable, Equatable {
    public enum Verdict: String, Sendable {
        case paid, failed, pending, notFound
    }

    /// `PaymentProvider`'s raw value: "paystack", "stripe", "nowpayments", "mpesa".
    public var provider: String
    /// Ours, as the provider's webhook names it (Paystack `data.reference`, Stripe
    /// `client_reference_id` else `metadata.reference`, NOWPayments `order_id`, M-Pesa
    /// `CheckoutRequestID`).
    public var reference: String
    public var verdict: Verdict
    /// Minor units, read as the webhook parsers read them (`PayloadReading`).
    public var amount: Money?
    /// Upper-case ISO 4217 code (a coin's code, upper-cased, when ISO has none).
    public var currency: String?
    /// The provider's own id (Paystack transaction id, Stripe payment intent, NOWPayments
    /// payment id, M-Pesa receipt).
    public var providerReference: String?
    /// The customer paid less than the price (NOWPayments `partially_paid`).
    public var partial: Bool
    /// What the provider said about it (`gateway_response`, `ResultDesc`,
    /// `last_payment_error.message`), at most `ProviderText.messageLimit` characters.
    public var message: String?
    public var email: String?
    /// Identifies this answer, as `WebhookOutcome.deliveryKey` identifies a delivery, so that
    /// applying it twice changes nothing: "provider_api:PROVIDER:REFERENCE:VERDICT". Two
    /// answers that say the same of one payment (a verify and a list, two events) share it.
    public var deliveryKey: String

    public init(provider: PaymentProvider, reference: String, verdict: Verdict, amount: Money? = nil, currency: String? = nil,
                providerReference: String? = nil, partial: Bool = false, message: String? = nil, email: String? = nil) {
        self.provider = provider.rawValue
        self.reference = reference
        self.verdict = verdict
        self.amount = amount
        self.currency = currency
        self.providerReference = providerReference
        self.partial = partial
        self.message = message
        self.email = email
        deliveryKey = "provider_api:\(provider.rawValue):\(reference):\(verdict.rawValue)"
    }

    /// The answer as a webhook's meaning, so the money flows apply it as they apply a
    /// webhook: paid is `.webhookReceived` (the provider confirms the money), failed is
    /// `.failed` with the message, pending and notFound move nothing (stage nil).
    public var outcome: WebhookOutcome {
        let stage: Payment.Stage? = switch verdict {
        case .paid: .webhookReceived
        case .failed: .failed
        case .pending, .notFound: nil
        }
        var outcome = WebhookOutcome(reference: reference, stage: stage, amount: amount, currency: currency, email: email,
                                     errorMessage: verdict == .failed ? message : nil, deliveryKey: deliveryKey,
                                     providerReference: providerReference)
        outcome.partial = partial
        return outcome
    }
}
