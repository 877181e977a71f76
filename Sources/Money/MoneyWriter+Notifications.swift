import Hub
import Records

/// Notifications, decided by the user's preferences: pushed live or not, queued for email
/// or not. A ledger entry's notification is made from its row (`UserNotification.of`), so
/// its write stores nothing more unless the entry is not pushed or goes by email; one that
/// is no ledger entry's is written in the transaction of what it describes. Each user's
/// preferences are cached here (the writer alone changes them on this node); so is the
/// unseen count of the users whose sockets asked for it (`watchUnseen`), for the pushes.
extension MoneyWriter {
    /// The ledger entries' channels: whether each is pushed. A row is written for those
    /// not pushed or emailed.
    func notify(_ transactions: [LedgerTransaction]) throws(RecordsFailure) -> [Bool] {
        guard !transactions.isEmpty else { return [] }
        try loadPreferences(Set(transactions.lazy.map(\.userId)))
        let settings = configuration.notifications
        var pushed: [Bool] = []
        pushed.reserveCapacity(transactions.count)
        var stored: [UserNotification] = []
        for t in transactions {
            let kind = NotificationKind.of(t)
            let channels = try preferences(of: t.userId).channels(kind: kind, amount: t.amount, defaults: settings.defaults, critical: settings.critical)
            pushed.append(channels.push)
            guard !channels.push || channels.email else { continue }
            // Its words are the transaction's, made when read: the row keeps what the
            // transaction does not say.
            var n = UserNotification(id: t.id, userId: t.userId, kind: kind, title: "", message: "", amount: t.amount,
                                     balanceAfter: t.balanceAfter, reference: t.paymentReference ?? t.reference,
                                     transactionId: t.id, userSeq: t.userSeq, createdAt: t.createdAt)
            n.pushed = channels.push
            n.emailStatus = channels.email ? "pending" : nil
            stored.append(n)
        }
        try store.insert(notifications: stored, emailDelay: settings.emailDigest)
        return pushed
    }

    /// A notification that is not a ledger entry's, written and (if the user wants it) pushed.
    func notify(userId: String, kind: String, words: (title: String, message: String), amount: Money?, currency: String?,
                reference: String?, link: String?, now: Int64) throws(RecordsFailure) -> UserNotification {
        // One of the transactions' numbers, which no ledger entry then takes.
        var n = UserNotification(id: try takeIDs(.transaction, count: 1)[0], userId: userId, kind: kind, title: words.title,
                                 message: words.message, link: link, amount: amount, currency: currency, reference: reference, createdAt: now)
        let settings = configuration.notifications
        let channels = try preferences(of: userId).channels(kind: kind, amount: amount, defaults: settings.defaults, critical: settings.critical)
        n.pushed = channels.push
        n.emailStatus = channels.email ? "pending" : nil
        let unseen = try unseenCount(userId) + 1
        try store.insert(notifications: [n], emailDelay: settings.emailDigest)
        unseenCounts[userId] = unseen
        if n.pushed { pendingEffects.append(.notified(n, unseen: unseen)) }
        return n
    }

    private func loadPreferences(_ users: Set<String>) throws(RecordsFailure) {
        let missing = users.filter { notificationPreferences[$0] == nil }
        guard !missing.isEmpty else { return }
        if notificationPreferences.count + missing.count > Self.maxCachedWallets { notificationPreferences.removeAll(keepingCapacity: true) }
        for (user, preferences) in try store.notificationPreferences(of: missing.sorted()) { notificationPreferences[user] = preferences }
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

    /// The user's unseen notifications as the database has them now.
    func unseenCount(_ user: String) throws(RecordsFailure) -> Int {
        if let cached = unseenCounts[user] { return cached }
        let read = try store.unseenNotifications(of: user)
        if unseenCounts.count >= Self.maxCachedWallets { unseenCounts.removeAll(keepingCapacity: true) }
        unseenCounts[user] = read
        return read
    }

    /// A balance socket of the user's joined (its replay read the count): from now on the
    /// user's pushes carry it, kept up to date by this writer's changes.
    func watchUnseen(_ user: String, count: Int) {
        if unseenCounts.count >= Self.maxCachedWallets { unseenCounts.removeAll(keepingCapacity: true) }
        if watchingUnseen.count >= Self.maxCachedWallets { watchingUnseen.removeAll(keepingCapacity: true) }
        unseenCounts[user] = count
        watchingUnseen.insert(user)
    }

    /// The ledger entries' effects, with whether each is pushed and, for a user whose
    /// sockets asked for it, the unseen count after it (nil for the others: nobody reads it,
    /// and counting it would cost every write a read).
    func balanceEffects(_ transactions: [LedgerTransaction], _ pushed: [Bool]) throws(RecordsFailure) {
        for user in Set(transactions.lazy.map(\.userId)) where unseenCounts[user] == nil && watchingUnseen.contains(user) {
            // Read after this run's rows went in: as it was before them.
            unseenCounts[user] = try store.unseenNotifications(of: user) - transactions.lazy.filter { $0.userId == user }.count
        }
        for (t, push) in zip(transactions, pushed) {
            let unseen = unseenCounts[t.userId].map { $0 + 1 }
            if let unseen { unseenCounts[t.userId] = unseen }
            pendingEffects.append(.balanceChanged(t, pushed: push, unseen: unseen))
        }
    }
}
