/// One question to a payment provider's API about one of our payments, and its answer
/// (issue "reconcile with the providers"): what the reconciliation pass, the console's
/// "Check with the provider" and an M-Pesa callback's confirmation record. Kept in the
/// payment's story; `moved` says what it changed.
public struct ProviderCheck: Sendable, Equatable {
    /// What the provider said.
    public enum Outcome: String, Sendable, CaseIterable {
        /// Money arrived.
        case paid
        /// Failed, abandoned, cancelled, expired.
        case failed
        /// Not settled yet.
        case pending
        /// The provider has no such payment.
        case notFound = "not_found"
        /// No answer: refused, unreachable, too slow, or not understood (`detail` says which).
        case error
    }

    /// Who asked.
    public enum Asker: String, Sendable {
        /// The reconciliation pass (`--reconcile-interval`).
        case reconcile
        /// An operator, from the console.
        case console
        /// The hub, before an M-Pesa callback counts.
        case callback
        /// The pass that lists what the provider has (Paystack's list, Stripe's undelivered events).
        case listing
    }

    public var id: Int64 = 0
    public var reference: String
    public var provider: String
    public var askedAt: Int64
    public var asker: Asker
    public var outcome: Outcome
    /// The provider's words (gateway response, result description) or why there was no answer.
    public var detail: String?
    public var amount: Money?
    public var currency: String?
    public var providerReference: String?
    public var partial = false
    public var email: String?
    /// What the answer did to the payment (`paid`, `failed`, `unmatched`), nil: nothing.
    public var moved: String?

    public init(reference: String, provider: String, askedAt: Int64, asker: Asker, outcome: Outcome, detail: String? = nil,
                amount: Money? = nil, currency: String? = nil, providerReference: String? = nil) {
        self.reference = reference
        self.provider = provider
        self.askedAt = askedAt
        self.asker = asker
        self.outcome = outcome
        self.detail = detail
        self.amount = amount
        self.currency = currency
        self.providerReference = providerReference
    }

    /// When a payment in doubt is asked again after its `checks`th question (0: the first),
    /// counted from when it came into doubt: the `after` delay, then 3×, 12×, 72× it; nil
    /// once those four are spent.
    public static func nextCheck(after checks: Int, since start: Int64, delay: Int64) -> Int64? {
        let multiples: [Int64] = [1, 3, 12, 72]
        guard checks >= 0, checks < multiples.count else { return nil }
        let (product, overflow) = delay.multipliedReportingOverflow(by: multiples[checks])
        return overflow ? nil : start + product
    }
}
