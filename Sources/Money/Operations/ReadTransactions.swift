import Hub
import Records

/// `GET /api/wallet/transactions` (and one by id): newest first, filtered, paged.
public struct ReadTransactions: MoneyReadOperation {
    public typealias Reply = [LedgerTransaction]

    public var filter: TransactionFilter

    public init(_ filter: TransactionFilter) { self.filter = filter }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [LedgerTransaction] {
        try store.transactions(filter)
    }
}
