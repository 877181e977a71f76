import Hub
import Records

/// `GET /api/payments`: newest first, found by the filter, at most 500.
public struct ReadPayments: MoneyReadOperation {
    public typealias Reply = [Payment]

    public var filter: PaymentFilter

    public init(_ filter: PaymentFilter) { self.filter = filter }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [Payment] {
        try store.payments(filter, limit: 500)
    }
}
