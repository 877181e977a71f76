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
        // Each update's notification is made from it, unless its row says it was not pushed.
        let rows = try writer.store.notifications(of: userId, transactionIds: updates.map(\.id))
        var notifications: [Int64: UserNotification] = [:]
        for t in updates {
            var n = UserNotification.of(t, templates: writer.configuration.notifications.templates)
            if let row = rows[t.id] { n.take(stateOf: row) }
            if n.pushed { notifications[t.userSeq] = n }
        }
        let unseen = try writer.store.unseenNotifications(of: userId)
        // From now on this user's pushes carry the count (the socket reads it here, in
        // order with them).
        writer.watchUnseen(userId, count: unseen)
        return BalanceReplay(balance: wallet.balance, lastSeq: wallet.lastSeq, updates: updates, notifications: notifications, unseen: unseen)
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
