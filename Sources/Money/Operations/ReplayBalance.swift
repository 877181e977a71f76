import Hub
import Records

/// A balance socket joining: the balance and seq now, and the updates after `since`. Read
/// on the writer's thread, after the commits it covers and in order with their pushes.
public struct ReplayBalance: MoneyOrderedReadOperation {
    public typealias Reply = BalanceReplay

    public var userId: String
    public var since: Int64?

    public init(userId: String, since: Int64?) {
        self.userId = userId
        self.since = since
    }

    public func read(in writer: MoneyWriter) throws(RecordsFailure) -> BalanceReplay {
        let wallet = try writer.store.wallet(userId)
        let updates = try since.map { since throws(RecordsFailure) in try writer.store.transactions(of: userId, after: since, limit: 10_000) } ?? []
        var notifications: [Int64: UserNotification] = [:]
        for (_, n) in try writer.store.notifications(of: userId, transactionIds: updates.map(\.id)) where n.pushed {
            if let seq = n.userSeq { notifications[seq] = n }
        }
        return BalanceReplay(balance: wallet.balance, lastSeq: wallet.lastSeq, updates: updates, notifications: notifications,
                             unseen: try writer.store.unseenNotifications(of: userId))
    }
}

public struct BalanceReplay: Sendable {
    public var balance: Money
    public var lastSeq: Int64
    /// The user's transactions after `since`, oldest first.
    public var updates: [LedgerTransaction]
    /// Their notifications the user's preferences push, by seq.
    public var notifications: [Int64: UserNotification]
    /// The user's unseen notifications now.
    public var unseen: Int
}
