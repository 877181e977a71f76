/// Where the providers' APIs are and the keys that open them (`--paystack-api-url`,
/// `--stripe-api-key`, …), and how reconciliation paces its questions. The keys are never
/// printed: this value's description names which are set, not what they are.
public struct ProviderAPISettings: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var paystackURL = "https://api.paystack.co"
    public var stripeURL = "https://api.stripe.com"
    public var nowpaymentsURL = "https://api.nowpayments.io"
    public var mpesaURL = "https://api.safaricom.co.ke"
    public var stripeAPIKey: String?
    public var nowpaymentsAPIKey: String?
    public var mpesaConsumerKey: String?
    public var mpesaConsumerSecret: String?
    public var mpesaShortcode: String?
    public var mpesaPasskey: String?
    /// `--reconcile-after`: a payment not settled this long after it was first seen is asked
    /// about (then after 3×, 12× and 72× it).
    public var reconcileAfter: Duration = .seconds(600)
    /// `--reconcile-interval`: how often the pass looks for payments due.
    public var reconcileInterval: Duration = .seconds(60)
    /// `--reconcile-calls-per-minute`: at most this many questions a minute to each provider.
    public var callsPerMinute = 60
    /// `--reconcile-list-interval`: how often the providers' lists are read for payments we never saw.
    public var listInterval: Duration = .seconds(3600)

    public init() {}

    /// Daraja's STK query needs all four.
    public var mpesaConfigured: Bool {
        [mpesaConsumerKey, mpesaConsumerSecret, mpesaShortcode, mpesaPasskey].allSatisfy { !($0 ?? "").isEmpty }
    }

    public var description: String {
        let set = [("stripe-api-key", stripeAPIKey), ("nowpayments-api-key", nowpaymentsAPIKey),
                   ("mpesa-consumer-key", mpesaConsumerKey), ("mpesa-consumer-secret", mpesaConsumerSecret),
                   ("mpesa-passkey", mpesaPasskey)].filter { $0.1 != nil }.map(\.0)
        return "ProviderAPISettings(paystack: \(paystackURL), stripe: \(stripeURL), nowpayments: \(nowpaymentsURL), mpesa: \(mpesaURL), keys set: \(set))"
    }

    public var debugDescription: String { description }
}
