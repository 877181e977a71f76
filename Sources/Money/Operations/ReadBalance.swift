import Hub
import Records

/// `GET /api/wallet/balance`: a user's balance (zero for one never seen).
public struct ReadBalance: MoneyReadOperation {
    public typealias Reply = Money

    public var userId: String

    public init(userId: String) { self.userId = userId }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> Money {
        try store.wallet(userId).balance
    }
}
