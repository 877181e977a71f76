import Hub

/// Users' notifications (`UserNotification`): written with what they describe, read as an
/// inbox, marked read or archived, and each user's preferences and email address.
extension RecordsStore {
    static let notificationColumns = """
        id, user_id, kind, title, message, link, amount_minor, currency, balance_after_minor, reference, transaction_id,
        user_seq, created_at, read_at, archived_at, pushed, email_status
        """

    private static func values(of n: UserNotification, emailDelay: Int64) -> [Value] {
        // A ledger entry's link is its transaction's path: not stored, made again when read.
        [.integer(n.id), .text(n.userId), .text(n.kind), .text(n.title), .text(n.message),
         n.transactionId != nil && n.link == Self.transactionPath(n.transactionId) ? .null : Value(n.link), Value(n.amount?.minorUnits),
         Value(n.currency), Value(n.balanceAfter?.minorUnits), Value(n.reference), Value(n.transactionId), Value(n.userSeq),
         Self.time(n.createdAt), Self.time(n.readAt), Self.time(n.archivedAt), .integer(n.pushed ? 1 : 0), Value(n.emailStatus),
         n.emailStatus == "pending" ? Self.time(n.createdAt + emailDelay) : .null]
    }

    private static let insertNotificationPrefix = """
        INSERT INTO notifications (\(notificationColumns), email_next_at) VALUES
        """

    /// New notifications, in the caller's transaction: one multi-row statement per 64 on
    /// SQLite, one pipeline on PostgreSQL.
    /// `emailDelay`: an email is due this long after its notification (a digest's window).
    public func insert(notifications: [UserNotification], emailDelay: Int64 = 0) throws(Failure) {
        guard !notifications.isEmpty else { return }
        let one = "(" + (1...18).map { "$\($0)" }.joined(separator: ",") + ")"
        if db.dialect == .postgres {
            _ = try db.pipelined(notifications.map { (Self.insertNotificationPrefix + " " + one, Self.values(of: $0, emailDelay: emailDelay)) })
            return
        }
        for chunk in Self.chunks(notifications) {
            let group = "(" + Array(repeating: "?", count: 18).joined(separator: ",") + ")"
            try db.query(Self.insertNotificationPrefix + " " + Array(repeating: group, count: chunk.count).joined(separator: ","),
                         chunk.flatMap { Self.values(of: $0, emailDelay: emailDelay) })
        }
    }

    static func transactionPath(_ id: Int64?) -> String? { id.map { "/api/wallet/transactions/\($0)" } }

    static func notification(_ row: [Value]) -> UserNotification? {
        guard row.count >= 17, let id = row[0].integer, let user = row[1].text, let kind = row[2].text, let title = row[3].text,
              let message = row[4].text, let created = row[12].text.flatMap(Timestamp.parse) else { return nil }
        var n = UserNotification(id: id, userId: user, kind: kind, title: title, message: message,
                                 link: row[5].text ?? Self.transactionPath(row[10].integer),
                                 amount: row[6].integer.map(Money.init(minorUnits:)), currency: row[7].text,
                                 balanceAfter: row[8].integer.map(Money.init(minorUnits:)), reference: row[9].text,
                                 transactionId: row[10].integer, userSeq: row[11].integer, createdAt: created)
        n.readAt = row[13].text.flatMap(Timestamp.parse)
        n.archivedAt = row[14].text.flatMap(Timestamp.parse)
        n.pushed = (row[15].integer ?? 1) != 0
        n.emailStatus = row[16].text
        return n
    }

    /// The rows of these ledger entries' notifications (their marks, push and email), for a
    /// replay: only those that have one.
    public func notifications(of user: String, transactionIds: [Int64]) throws(Failure) -> [Int64: UserNotification] {
        var found: [Int64: UserNotification] = [:]
        for chunk in Self.chunks(transactionIds) {
            let list = chunk.indices.map { "$\($0 - chunk.startIndex + 2)" }.joined(separator: ",")
            for row in try db.query("SELECT \(Self.notificationColumns) FROM notifications WHERE user_id = $1 AND id IN (\(list))",
                                    [.text(user)] + chunk.map { Value.integer($0) }) {
                if let n = Self.notification(row) { found[n.id] = n }
            }
        }
        return found
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
        try setNotificationAddress(of: user, email, at: now)
    }

    /// The user's address for notification emails (`""`: removed).
    public func setNotificationAddress(of user: String, _ email: String, at now: Int64) throws(Failure) {
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
            CREATE INDEX notifications_unseen ON notifications (user_id) WHERE read_at IS NULL AND archived_at IS NULL;
            CREATE INDEX notifications_email_due ON notifications (email_next_at) WHERE email_status = 'pending';
            CREATE TABLE notification_preferences (
                user_id TEXT NOT NULL, kind TEXT NOT NULL, in_app \(integer) NOT NULL, email \(integer) NOT NULL,
                min_amount_minor \(integer), PRIMARY KEY (user_id, kind));
            CREATE TABLE notification_addresses (user_id TEXT PRIMARY KEY, email TEXT NOT NULL, email_key TEXT, updated_at TEXT NOT NULL)
            """
    }
}

/// A notification whose email is due, with where it goes.
public struct EmailDue: Sendable {
    public var notification: UserNotification
    public var address: String
    public var attempts: Int
}

extension RecordsStore {
    /// Notifications whose email is due (pending, its next attempt passed), oldest first,
    /// with their user's address; with `wholeUser` (a digest), every other pending one of
    /// the same users too. What is taken is leased until `leaseUntil` (another node, or this
    /// one after a restart, takes it after that); one without an address is settled
    /// `no_address`.
    public func takeEmailsDue(now: Int64, limit: Int, leaseUntil: Int64, wholeUser: Bool, templates: NotificationTemplates) throws(Failure) -> [EmailDue] {
        // A ledger entry's words are made from its transaction's row.
        let columns = Self.qualified(Self.notificationColumns, by: "n") + ", n.email_attempts, a.email, "
            + Self.qualified(Self.transactionColumns, by: "t")
        let from = """
            FROM notifications n LEFT JOIN notification_addresses a ON a.user_id = n.user_id LEFT JOIN transactions t ON t.id = n.transaction_id
            """
        var rows = try db.query("""
            SELECT \(columns) \(from) WHERE n.email_status = 'pending' AND n.email_next_at <= $1 ORDER BY n.email_next_at LIMIT $2
            """, [Self.time(now), .integer(Int64(limit))])
        if wholeUser {
            var seen = Set(rows.compactMap { $0[0].integer })
            for user in Set(rows.compactMap { $0[1].text }).sorted() {
                for row in try db.query("""
                    SELECT \(columns) \(from) WHERE n.user_id = $1 AND n.email_status = 'pending' ORDER BY n.id LIMIT 100
                    """, [.text(user)]) where seen.insert(row[0].integer ?? 0).inserted {
                    rows.append(row)
                }
            }
        }
        var due: [EmailDue] = []
        for row in rows {
            guard let state = Self.notification(Array(row.prefix(17))) else { continue }
            var n = state
            if let t = Self.transaction(Array(row.dropFirst(19))) {
                n = UserNotification.of(t, templates: templates)
                n.take(stateOf: state)
            }
            guard let address = row[18].text else {
                try db.query("UPDATE notifications SET email_status = 'no_address', email_next_at = NULL WHERE id = $1", [.integer(n.id)])
                continue
            }
            try db.query("UPDATE notifications SET email_next_at = $1 WHERE id = $2", [Self.time(leaseUntil), .integer(n.id)])
            due.append(EmailDue(notification: n, address: address, attempts: Int(row[17].integer ?? 0)))
        }
        return due
    }

    /// One attempt to email these notifications (one message: one, or a digest): kept, and
    /// each notification's email settled (`sent`, `failed`) or due again at `retryAt`.
    public func recordEmailAttempt(ids: [Int64], at now: Int64, outcome: String, detail: String?, retryAt: Int64?) throws(Failure) {
        let status = outcome == "sent" ? "sent" : retryAt == nil ? "failed" : "pending"
        for id in ids {
            try db.query("""
                UPDATE notifications SET email_status = $1, email_attempts = email_attempts + 1, email_next_at = $2, email_error = $3,
                    emailed_at = CASE WHEN $1 = 'sent' THEN $4 ELSE emailed_at END WHERE id = $5
                """, [.text(status), Self.time(retryAt), Value(detail), Self.time(now), .integer(id)])
        }
        try db.query("INSERT INTO email_attempts (notification_ids, at, outcome, detail) VALUES ($1, $2, $3, $4)",
                     [.text(ids.map(String.init).joined(separator: ",")), Self.time(now), .text(outcome), Value(detail)])
    }

    /// The attempts to email one notification, newest first.
    public func emailAttempts(of id: Int64, limit: Int) throws(Failure) -> [(at: Int64, outcome: String, detail: String?)] {
        try db.query("""
            SELECT at, outcome, detail FROM email_attempts WHERE ',' || notification_ids || ',' LIKE $1 ORDER BY id DESC LIMIT $2
            """, [.text("%,\(id),%"), .integer(Int64(limit))]).compactMap { row in
            guard let at = row[0].text.flatMap(Timestamp.parse), let outcome = row[1].text else { return nil }
            return (at, outcome, row[2].text)
        }
    }
}

extension RecordsSchema {
    /// Migration 15: each attempt to email notifications, and its outcome.
    static func emailAttempts(_ dialect: SQLDialect) -> String {
        let id = dialect == .sqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY"
        return """
            CREATE TABLE email_attempts (id \(id), notification_ids TEXT NOT NULL, at TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT);
            CREATE INDEX email_attempts_by_time ON email_attempts (at)
            """
    }
}

extension RecordsStore {
    /// For the users of a run of writes: each one's preferences, in two statements for
    /// all of them (`IN` lists of up to 64), not two per user.
    public func notificationPreferences(of users: [String]) throws(Failure) -> [String: NotificationPreferences] {
        var found: [String: NotificationPreferences] = [:]
        for user in users { found[user] = NotificationPreferences() }
        for chunk in Self.chunks(users) {
            let list = "(" + chunk.indices.map { "$\($0 - chunk.startIndex + 1)" }.joined(separator: ",") + ")"
            let values = chunk.map { Value.text($0) }
            for row in try db.query("SELECT user_id, kind, in_app, email, min_amount_minor FROM notification_preferences WHERE user_id IN \(list)", values) {
                guard let user = row[0].text, let kind = row[1].text else { continue }
                found[user]?.byKind[kind] = .init(inApp: (row[2].integer ?? 1) != 0, email: (row[3].integer ?? 0) != 0,
                                                  minAmount: row[4].integer.map(Money.init(minorUnits:)))
            }
            for row in try db.query("SELECT user_id, email FROM notification_addresses WHERE user_id IN \(list)", values) {
                if let user = row[0].text { found[user]?.email = row[1].text }
            }
        }
        return found
    }
}
