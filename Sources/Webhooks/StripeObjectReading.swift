import Hub
import JSON

/// What a Stripe object (a Checkout Session, a PaymentIntent, a Charge) says about one of
/// our payments, read one way from a webhook event's `data.object` and from an answer of
/// Stripe's API (`Providers`). Stripe's API reference: "The Checkout Session object",
/// "The PaymentIntent object" (docs.stripe.com/api).
public struct StripeObjectReading: Sendable, Equatable {
    /// Ours: `client_reference_id` (set on a Checkout Session), else `metadata.reference`.
    public var reference: String
    /// In the currency's smallest unit (Stripe's "zero-decimal currencies": JPY in yen):
    /// a session's `amount_total`, else the object's `amount`.
    public var amount: Money?
    public var currency: String?
    public var email: String?
    /// The payment intent: the one the object names, or the object itself when it is one.
    public var paymentIntent: String?

    /// nil when the object names no reference of ours. `isPaymentIntent`: the object is a
    /// PaymentIntent, so its own `id` is the payment intent.
    public init?(_ object: JSONValue, isPaymentIntent: Bool) {
        guard let reference = object["client_reference_id"]?.scalarText ?? object["metadata"]?["reference"]?.scalarText else { return nil }
        self.reference = reference
        amount = PayloadReading.minorUnits(object["amount_total"] ?? object["amount"])
        currency = PayloadReading.currencyCode(object["currency"])
        email = object["customer_details"]?["email"]?.scalarText ?? object["receipt_email"]?.scalarText
        paymentIntent = object["payment_intent"]?.scalarText ?? (isPaymentIntent ? object["id"]?.scalarText : nil)
    }
}
