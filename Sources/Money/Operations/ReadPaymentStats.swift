import Hub
import Records

/// `GET /api/payments/stats`: the payments created in the last `window` milliseconds, counted.
public struct ReadPaymentStats: MoneyReadOperation {
    public typealias Reply = PaymentStats

    public var window: Int64

    public init(window: Int64) { self.window = window }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> PaymentStats {
        try store.paymentStats(since: now - window)
    }
}
