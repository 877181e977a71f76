/// The records database's tables, as versioned migrations applied at start. Times are ISO 8601 UTC text (sortable, readable
/// in `sqlite3`), amounts integer minor units (cents): never a float. Every API lookup has
/// its index. README "Records database" documents them with the queries support asks.
public enum RecordsSchema {
    /// Migration 1: the money side, as the hub journals it. Written once; the types and
    /// case-blind indexes are spelled per database.
    static func money(_ dialect: SQLDialect) -> String {
        let integer = dialect == .sqlite ? "INTEGER" : "BIGINT"
        func nocase(_ column: String) -> String { dialect == .sqlite ? "\(column) COLLATE NOCASE" : "lower(\(column))" }
        return """

        CREATE TABLE transactions (
            id \(integer) PRIMARY KEY, user_id TEXT NOT NULL, amount_minor \(integer) NOT NULL CHECK (amount_minor > 0),
            type TEXT NOT NULL CHECK (type IN ('credit', 'sms_purchase', 'debit', 'refund')),
            description TEXT NOT NULL, service TEXT, reference TEXT NOT NULL UNIQUE, payment_reference TEXT,
            created_at TEXT NOT NULL, balance_after_minor \(integer) NOT NULL, user_seq \(integer) NOT NULL,
            UNIQUE (user_id, user_seq));
        CREATE INDEX transactions_by_user_time ON transactions (user_id, created_at);
        CREATE INDEX transactions_by_time ON transactions (created_at);
        CREATE TABLE wallets (
            user_id TEXT PRIMARY KEY, balance_minor \(integer) NOT NULL, last_seq \(integer) NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE payments (
            reference TEXT PRIMARY KEY, provider TEXT NOT NULL, status TEXT NOT NULL, amount_minor \(integer), currency TEXT,
            user_id TEXT, email TEXT, phone TEXT, phone_digits TEXT, plan TEXT, error_message TEXT,
            gap \(integer) NOT NULL, unmatched \(integer) NOT NULL, confirmed_at TEXT, gap_since TEXT,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE INDEX payments_by_email ON payments (\(nocase("email")));
        CREATE INDEX payments_by_user ON payments (user_id);
        CREATE INDEX payments_by_phone ON payments (phone_digits);
        CREATE INDEX payments_by_status ON payments (status, updated_at);
        CREATE INDEX payments_open_problems ON payments (gap, unmatched);
        CREATE TABLE payment_events (
            lsn \(integer) PRIMARY KEY, reference TEXT NOT NULL, provider TEXT NOT NULL, stage TEXT NOT NULL,
            amount_minor \(integer), currency TEXT, user_id TEXT, email TEXT, phone TEXT, plan TEXT, error_message TEXT,
            received_at TEXT NOT NULL);
        CREATE INDEX payment_events_by_reference ON payment_events (reference, received_at);
        CREATE TABLE resolutions (
            lsn \(integer) PRIMARY KEY, reference TEXT NOT NULL, at TEXT NOT NULL, by TEXT NOT NULL, note TEXT);
        CREATE INDEX resolutions_by_reference ON resolutions (reference, at);
        CREATE TABLE webhook_deliveries (
            id \(integer) PRIMARY KEY, provider TEXT NOT NULL, received_at TEXT NOT NULL, signature_valid \(integer) NOT NULL,
            processing_status TEXT NOT NULL, error_message TEXT, reference TEXT, payload TEXT NOT NULL,
            payload_truncated \(integer) NOT NULL, headers TEXT NOT NULL);
        CREATE INDEX webhook_deliveries_by_reference ON webhook_deliveries (reference);
        CREATE INDEX webhook_deliveries_by_provider ON webhook_deliveries (provider, received_at);
        CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (processing_status, received_at);
        CREATE TABLE alerts (
            id \(integer) PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, message TEXT NOT NULL, user_id TEXT,
            reference TEXT, created_at TEXT NOT NULL);
        CREATE INDEX alerts_by_time ON alerts (created_at);
        CREATE TABLE activity (
            id \(integer) PRIMARY KEY, user_id TEXT, email TEXT, action TEXT NOT NULL, status TEXT NOT NULL, details TEXT,
            error_message TEXT, created_at TEXT NOT NULL);
        CREATE INDEX activity_by_user ON activity (user_id, created_at);
        CREATE INDEX activity_by_email ON activity (\(nocase("email")), created_at);
        """
    }

    /// Migration 2: payment errors, as sellers see them (the presence side reports them).
    static func paymentErrors(_ dialect: SQLDialect) -> String {
        let integer = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let email = dialect == .sqlite ? "email COLLATE NOCASE" : "lower(email)"
        return """
        CREATE TABLE payment_errors (
            id \(integer) NOT NULL, session_id TEXT NOT NULL, occurred_at TEXT NOT NULL, email TEXT, phone TEXT,
            checkout_items TEXT, total_amount TEXT, payment_method TEXT, error_code TEXT NOT NULL, error_message TEXT NOT NULL,
            error_details TEXT, ip TEXT, user_agent TEXT, PRIMARY KEY (id, session_id, occurred_at));
        CREATE INDEX payment_errors_by_time ON payment_errors (occurred_at);
        CREATE INDEX payment_errors_by_email ON payment_errors (\(email));
        CREATE INDEX payment_errors_by_session ON payment_errors (session_id);
        """
    }

    /// Migration 3: the database becomes the money's only record (no journal, no money in
    /// the snapshot), so rows hold all the hub needs to go on from them: each payment's
    /// stage times and whether it awaits a credit, each delivery's key, each alert's
    /// delivery (an outbox), and the indexes the API's queries use.
    static func sourceOfTruth(_ dialect: SQLDialect) -> String {
        let integer = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return """
        ALTER TABLE payments ADD COLUMN initialized_at TEXT;
        ALTER TABLE payments ADD COLUMN completed_at TEXT;
        ALTER TABLE payments ADD COLUMN webhook_received_at TEXT;
        ALTER TABLE payments ADD COLUMN credited_at TEXT;
        ALTER TABLE payments ADD COLUMN failed_at TEXT;
        ALTER TABLE payments ADD COLUMN unmatched_since TEXT;
        ALTER TABLE payments ADD COLUMN awaiting_credit \(integer) NOT NULL DEFAULT 0;
        ALTER TABLE payments ADD COLUMN seq \(integer);
        CREATE INDEX payments_awaiting_credit ON payments (awaiting_credit, gap_since, confirmed_at);
        CREATE INDEX payments_by_created ON payments (created_at);
        CREATE INDEX payments_by_seq ON payments (seq);
        ALTER TABLE webhook_deliveries ADD COLUMN delivery_key TEXT;
        CREATE INDEX webhook_deliveries_by_key ON webhook_deliveries (delivery_key, processing_status);
        ALTER TABLE alerts ADD COLUMN delivery_status TEXT;
        ALTER TABLE alerts ADD COLUMN delivery_attempts \(integer) NOT NULL DEFAULT 0;
        ALTER TABLE alerts ADD COLUMN delivery_error TEXT;
        CREATE INDEX alerts_by_delivery ON alerts (delivery_status);
        CREATE INDEX activity_by_time ON activity (created_at);
        \(dialect == .sqlite ? transactionsWithoutInList : "DROP INDEX transactions_by_user_time;")
        """
    }

    /// SQLite evaluates `type IN (…)` in a CHECK by building a temporary b-tree of the list
    /// for every row inserted (the costliest part of a ledger write); the same rule as
    /// equalities costs nothing. SQLite cannot change a CHECK in place: the table is made
    /// again, its rows copied (and `transactions_by_user_time`, which `(user_id, user_seq)`
    /// serves, is not made again).
    static let transactionsWithoutInList = """
        CREATE TABLE transactions_checked (
            id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
            type TEXT NOT NULL CHECK (type = 'credit' OR type = 'sms_purchase' OR type = 'debit' OR type = 'refund'),
            description TEXT NOT NULL, service TEXT, reference TEXT NOT NULL UNIQUE, payment_reference TEXT,
            created_at TEXT NOT NULL, balance_after_minor INTEGER NOT NULL, user_seq INTEGER NOT NULL,
            UNIQUE (user_id, user_seq));
        INSERT INTO transactions_checked SELECT id, user_id, amount_minor, type, description, service, reference, payment_reference,
            created_at, balance_after_minor, user_seq FROM transactions;
        DROP TABLE transactions;
        ALTER TABLE transactions_checked RENAME TO transactions;
        CREATE INDEX transactions_by_time ON transactions (created_at);
        """

    /// Migration 4: erasures on request (`POST /api/privacy/erase`), recorded without the key.
    static func erasures(_ dialect: SQLDialect) -> String {
        let integer = dialect == .sqlite ? "INTEGER" : "BIGSERIAL"
        return """
        CREATE TABLE erasures (
            id \(integer) PRIMARY KEY, at TEXT NOT NULL, by TEXT NOT NULL, key_kind TEXT NOT NULL, key_hash TEXT NOT NULL,
            pseudonym TEXT NOT NULL);
        CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries (received_at);
        """
    }

    /// Migration 5: which node recorded each payment error, in one order for all nodes (the
    /// others read them in it) (PostgreSQL only; nothing in SQLite). The cluster's own
    /// tables, made here once, are the cluster's now (`ClusterSchema` in Cluster, run by each
    /// node's link): a database migrated before keeps them as they were.
    static func paymentErrorNodes(_ dialect: SQLDialect) -> String {
        guard dialect == .postgres else { return "" }
        return """
        ALTER TABLE payment_errors ADD COLUMN node_id TEXT;
        ALTER TABLE payment_errors ADD COLUMN cluster_seq BIGSERIAL;
        CREATE INDEX payment_errors_by_cluster_seq ON payment_errors (cluster_seq)
        """
    }

    /// Migration 6: who delivers each alert, until when (cluster mode: a node that dies
    /// mid-delivery leaves the row to another once the lease has run out).
    static let alertLeases = """
        ALTER TABLE alerts ADD COLUMN delivery_node TEXT;
        ALTER TABLE alerts ADD COLUMN delivery_lease_until TEXT;
        CREATE INDEX alerts_pending ON alerts (id) WHERE delivery_status = 'pending'
        """

    /// Migration 7: the row that says when the last retention pass began
    /// (`takeRetentionTurn`). It made the cluster's minute history and answers too, which
    /// are the cluster's now (`ClusterSchema`), as in migration 5.
    static let retentionTurn = "INSERT INTO meta (key, value) VALUES ('retention_at', '0') ON CONFLICT (key) DO NOTHING"

    /// Migration 8: who may enter the console (operators, their password hashes), the
    /// one-time sign-in codes, revoked tokens and sessions (shared by a cluster's nodes),
    /// and the audit log.
    static func accounts(_ dialect: SQLDialect) -> String {
        let serial = dialect == .sqlite ? "INTEGER" : "BIGSERIAL"
        let integer = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return """
        CREATE TABLE operators (
            name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('seller', 'support', 'admin')), password_hash TEXT,
            disabled \(integer) NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE signin_codes (
            code_hash TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, expires_at \(integer) NOT NULL, used_at TEXT);
        CREATE TABLE revocations (
            id \(serial) PRIMARY KEY, token_id TEXT, subject TEXT, issued_before \(integer), at TEXT NOT NULL, by TEXT NOT NULL);
        CREATE TABLE audit_log (
            id \(serial) PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT, address TEXT, detail TEXT);
        CREATE INDEX audit_log_by_time ON audit_log (at)
        """
    }

    /// Migration 9: one key per email (`EmailKey`: Unicode lowercase, NFC) beside each
    /// address as written, which lookups and erasures compare (filled for older rows at start);
    /// the case-blind indexes on the addresses go (nothing reads by them now, and every write
    /// paid for them).
    static let emailKeys = """
        ALTER TABLE payments ADD COLUMN email_key TEXT;
        ALTER TABLE payment_events ADD COLUMN email_key TEXT;
        ALTER TABLE activity ADD COLUMN email_key TEXT;
        ALTER TABLE payment_errors ADD COLUMN email_key TEXT;
        CREATE INDEX payments_by_email_key ON payments (email_key);
        CREATE INDEX activity_by_email_key ON activity (email_key, created_at);
        CREATE INDEX payment_errors_by_email_key ON payment_errors (email_key);
        DROP INDEX payments_by_email;
        DROP INDEX activity_by_email;
        DROP INDEX payment_errors_by_email
        """

    /// Migration 10: the provider's word beside the shop's (its amount, currency and own id
    /// for the payment, and whether they disagree), and each payment's state in the one
    /// vocabulary lists and stats use (`resolved` when closed by hand without a credit).
    /// Older amounts were read with two places whatever the currency: they are brought to
    /// their currency's minor unit (`Currency`). The open problems are found by one index
    /// per kind (both databases combine them for `gap = 1 OR unmatched = 1 OR mismatch = 1`).
    static func providerWord(_ dialect: SQLDialect) -> String {
        let integer = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let zero = "'BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX','UYI','VND','VUV','XAF','XOF','XPF'"
        let three = "'BHD','IQD','JOD','KWD','LYD','OMR','TND'"
        return """
        ALTER TABLE payments ADD COLUMN provider_amount_minor \(integer);
        ALTER TABLE payments ADD COLUMN provider_currency TEXT;
        ALTER TABLE payments ADD COLUMN provider_reference TEXT;
        ALTER TABLE payments ADD COLUMN mismatch_since TEXT;
        ALTER TABLE payments ADD COLUMN mismatch \(integer) NOT NULL DEFAULT 0;
        ALTER TABLE payments ADD COLUMN partial \(integer) NOT NULL DEFAULT 0;
        ALTER TABLE payments ADD COLUMN state TEXT;
        ALTER TABLE payments ADD COLUMN became_gap_at TEXT;
        ALTER TABLE resolutions ADD COLUMN kind TEXT NOT NULL DEFAULT 'resolved';
        UPDATE payments SET became_gap_at = gap_since;
        UPDATE payments SET currency = upper(currency) WHERE currency IS NOT NULL;
        UPDATE payments SET amount_minor = amount_minor / 100 WHERE currency IN (\(zero));
        UPDATE payments SET amount_minor = amount_minor * 10 WHERE currency IN (\(three));
        UPDATE payments SET state = CASE WHEN status <> 'credited' AND EXISTS
            (SELECT 1 FROM resolutions r WHERE r.reference = payments.reference) THEN 'resolved' ELSE status END;
        CREATE INDEX payments_by_state ON payments (state, seq);
        CREATE INDEX payments_by_provider_reference ON payments (provider_reference);
        DROP INDEX payments_open_problems;
        CREATE INDEX payments_gaps ON payments (gap);
        CREATE INDEX payments_unmatched ON payments (unmatched);
        CREATE INDEX payments_mismatched ON payments (mismatch)
        """
    }

    /// Migration 11: alerts by the user and the payment they name (support's timeline reads
    /// one person's alerts by both; an erasure finds their alerts by user).
    static let alertKeys = """
        CREATE INDEX alerts_by_user ON alerts (user_id);
        CREATE INDEX alerts_by_reference ON alerts (reference)
        """

    public static func migrations(_ dialect: SQLDialect) -> [String] {
        [money(dialect), paymentErrors(dialect), sourceOfTruth(dialect), erasures(dialect), paymentErrorNodes(dialect), alertLeases,
         retentionTurn, accounts(dialect), emailKeys, providerWord(dialect), alertKeys, idSequences(dialect),
         providerChecks(dialect), notifications(dialect), emailAttempts(dialect), notificationsFromLedger(dialect), shopDay(dialect)]
    }

    /// The PostgreSQL advisory lock held while migrating ("LHUB").
    static let migrationLock = 0x4C48_5542

    /// Runs the migrations this database has not had yet, each in its own transaction;
    /// `livehub_schema` says how many have run.
    public static func migrate(_ db: SQLConnection) throws(RecordsFailure) {
        // Nodes of a cluster starting together would race to migrate one database: the
        // first takes the lock and migrates, the others find it done.
        if db.dialect == .postgres { try db.execute("SELECT pg_advisory_lock(\(migrationLock))") }
        defer { if db.dialect == .postgres { try? db.execute("SELECT pg_advisory_unlock(\(migrationLock))") } }
        try db.execute("CREATE TABLE IF NOT EXISTS livehub_schema (version INTEGER NOT NULL); CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        let rows = try db.query("SELECT version FROM livehub_schema", [])
        if rows.isEmpty { try db.query("INSERT INTO livehub_schema (version) VALUES (0)", []) }
        let version = rows.first?.first?.integer ?? 0
        let all = migrations(db.dialect)
        guard version <= Int64(all.count) else {
            throw RecordsFailure("\(db.name) has schema version \(version); this build knows \(all.count): use a newer livehub")
        }
        for index in Int(version)..<all.count {
            do {
                try db.execute("\(db.dialect.begin); \(all[index]); UPDATE livehub_schema SET version = \(index + 1); COMMIT;")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }
}
