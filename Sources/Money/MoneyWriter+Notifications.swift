import Hub
import Records

/// Notifications, written in the transaction of what they describe (so an acknowledged
/// write always has its notification), decided by the user's preferences: pushed live or
/// not, queued for email or not. Each user's preferences and unseen count are cached here
/// (the writer alone changes them on this node; another node's ledger write for the user
/// drops them, `walletsMoved`).
extension MoneyWriter {
    /// The ledger entries' notifications.
    func notify(_ transactions: [LedgerTransaction]) throws(RecordsFailure) -> [UserNotification?] {
        guard !transactions.isEmpty else { return [] }
        // Each user's preferences and unseen count as they were, before this transaction's
        // rows are in: read together for the users not cached.
        try loadNotificationState(Set(transactions.lazy.map(\.userId)))
        var made: [UserNotification] = []
        made.reserveCapacity(transactions.count)
        // A ledger entry's notification has its transaction's id.
        for t in transactions {
            let kind = NotificationKind.of(t)
            let words = configuration.notifications.templates.render(
                kind, amount: t.amount.description, balance: t.balanceAfter.description, reference: t.paymentReference ?? t.reference,
                description: t.description.isEmpty ? String(t.kind.rawValue.map { $0 == "_" ? " " : $0 }) : t.description)
            var n = UserNotification(id: t.id, userId: t.userId, kind: kind, title: words.title, message: words.message,
                                     link: "/api/wallet/transactions/\(t.id)", amount: t.amount, balanceAfter: t.balanceAfter,
                                     reference: t.paymentReference ?? t.reference, transactionId: t.id, userSeq: t.userSeq, createdAt: t.createdAt)
            try decideChannels(&n)
            made.append(n)
        }
        try store.insert(notifications: made, emailDelay: configuration.notifications.emailDigest)
        return made.map { $0.pushed ? $0 : nil }
    }

    /// A notification that is not a ledger entry's, written and (if the user wants it) pushed.
    func notify(userId: String, kind: String, words: (title: String, message: String), amount: Money?, currency: String?,
                reference: String?, link: String?, now: Int64) throws(RecordsFailure) -> UserNotification {
        // One of the transactions' numbers, which no ledger entry then takes.
        var n = UserNotification(id: try takeIDs(.transaction, count: 1)[0], userId: userId, kind: kind, title: words.title,
                                 message: words.message, link: link, amount: amount, currency: currency, reference: reference, createdAt: now)
        try decideChannels(&n)
        let unseen = try unseenCount(userId) + 1
        try store.insert(notifications: [n], emailDelay: configuration.notifications.emailDigest)
        unseenCounts[userId] = unseen
        if n.pushed { pendingEffects.append(.notified(n, unseen: unseen)) }
        return n
    }

    private func decideChannels(_ n: inout UserNotification) throws(RecordsFailure) {
        let settings = configuration.notifications
        let channels = try preferences(of: n.userId).channels(kind: n.kind, amount: n.amount, defaults: settings.defaults, critical: settings.critical)
        n.pushed = channels.push
        n.emailStatus = channels.email ? "pending" : nil
    }

    private func loadNotificationState(_ users: Set<String>) throws(RecordsFailure) {
        let missing = users.filter { unseenCounts[$0] == nil || notificationPreferences[$0] == nil }
        guard !missing.isEmpty else { return }
        if unseenCounts.count + missing.count > Self.maxCachedWallets {
            unseenCounts.removeAll(keepingCapacity: true)
            notificationPreferences.removeAll(keepingCapacity: true)
        }
        for (user, state) in try store.notificationState(of: missing.sorted()) {
            if unseenCounts[user] == nil { unseenCounts[user] = state.unseen }
            if notificationPreferences[user] == nil { notificationPreferences[user] = state.preferences }
        }
    }

    /// An address given with a ledger write becomes the user's (if it is not already), in
    /// the write's transaction, before its notification decides where it goes.
    func rememberAddress(of entry: LedgerEntry) throws(RecordsFailure) {
        guard let email = entry.email, try preferences(of: entry.userId).email != email else { return }
        try store.setNotificationAddress(of: entry.userId, email, at: clock.nowMilliseconds)
        notificationPreferences[entry.userId]?.email = email
    }

    func preferences(of user: String) throws(RecordsFailure) -> NotificationPreferences {
        if let cached = notificationPreferences[user] { return cached }
        let read = try store.notificationPreferences(of: user)
        if notificationPreferences.count >= Self.maxCachedWallets { notificationPreferences.removeAll(keepingCapacity: true) }
        notificationPreferences[user] = read
        return read
    }

    /// The user's unseen notifications before this transaction's new ones.
    func unseenCount(_ user: String) throws(RecordsFailure) -> Int {
        if let cached = unseenCounts[user] { return cached }
        let read = try store.unseenNotifications(of: user)
        if unseenCounts.count >= Self.maxCachedWallets { unseenCounts.removeAll(keepingCapacity: true) }
        unseenCounts[user] = read
        return read
    }

    /// The ledger entries' effects, with their notifications and each user's unseen count after it.
    func balanceEffects(_ transactions: [LedgerTransaction], _ notifications: [UserNotification?]) throws(RecordsFailure) {
        for (t, n) in zip(transactions, notifications) {
            let unseen = try unseenCount(t.userId) + 1
            unseenCounts[t.userId] = unseen
            pendingEffects.append(.balanceChanged(t, notification: n, unseen: unseen))
        }
    }
}
