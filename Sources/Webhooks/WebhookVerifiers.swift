import HTTP1
import Hub
import JSON

/// Each provider's verifier, made once from the configured secrets.
public struct WebhookVerifiers: Sendable {
    public let paystack: Paystack
    public let nowpayments: NOWPayments
    public let stripe: Stripe
    public let mpesa: MPesa

    public init(paystackSecret: String?, nowpaymentsSecret: String?, stripeSecret: String?, mpesaToken: String?) {
        paystack = Paystack(secret: paystackSecret)
        nowpayments = NOWPayments(secret: nowpaymentsSecret)
        stripe = Stripe(secret: stripeSecret)
        mpesa = MPesa(token: mpesaToken)
    }

    public subscript(provider: PaymentProvider) -> any WebhookVerifier {
        switch provider {
        case .paystack: paystack
        case .nowpayments: nowpayments
        case .stripe: stripe
        case .mpesa: mpesa
        }
    }
}

extension PaymentProvider {
    /// What this provider's payload means (`WebhookVerifier.interpret`).
    public func interpret(_ json: JSONValue) throws(WebhookPayloadError) -> WebhookOutcome {
        switch self {
        case .paystack: try Paystack.interpret(json)
        case .nowpayments: try NOWPayments.interpret(json)
        case .stripe: try Stripe.interpret(json)
        case .mpesa: try MPesa.interpret(json)
        }
    }
}
