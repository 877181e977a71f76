/// The payment providers whose webhooks the hub takes (contract: "Provider webhooks"), as
/// they appear in `POST /webhooks/{provider}` and in the records.
public enum PaymentProvider: String, CaseIterable, Sendable {
    case paystack, nowpayments, stripe, mpesa

    /// M-Pesa signs nothing: its callback URL carries a token of ours
    /// (`/webhooks/mpesa/{token}`).
    public var takesPathToken: Bool { self == .mpesa }
}
