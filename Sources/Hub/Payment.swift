/// A payment followed end to end: initialized → completed → webhook_received → credited,
/// or failed. Stages may arrive out of order or twice; `status` is the furthest one.
public struct Payment: Sendable, Equatable {
    public enum Stage: String, Sendable, CaseIterable, Comparable {
        case initialized
        case completed
        case webhookReceived = "webhook_received"
        case credited
        case failed

        var rank: Int {
            switch self {
            case .initialized: return 0
            case .completed: return 1
            case .webhookReceived: return 2
            case .credited: return 3
            case .failed: return 4
            }
        }

        public static func < (a: Stage, b: Stage) -> Bool { a.rank < b.rank }
        /// The provider says the money arrived.
        var confirms: Bool { self == .completed || self == .webhookReceived }
    }

    public var reference: String
    public var provider: String
    public var status: Stage
    public var amount: Money?
    public var currency: String?
    public var userId: String?
    public var email: String?
    public var phone: String?
    public var plan: String?
    public var errorMessage: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    /// When each stage was first seen.
    public var stageTimes: [Stage: Int64] = [:]
    /// First time the provider confirmed the money (completed or webhook_received).
    public var confirmedAt: Int64?
    /// Since when it is an activation gap (nil: not one now).
    public var gapSince: Int64?
    /// When it first became a gap, kept after it is credited or resolved: the story support reads.
    public var becameGapAt: Int64?
    /// The hand resolutions, oldest first: an append-only trail.
    public var resolutions: [Resolution] = []
    /// Since when a provider has confirmed money for this reference that no payment of
    /// ours was initialized with (nil: matched, or resolved).
    public var unmatchedSince: Int64?
    /// What the provider said was paid, in its currency's minor units, when it said.
    public var providerAmount: Money?
    public var providerCurrency: String?
    /// The provider's own id for it (M-Pesa receipt, Paystack transaction id, Stripe
    /// payment intent, NOWPayments payment id): what support finds in the provider's dashboard.
    public var providerReference: String?
    /// Since when the provider's amount or currency differs from the shop's (nil: they
    /// agree, one is unknown, or resolved by hand). Never credited by the hub on its own.
    public var mismatchSince: Int64?
    /// The provider says the customer paid less than the price (NOWPayments `partially_paid`).
    public var partial = false

    public struct Resolution: Sendable, Equatable {
        /// Closed by hand without money moving, or credited by hand (support's credit).
        public enum Kind: String, Sendable {
            case resolved, credited
        }

        public var at: Int64
        /// The token's `sub`, or `api-key`.
        public var by: String
        public var note: String?
        public var kind: Kind

        public init(at: Int64, by: String, note: String?, kind: Kind = .resolved) {
            self.at = at
            self.by = by
            self.note = note
            self.kind = kind
        }
    }

    /// The last time a person closed it without a credit.
    public var resolvedAt: Int64? { resolutions.last { $0.kind == .resolved }?.at }
    public var isGap: Bool { gapSince != nil }
    public var isUnmatched: Bool { unmatchedSince != nil }
    public var isMismatched: Bool { mismatchSince != nil }
    /// Nothing has confirmed it (no verified webhook, no provider's answer saying paid) and
    /// it is not settled: reconciliation asks its provider about it.
    public var isInDoubt: Bool { confirmedAt == nil && ![.credited, .failed, .resolved].contains(state) }

    /// What support must look at, if anything: money not credited, money we cannot place,
    /// or money the provider counts differently from the shop.
    public enum Problem: String, Sendable, CaseIterable {
        case gap, unmatched
        case amountMismatch = "amount_mismatch"
    }

    /// Where a payment is, in the one vocabulary lists, filters, stats and pages use: its
    /// furthest stage, or `resolved` when a person closed it without a credit.
    public enum State: String, Sendable, CaseIterable {
        case initialized, completed
        case webhookReceived = "webhook_received"
        case credited, failed, resolved
    }

    public var state: State {
        if status != .credited && resolvedAt != nil { return .resolved }
        return State(rawValue: status.rawValue) ?? .initialized
    }

    /// A payment as its first report creates it.
    public init(first e: PaymentEvent) {
        self.init(reference: e.reference, provider: e.provider, status: e.stage, createdAt: e.receivedAt, updatedAt: e.receivedAt)
    }

    public init(reference: String, provider: String, status: Stage, createdAt: Int64, updatedAt: Int64) {
        self.reference = reference
        self.provider = provider
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// One stage report applied: later reports fill in what earlier ones did not say; the
    /// furthest stage wins, and `failed` ends a payment unless it was credited (the money
    /// is in the user's balance whatever the provider says after).
    public mutating func record(_ e: PaymentEvent) {
        if e.fromProvider {
            providerAmount = e.amount ?? providerAmount
            providerCurrency = e.currency ?? providerCurrency
            providerReference = providerReference ?? e.providerReference
            if e.partial { partial = true }
        } else {
            amount = amount ?? e.amount
            currency = currency ?? e.currency
            providerReference = providerReference ?? e.providerReference
        }
        userId = userId ?? e.userId
        email = email ?? e.email
        phone = phone ?? e.phone
        plan = plan ?? e.plan
        if let message = e.errorMessage { errorMessage = message }
        // The shop's own backend initializing or crediting it: the reference is ours after all.
        if e.stage == .initialized || e.stage == .credited { unmatchedSince = nil }
        if stageTimes[e.stage] == nil { stageTimes[e.stage] = e.receivedAt }
        updatedAt = max(updatedAt, e.receivedAt)
        switch e.stage {
        case .failed:
            if status != .credited { status = .failed }
        case .credited:
            status = .credited
        default:
            if status != .failed && status != .credited && e.stage > status { status = e.stage }
        }
        if e.stage.confirms && confirmedAt == nil { confirmedAt = e.receivedAt }
        if mismatchSince == nil, resolutions.isEmpty, status != .credited, disagreesWithProvider { mismatchSince = e.receivedAt }
        if !awaitsCredit { gapSince = nil }
    }

    /// The provider's word against the shop's: a partial payment, another currency, or
    /// another amount. Nothing to compare while either side has not said.
    public var disagreesWithProvider: Bool {
        if partial { return true }
        if let theirs = providerCurrency, let ours = currency, theirs != ours { return true }
        if let theirs = providerAmount, let ours = amount, theirs != ours { return true }
        return false
    }

    /// Resolved by hand: no longer a gap or unmatched, the note kept in the trail.
    public mutating func resolve(note: String?, by: String?, at: Int64) {
        resolutions.append(Resolution(at: at, by: by ?? "unknown", note: note))
        gapSince = nil
        unmatchedSince = nil
        mismatchSince = nil
        updatedAt = at
    }

    public var problem: Problem? { isUnmatched ? .unmatched : isMismatched ? .amountMismatch : isGap ? .gap : nil }
    /// Confirmed, not credited, not failed, not resolved by hand, and the provider's amount
    /// is the shop's: a gap once the grace passes.
    public var awaitsCredit: Bool {
        confirmedAt != nil && status != .credited && status != .failed && resolvedAt == nil && !isMismatched
    }

    /// The amount and currency to show: the shop's, or the provider's when the shop never said.
    public var shownAmount: (amount: Money?, currency: String?) {
        amount != nil ? (amount, currency) : (providerAmount, providerCurrency ?? currency)
    }
}

/// One stage report, as recorded (a `payment_events` row).
public struct PaymentEvent: Sendable, Equatable {
    public var reference: String
    public var provider: String
    public var stage: Payment.Stage
    public var amount: Money?
    public var currency: String?
    public var userId: String?
    public var email: String?
    public var phone: String?
    public var plan: String?
    public var errorMessage: String?
    public var receivedAt: Int64
    /// Said by the provider (a verified webhook), not by the shop: its amount is compared
    /// with the shop's, never taken for it.
    public var fromProvider = false
    public var providerReference: String?
    public var partial = false
    /// Who said it; nil: the shop's backend.
    public var source: Source?

    public enum Source: String, Sendable {
        /// A verified webhook.
        case webhook
        /// The provider's API, asked by the hub (`ProviderCheck`).
        case providerAPI = "provider_api"
    }

    public init(reference: String, provider: String, stage: Payment.Stage, amount: Money? = nil, currency: String? = nil,
                userId: String? = nil, email: String? = nil, phone: String? = nil, plan: String? = nil,
                errorMessage: String? = nil, receivedAt: Int64) {
        self.reference = reference
        self.provider = provider
        self.stage = stage
        self.amount = amount
        self.currency = currency
        self.userId = userId
        self.email = email
        self.phone = phone
        self.plan = plan
        self.errorMessage = errorMessage
        self.receivedAt = receivedAt
    }
}

/// Phone numbers as lookups compare them: digits only, so `+254 700 000001`,
/// `254700000001` and `254-700-000001` are one number.
public enum PhoneNumber {
    public static func digits(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.value >= 48 && $0.value <= 57 }.map(Character.init))
    }
}
