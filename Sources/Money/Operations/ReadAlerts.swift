import Hub
import Records

/// `GET /api/alerts`: newest first, each with its delivery as the outbox has it.
public struct ReadAlerts: MoneyReadOperation {
    public typealias Reply = [AlertRow]

    public var limit: Int

    public init(limit: Int) { self.limit = limit }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [AlertRow] {
        try store.alerts(limit: limit)
    }
}
