import Hub
import Records

/// `GET /api/payments/gaps`: gaps, unmatched and mismatched payments, in the order first seen.
public struct ReadOpenProblems: MoneyReadOperation {
    public typealias Reply = [Payment]

    public init() {}

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [Payment] {
        try store.openProblems()
    }
}
