import Hub

/// Users' notifications (`UserNotification`): written with what they describe, read as an
/// inbox, marked read or archived, and each user's preferences and email address.
extension RecordsStore {
    static let notificationColumns = """
        id, user_id, kind, title, message, link, amount_minor, currency, balance_after_minor, reference, transaction_id,
        user_seq, created_at, read_at, archived_at, pushed, email_status
        """

    private static func values(of n: UserNotification) -> [Value] {
        [.integer(n.id), .text(n.userId), .text(n.kind), .text(n.title), .text(n.message), Value(n.link), Value(n.amount?.minorUnits),
         Value(n.currency), Value(n.balanceAfter?.minorUnits), Value(n.reference), Value(n.transactionId), Value(n.userSeq),
         Self.time(n.createdAt), Self.time(n.readAt), Self.time(n.archivedAt), .integer(n.pushed ? 1 : 0), Value(n.emailStatus),
         n.emailStatus == "pending" ? Self.time(n.createdAt) : .null]
    }

    private static let insertNotificationPrefix = """
        INSERT INTO notifications (\(notificationColumns), email_next_at) VALUES
        """

    /// New notifications, in the caller's transaction: one multi-row statement per 64 on
    /// SQLite, one pipeline on PostgreSQL.
    public func insert(notifications: [UserNotification]) throws(Failure) {
        guard !notifications.isEmpty else { return }
        let one = "(" + (1...18).map { "$\($0)" }.joined(separator: ",") + ")"
        if db.dialect == .postgres {
            _ = try db.pipelined(notifications.map { (Self.insertNotificationPrefix + " " + one, Self.values(of: $0)) })
            return
        }
        for chunk in Self.chunks(notifications) {
            let group = "(" + Array(repeating: "?", count: 18).joined(separator: ",") + ")"
            try db.query(Self.insertNotificationPrefix + " " + Array(repeating: group, count: chunk.count).joined(separator: ","),
                         chunk.flatMap(Self.values(of:)))
        }
    }

    private static func notification(_ row: [Value]) -> UserNotification? {
        guard row.count >= 17, let id = row[0].integer, let user = row[1].text, let kind = row[2].text, let title = row[3].text,
              let message = row[4].text, let created = row[12].text.flatMap(Timestamp.parse) else { return nil }
        var n = UserNotification(id: id, userId: user, kind: kind, title: title, message: message, link: row[5].text,
                                 amount: row[6].integer.map(Money.init(minorUnits:)), currency: row[7].text,
                                 balanceAfter: row[8].integer.map(Money.init(minorUnits:)), reference: row[9].text,
                                 transactionId: row[10].integer, userSeq: row[11].integer, createdAt: created)
        n.readAt = row[13].text.flatMap(Timestamp.parse)
        n.archivedAt = row[14].text.flatMap(Timestamp.parse)
        n.pushed = (row[15].integer ?? 1) != 0
        n.emailStatus = row[16].text
        return n
    }

    /// The user's notifications, newest first, `before` an id (nil: the newest).
    public func notifications(of user: String, status: UserNotification.Status?, limit: Int, before: Int64?) throws(Failure) -> [UserNotification] {
        let condition: String
        switch status {
        case .unseen?: condition = " AND read_at IS NULL AND archived_at IS NULL"
        case .read?: condition = " AND read_at IS NOT NULL AND archived_at IS NULL"
        case .archived?: condition = " AND archived_at IS NOT NULL"
        case nil: condition = " AND archived_at IS NULL"
        }
        return try db.query("""
            SELECT \(Self.notificationColumns) FROM notifications WHERE user_id = $1 AND id < $2\(condition) ORDER BY id DESC LIMIT $3
            """, [.text(user), .integer(before ?? .max), .integer(Int64(limit))]).compactMap(Self.notification)
    }

    /// The ledger entries' notifications for a replay: by the user's seq.
    public func notifications(of user: String, seqs: ClosedRange<Int64>) throws(Failure) -> [Int64: UserNotification] {
        var found: [Int64: UserNotification] = [:]
        for row in try db.query("""
            SELECT \(Self.notificationColumns) FROM notifications WHERE user_id = $1 AND user_seq BETWEEN $2 AND $3
            """, [.text(user), .integer(seqs.lowerBound), .integer(seqs.upperBound)]) {
            if let n = Self.notification(row), let seq = n.userSeq { found[seq] = n }
        }
        return found
    }

    public func unseenNotifications(of user: String) throws(Failure) -> Int {
        Int(try db.query("SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL AND archived_at IS NULL",
                         [.text(user)]).first?.first?.integer ?? 0)
    }

    /// Marks the user's notifications read (`archive`: archived), those with these ids or
    /// all up to an id; how many changed.
    public func mark(user: String, ids: [Int64], upTo: Int64?, archive: Bool, at now: Int64) throws(Failure) -> Int {
        let column = archive ? "archived_at" : "read_at"
        var values: [Value] = [Self.time(now), .text(user)]
        var which: [String] = []
        if let upTo {
            values.append(.integer(upTo))
            which.append("id <= $\(values.count)")
        }
        if !ids.isEmpty {
            let list = ids.prefix(1000).map { id -> String in
                values.append(.integer(id))
                return "$\(values.count)"
            }
            which.append("id IN (\(list.joined(separator: ",")))")
        }
        guard !which.isEmpty else { return 0 }
        // Archived is read too (it leaves the unseen count).
        let alsoRead = archive ? ", read_at = COALESCE(read_at, $1)" : ""
        try db.query("""
            UPDATE notifications SET \(column) = $1\(alsoRead) WHERE user_id = $2 AND \(column) IS NULL AND (\(which.joined(separator: " OR ")))
            """, values)
        return db.changes
    }

    public func notificationPreferences(of user: String) throws(Failure) -> NotificationPreferences {
        var preferences = NotificationPreferences()
        for row in try db.query("SELECT kind, in_app, email, min_amount_minor FROM notification_preferences WHERE user_id = $1", [.text(user)]) {
            guard let kind = row[0].text else { continue }
            preferences.byKind[kind] = .init(inApp: (row[1].integer ?? 1) != 0, email: (row[2].integer ?? 0) != 0,
                                             minAmount: row[3].integer.map(Money.init(minorUnits:)))
        }
        preferences.email = try db.query("SELECT email FROM notification_addresses WHERE user_id = $1", [.text(user)]).first?.first?.text
        return preferences
    }

    /// Replaces the user's choices with these (kinds not named go back to the defaults); an
    /// email address given replaces theirs (`""`: removed).
    public func setNotificationPreferences(of user: String, _ preferences: NotificationPreferences, email: String?, at now: Int64) throws(Failure) {
        try db.query("DELETE FROM notification_preferences WHERE user_id = $1", [.text(user)])
        for (kind, choice) in preferences.byKind.sorted(by: { $0.key < $1.key }) {
            try db.query("INSERT INTO notification_preferences (user_id, kind, in_app, email, min_amount_minor) VALUES ($1, $2, $3, $4, $5)",
                         [.text(user), .text(kind), .integer(choice.inApp ? 1 : 0), .integer(choice.email ? 1 : 0), Value(choice.minAmount?.minorUnits)])
        }
        guard let email else { return }
        if email.isEmpty {
            try db.query("DELETE FROM notification_addresses WHERE user_id = $1", [.text(user)])
        } else {
            try db.query("""
                INSERT INTO notification_addresses (user_id, email, email_key, updated_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (user_id) DO UPDATE SET email = excluded.email, email_key = excluded.email_key, updated_at = excluded.updated_at
                """, [.text(user), .text(email), .text(EmailKey.of(email)), Self.time(now)])
        }
    }
}

extension RecordsSchema {
    /// Migration 14: notifications, each user's preferences and email address. The unseen
    /// count and the emails due are each found by a partial index.
    static func notifications(_ dialect: SQLDialect) -> String {
        let integer = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return """
            CREATE TABLE notifications (
                id \(integer) PRIMARY KEY, user_id TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL, message TEXT NOT NULL,
                link TEXT, amount_minor \(integer), currency TEXT, balance_after_minor \(integer), reference TEXT,
                transaction_id \(integer), user_seq \(integer), created_at TEXT NOT NULL, read_at TEXT, archived_at TEXT,
                pushed \(integer) NOT NULL DEFAULT 1, email_status TEXT, email_attempts \(integer) NOT NULL DEFAULT 0,
                email_next_at TEXT, email_error TEXT, emailed_at TEXT);
            CREATE INDEX notifications_by_user ON notifications (user_id, id);
            CREATE INDEX notifications_by_seq ON notifications (user_id, user_seq);
            CREATE INDEX notifications_unseen ON notifications (user_id) WHERE read_at IS NULL AND archived_at IS NULL;
            CREATE INDEX notifications_email_due ON notifications (email_next_at) WHERE email_status = 'pending';
            CREATE TABLE notification_preferences (
                user_id TEXT NOT NULL, kind TEXT NOT NULL, in_app \(integer) NOT NULL, email \(integer) NOT NULL,
                min_amount_minor \(integer), PRIMARY KEY (user_id, kind));
            CREATE TABLE notification_addresses (user_id TEXT PRIMARY KEY, email TEXT NOT NULL, email_key TEXT, updated_at TEXT NOT NULL);
            \(sequences(for: [.notification], dialect))
            """
    }
}
