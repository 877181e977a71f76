import Hub
import Records

/// The reconciliation pass's list: payments whose next question to their provider is due,
/// oldest due first, at most `limit`, each with how many questions it has had.
public struct ReadPaymentsToCheck: MoneyReadOperation {
    public typealias Reply = [PaymentToCheck]

    public var limit: Int
    /// The providers this hub can ask (the others' payments wait for a hub that can).
    public var providers: [String]

    public init(limit: Int, providers: [String]) {
        self.limit = limit
        self.providers = providers
    }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [PaymentToCheck] {
        try store.paymentsToCheck(now: now, providers: providers, limit: limit).map { PaymentToCheck(payment: $0.payment, checks: $0.checks) }
    }
}

public struct PaymentToCheck: Sendable {
    public var payment: Payment
    /// Questions asked so far.
    public var checks: Int
}

/// `GET /api/payments/checks?reference=`: the questions asked about one payment and the
/// providers' answers, newest first.
public struct ReadProviderChecks: MoneyReadOperation {
    public typealias Reply = [ProviderCheck]

    public var reference: String

    public init(reference: String) { self.reference = reference }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [ProviderCheck] {
        try store.providerChecks(references: [reference], limit: 50)
    }
}

/// The payment an operator asks the provider about, as it is.
public struct ReadPaymentForCheck: MoneyReadOperation {
    public typealias Reply = Payment?

    public var reference: String

    public init(reference: String) { self.reference = reference }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> Payment? {
        try store.payment(reference)
    }
}
