import Hub

/// A user's inbox as read: their ledger entries (each one's notification is made from its
/// row, `UserNotification.of`), the notifications that are no ledger entry's (rows of
/// their own), what is marked one by one (a ledger entry's row in `notifications` then
/// holds its marks), and the user's cursor: every notification up to `read_through` is
/// read, up to `archived_through` archived (`{"up_to"}` moves it, so marking a whole
/// history read writes one row).
public struct NotificationCursor: Sendable, Equatable {
    public var readThrough: Int64 = 0
    public var readAt: Int64?
    public var archivedThrough: Int64 = 0
    public var archivedAt: Int64?

    public init() {}
}

extension RecordsStore {
    /// Counts stop here: a badge says "10000", not how far beyond it a user has not looked
    /// (the count is an index range, and no read holds the writer long).
    public static let unseenCountCap = 10_000

    public func notificationCursor(of user: String) throws(Failure) -> NotificationCursor {
        var cursor = NotificationCursor()
        guard let row = try db.query("""
            SELECT read_through, read_at, archived_through, archived_at FROM notification_cursors WHERE user_id = $1
            """, [.text(user)]).first else { return cursor }
        cursor.readThrough = row[0].integer ?? 0
        cursor.readAt = row[1].text.flatMap(Timestamp.parse)
        cursor.archivedThrough = row[2].integer ?? 0
        cursor.archivedAt = row[3].text.flatMap(Timestamp.parse)
        return cursor
    }

    /// The user's notifications, newest first, `before` an id (nil: the newest): the
    /// newest `limit` of their ledger entries' and of the others', merged.
    public func notifications(of user: String, status: UserNotification.Status?, limit: Int, before: Int64?,
                              templates: NotificationTemplates) throws(Failure) -> [UserNotification] {
        let cursor = try notificationCursor(of: user)
        func condition(_ id: String) -> (sql: String, values: [Value]) {
            switch status {
            case .unseen?: ("\(id) > $3 AND s.read_at IS NULL AND s.archived_at IS NULL", [.integer(cursor.readThrough)])
            case .read?: ("\(id) > $3 AND (\(id) <= $4 OR s.read_at IS NOT NULL) AND s.archived_at IS NULL",
                          [.integer(cursor.archivedThrough), .integer(cursor.readThrough)])
            case .archived?: ("(\(id) <= $3 OR s.archived_at IS NOT NULL)", [.integer(cursor.archivedThrough)])
            case nil: ("\(id) > $3 AND s.archived_at IS NULL", [.integer(cursor.archivedThrough)])
            }
        }
        let head: [Value] = [.text(user), .integer(before ?? .max)]
        let ledger = condition("t.id"), other = condition("s.id")
        let limitValue = Value.integer(Int64(limit))
        let stateColumns = Self.qualified(Self.notificationColumns, by: "s")
        var found: [UserNotification] = []
        for row in try db.query("""
            SELECT \(Self.qualified(Self.transactionColumns, by: "t")), \(stateColumns)
            FROM transactions t LEFT JOIN notifications s ON s.id = t.id
            WHERE t.user_id = $1 AND t.id < $2 AND \(ledger.sql) ORDER BY t.id DESC LIMIT $\(ledger.values.count + 3)
            """, head + ledger.values + [limitValue]) {
            guard let t = Self.transaction(Array(row.prefix(11))) else { continue }
            var n = UserNotification.of(t, templates: templates)
            if let state = Self.notification(Array(row.dropFirst(11))) { n.take(stateOf: state) }
            found.append(n)
        }
        for row in try db.query("""
            SELECT \(stateColumns) FROM notifications s
            WHERE s.user_id = $1 AND s.id < $2 AND s.transaction_id IS NULL AND \(other.sql) ORDER BY s.id DESC LIMIT $\(other.values.count + 3)
            """, head + other.values + [limitValue]) {
            if let n = Self.notification(row) { found.append(n) }
        }
        found.sort { $0.id > $1.id }
        return found.prefix(limit).map { n in
            var n = n
            if n.id <= cursor.readThrough, n.readAt == nil { n.readAt = cursor.readAt }
            if n.id <= cursor.archivedThrough, n.archivedAt == nil { n.archivedAt = cursor.archivedAt }
            return n
        }
    }

    /// The user's unseen notifications (at most `unseenCountCap`).
    public func unseenNotifications(of user: String) throws(Failure) -> Int {
        try countNotifications(of: user, above: try notificationCursor(of: user).readThrough, through: .max, unmarked: "read_at")
    }

    /// How many of the user's notifications with ids in `(above, through]` have no
    /// `unmarked` (`read_at`: unseen, as archiving reads too; `archived_at`: not archived),
    /// at most `unseenCountCap`: their ledger entries, less those marked one by one, and
    /// the others not marked. Three index ranges.
    func countNotifications(of user: String, above: Int64, through: Int64, unmarked column: String) throws(Failure) -> Int {
        let cap = Self.unseenCountCap + 1
        let row = try db.query("""
            SELECT (SELECT count(*) FROM (SELECT 1 FROM transactions WHERE user_id = $1 AND id > $2 AND id <= $3 LIMIT \(cap)) a),
                (SELECT count(*) FROM (SELECT 1 FROM notifications WHERE user_id = $1 AND id > $2 AND id <= $3
                    AND transaction_id IS NOT NULL AND \(column) IS NOT NULL LIMIT \(cap)) b),
                (SELECT count(*) FROM (SELECT 1 FROM notifications WHERE user_id = $1 AND id > $2 AND id <= $3
                    AND transaction_id IS NULL AND \(column) IS NULL LIMIT \(cap)) c)
            """, [.text(user), .integer(above), .integer(through)]).first
        let count = (row?[0].integer ?? 0) - (row?[1].integer ?? 0) + (row?[2].integer ?? 0)
        return Int(min(Int64(Self.unseenCountCap), max(0, count)))
    }

    /// Marks the user's notifications read (`archive`: archived, and read), those with these
    /// ids (at most 1,000) and all up to an id; how many changed.
    public func mark(user: String, ids: [Int64], upTo: Int64?, archive: Bool, at now: Int64) throws(Failure) -> Int {
        var cursor = try notificationCursor(of: user)
        let column = archive ? "archived_at" : "read_at"
        let through = archive ? cursor.archivedThrough : cursor.readThrough
        var changed = 0
        let listed = Array(Set(ids.prefix(1000).filter { $0 > through })).sorted()
        for chunk in Self.chunks(listed) {
            let list = chunk.indices.map { "$\($0 - chunk.startIndex + 2)" }.joined(separator: ",")
            let values = [Value.text(user)] + chunk.map { Value.integer($0) }
            // A ledger entry's marks go in a row of its own, made on its first mark.
            for t in try transactions("SELECT \(Self.transactionColumns) FROM transactions WHERE user_id = $1 AND id IN (\(list))", values) {
                try db.query("""
                    INSERT INTO notifications (id, user_id, kind, title, message, transaction_id, user_seq, created_at, read_at, archived_at, pushed)
                    VALUES ($1, $2, $3, '', '', $4, $5, $6, $7, $8, 1)
                    ON CONFLICT (id) DO UPDATE SET read_at = COALESCE(notifications.read_at, excluded.read_at),
                        archived_at = COALESCE(notifications.archived_at, excluded.archived_at)
                    WHERE notifications.\(column) IS NULL
                    """, [.integer(t.id), .text(user), .text(NotificationKind.of(t)), .integer(t.id), .integer(t.userSeq),
                          Self.time(t.createdAt), Self.time(now), archive ? Self.time(now) : .null])
                changed += db.changes
            }
            // Archived is read too (it leaves the unseen count).
            let alsoRead = archive ? ", read_at = COALESCE(read_at, $1)" : ""
            try db.query("""
                UPDATE notifications SET \(column) = $1\(alsoRead)
                WHERE user_id = $2 AND transaction_id IS NULL AND \(column) IS NULL AND id IN (\(chunk.indices.map { "$\($0 - chunk.startIndex + 3)" }.joined(separator: ",")))
                """, [Self.time(now), .text(user)] + chunk.map { Value.integer($0) })
            changed += db.changes
        }
        // The cursor stops at the newest notification there is: an `up_to` beyond it must
        // not mark notifications that do not exist yet.
        guard var upTo, upTo > through else { return changed }
        let newest = try db.query("""
            SELECT (SELECT max(id) FROM transactions WHERE user_id = $1), (SELECT max(id) FROM notifications WHERE user_id = $1)
            """, [.text(user)]).first
        upTo = min(upTo, max(newest?[0].integer ?? 0, newest?[1].integer ?? 0))
        guard upTo > through else { return changed }
        changed += try countNotifications(of: user, above: through, through: upTo, unmarked: column)
        // One time for the whole cursor: what an earlier `up_to` read is said read now.
        if cursor.readThrough < upTo { (cursor.readThrough, cursor.readAt) = (upTo, now) }
        if archive { (cursor.archivedThrough, cursor.archivedAt) = (upTo, now) }
        try db.query("""
            INSERT INTO notification_cursors (user_id, read_through, read_at, archived_through, archived_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (user_id) DO UPDATE SET read_through = excluded.read_through, read_at = excluded.read_at,
                archived_through = excluded.archived_through, archived_at = excluded.archived_at
            """, [.text(user), .integer(cursor.readThrough), Self.time(cursor.readAt), .integer(cursor.archivedThrough), Self.time(cursor.archivedAt)])
        return changed
    }
}

extension RecordsSchema {
    /// Migration 16: a ledger entry's notification is made from its row (only its marks,
    /// push and email have a notification row, and only when there are any), each user's
    /// cursor, and the user's transactions by id (the inbox's order; on SQLite an index of
    /// `user_id` holds the rowid, which is the id).
    static func notificationsFromLedger(_ dialect: SQLDialect) -> String {
        let integer = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return """
            CREATE TABLE notification_cursors (
                user_id TEXT PRIMARY KEY, read_through \(integer) NOT NULL DEFAULT 0, read_at TEXT,
                archived_through \(integer) NOT NULL DEFAULT 0, archived_at TEXT);
            \(dialect == .sqlite ? "CREATE INDEX transactions_by_user ON transactions (user_id)" : "CREATE INDEX transactions_by_user ON transactions (user_id, id)");
            DELETE FROM notifications WHERE transaction_id IS NOT NULL AND read_at IS NULL AND archived_at IS NULL AND pushed = 1
                AND email_status IS NULL
            """
    }
}

extension RecordsStore {
    /// `a, b` as `t.a, t.b`: a column list for a join.
    static func qualified(_ columns: String, by alias: String) -> String {
        columns.split(separator: ",").map { column in
            alias + "." + String(column.drop { $0 == " " || $0 == "\n" }.reversed().drop { $0 == " " || $0 == "\n" }.reversed())
        }.joined(separator: ", ")
    }
}
