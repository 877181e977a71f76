/// What a provider's notification means for the payment flow, read from its payload.
public struct WebhookOutcome: Sendable, Equatable {
    public var reference: String
    /// nil: an event kind that moves no payment (logged, nothing else).
    public var stage: Payment.Stage?
    public var amount: Money?
    public var currency: String?
    public var email: String?
    public var errorMessage: String?
    /// Identifies the notification, so a second delivery of it changes nothing.
    public var deliveryKey: String
    /// The provider's own id for the payment (M-Pesa receipt, Paystack transaction id,
    /// Stripe payment intent, NOWPayments payment id).
    public var providerReference: String?
    /// The customer paid less than the price (NOWPayments `partially_paid`).
    public var partial = false

    public init(reference: String, stage: Payment.Stage?, amount: Money? = nil, currency: String? = nil, email: String? = nil,
                errorMessage: String? = nil, deliveryKey: String, providerReference: String? = nil) {
        self.reference = reference
        self.stage = stage
        self.amount = amount
        self.currency = currency
        self.email = email
        self.errorMessage = errorMessage
        self.deliveryKey = deliveryKey
        self.providerReference = providerReference
    }
}
