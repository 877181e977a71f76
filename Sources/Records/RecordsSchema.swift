/// The records database's tables, as versioned migrations applied at start (`PRAGMA
/// user_version` says how many have run). Times are ISO 8601 UTC text (sortable, readable
/// in `sqlite3`), amounts integer minor units (cents): never a float. Every API lookup has
/// its index. README "Records database" documents them with the queries support asks.
public enum RecordsSchema {
    public static let migrations: [String] = [
        // 1: the money side, as the hub journals it.
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE transactions (
            id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
            type TEXT NOT NULL CHECK (type IN ('credit', 'sms_purchase', 'debit', 'refund')),
            description TEXT NOT NULL, service TEXT, reference TEXT NOT NULL UNIQUE, payment_reference TEXT,
            created_at TEXT NOT NULL, balance_after_minor INTEGER NOT NULL, user_seq INTEGER NOT NULL,
            UNIQUE (user_id, user_seq));
        CREATE INDEX transactions_by_user_time ON transactions (user_id, created_at);
        CREATE INDEX transactions_by_time ON transactions (created_at);
        CREATE TABLE wallets (
            user_id TEXT PRIMARY KEY, balance_minor INTEGER NOT NULL, last_seq INTEGER NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE payments (
            reference TEXT PRIMARY KEY, provider TEXT NOT NULL, status TEXT NOT NULL, amount_minor INTEGER, currency TEXT,
            user_id TEXT, email TEXT, phone TEXT, phone_digits TEXT, plan TEXT, error_message TEXT,
            gap INTEGER NOT NULL, unmatched INTEGER NOT NULL, confirmed_at TEXT, gap_since TEXT,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE INDEX payments_by_email ON payments (email COLLATE NOCASE);
        CREATE INDEX payments_by_user ON payments (user_id);
        CREATE INDEX payments_by_phone ON payments (phone_digits);
        CREATE INDEX payments_by_status ON payments (status, updated_at);
        CREATE INDEX payments_open_problems ON payments (gap, unmatched);
        CREATE TABLE payment_events (
            lsn INTEGER PRIMARY KEY, reference TEXT NOT NULL, provider TEXT NOT NULL, stage TEXT NOT NULL,
            amount_minor INTEGER, currency TEXT, user_id TEXT, email TEXT, phone TEXT, plan TEXT, error_message TEXT,
            received_at TEXT NOT NULL);
        CREATE INDEX payment_events_by_reference ON payment_events (reference, received_at);
        CREATE TABLE resolutions (
            lsn INTEGER PRIMARY KEY, reference TEXT NOT NULL, at TEXT NOT NULL, by TEXT NOT NULL, note TEXT);
        CREATE INDEX resolutions_by_reference ON resolutions (reference, at);
        CREATE TABLE webhook_deliveries (
            id INTEGER PRIMARY KEY, provider TEXT NOT NULL, received_at TEXT NOT NULL, signature_valid INTEGER NOT NULL,
            processing_status TEXT NOT NULL, error_message TEXT, reference TEXT, payload TEXT NOT NULL,
            payload_truncated INTEGER NOT NULL, headers TEXT NOT NULL);
        CREATE INDEX webhook_deliveries_by_reference ON webhook_deliveries (reference);
        CREATE INDEX webhook_deliveries_by_provider ON webhook_deliveries (provider, received_at);
        CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (processing_status, received_at);
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, message TEXT NOT NULL, user_id TEXT,
            reference TEXT, created_at TEXT NOT NULL);
        CREATE INDEX alerts_by_time ON alerts (created_at);
        CREATE TABLE activity (
            id INTEGER PRIMARY KEY, user_id TEXT, email TEXT, action TEXT NOT NULL, status TEXT NOT NULL, details TEXT,
            error_message TEXT, created_at TEXT NOT NULL);
        CREATE INDEX activity_by_user ON activity (user_id, created_at);
        CREATE INDEX activity_by_email ON activity (email COLLATE NOCASE, created_at);
        """,
    ]

    /// Runs the migrations this database has not had yet, each in its own transaction.
    public static func migrate(_ db: SQLiteDatabase) throws(SQLiteDatabase.Failure) {
        let version = try db.prepare("PRAGMA user_version").rows().first?.first?.integer ?? 0
        guard version <= Int64(migrations.count) else {
            throw SQLiteDatabase.Failure(description: "\(db.path) has schema version \(version); this build knows \(migrations.count): use a newer livehub")
        }
        for index in Int(version)..<migrations.count {
            do {
                try db.execute("BEGIN IMMEDIATE; \(migrations[index]); PRAGMA user_version = \(index + 1); COMMIT;")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }
}
