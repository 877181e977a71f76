import Hub
import Records

/// `GET /api/admin/transactions/monitor`: the ledger of the last `window` milliseconds, summed.
public struct ReadMonitor: MoneyReadOperation {
    public typealias Reply = LedgerSummary

    public var window: Int64

    public init(window: Int64) { self.window = window }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> LedgerSummary {
        try store.monitor(since: now - window)
    }
}
