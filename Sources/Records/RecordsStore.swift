import Hub

/// The records database: the money's only record, with the activity, payment errors and
/// accounts support reads. Its statements and row mapping; the money engine decides what
/// to write.
///
/// Used by one thread: each user (the money engine, each reader, the accounts) opens its
/// own. The row writers are public for `LegacyImport`, which writes a journal-era data
/// dir's records with them.
public final class RecordsStore {
    public typealias Failure = RecordsFailure
    typealias Value = SQLValue

    let db: SQLConnection
    /// Where it is, for messages (a path, or the URL without its password).
    public var name: String { db.name }
    /// Payments numbered in the order the migration first meets them.
    var migrationPaymentSeq: Int64 = 0

    /// `sqlite` (the path is `DATA/livehub.db`) or a `postgres://` URL.
    public convenience init(path: String) throws(Failure) {
        let db = try SQLiteDatabase(path: path)
        // A small WAL: checkpointed every 256 pages and cut back to 1 MiB after, so the log
        // does not grow to SQLite's default 4 MB between checkpoints on a small disk.
        // A 16 MiB page cache (SQLite's default is 2 MB): the indexes' hot pages stay in it
        // at millions of rows; a fixed size, whatever the history.
        try db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 256; PRAGMA journal_size_limit = 1048576; PRAGMA cache_size = -16384; PRAGMA secure_delete = ON;")
        try self.init(connection: db)
    }

    public init(connection: SQLConnection) throws(Failure) {
        db = connection
        try RecordsSchema.migrate(db)
        try fillEmailKeys()
    }

    // Statements, with `$n` parameters (SQLite and PostgreSQL both read them).
    static let insertTransaction = """
        INSERT INTO transactions (id, user_id, amount_minor, type, description, service, reference, payment_reference,
            created_at, balance_after_minor, user_seq) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING
        """
    static let upsertWallet = """
        INSERT INTO wallets (user_id, balance_minor, last_seq, updated_at) VALUES ($1,$2,$3,$4)
        ON CONFLICT (user_id) DO UPDATE SET balance_minor = excluded.balance_minor, last_seq = excluded.last_seq,
            updated_at = excluded.updated_at
        """
    static let insertResolution = "INSERT INTO resolutions (lsn, reference, at, by, note, kind) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING"
    static let insertWebhook = """
        INSERT INTO webhook_deliveries (id, provider, received_at, signature_valid, processing_status, error_message,
            reference, payload, payload_truncated, headers, delivery_key) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
            ON CONFLICT DO NOTHING
        """
    static let insertAlert = """
        INSERT INTO alerts (id, kind, title, message, user_id, reference, created_at, delivery_status, delivery_node, delivery_lease_until)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT DO NOTHING
        """
    static let insertActivity = """
        INSERT INTO activity (id, user_id, email, action, status, details, error_message, created_at, email_key)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING
        """
    static let insertNodesPaymentError = """
        INSERT INTO payment_errors (id, session_id, occurred_at, email, phone, checkout_items, total_amount, payment_method,
            error_code, error_message, error_details, ip, user_agent, email_key, node_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)
            ON CONFLICT DO NOTHING
        """
    static let insertPaymentError = """
        INSERT INTO payment_errors (id, session_id, occurred_at, email, phone, checkout_items, total_amount, payment_method,
            error_code, error_message, error_details, ip, user_agent, email_key) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
            ON CONFLICT DO NOTHING
        """
    static let setMeta = "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"

    /// The value kept under `key` in `meta`, if any.
    public func metaValue(_ key: String) throws(Failure) -> String? {
        try db.query("SELECT value FROM meta WHERE key = $1", [.text(key)]).first?.first?.text
    }

    public func setMeta(_ key: String, _ value: String) throws(Failure) {
        try db.query(Self.setMeta, [.text(key), .text(value)])
    }

    /// Every money row gone, wallets included: a journal-era data dir is then taken in whole.
    public func emptyMoneyTables() throws(Failure) {
        try db.execute("""
            DELETE FROM transactions; DELETE FROM wallets; DELETE FROM payments; DELETE FROM payment_events;
            DELETE FROM resolutions; DELETE FROM webhook_deliveries; DELETE FROM alerts; DELETE FROM activity;
            """)
    }

    /// Payment errors, as the presence side records them (its own copy is kept by
    /// snapshots); one seen before is not written twice. `node` (cluster mode): the rows
    /// name it.
    public func insert(paymentErrors errors: [PaymentErrorRecord], node: String? = nil) throws(Failure) {
        for e in errors {
            var values: [Value] = [.integer(e.id), .text(e.sessionId), Self.time(e.occurredAt), Value(e.email),
                                   Value(e.phone), Value(e.checkoutItems), Value(e.totalAmount), Value(e.paymentMethod),
                                   .text(e.errorCode), .text(e.errorMessage), Value(e.errorDetails),
                                   Value(e.client.ip), Value(e.client.userAgent), Value(e.email.map(EmailKey.of))]
            if let node { values.append(.text(node)) }
            try db.query(node == nil ? Self.insertPaymentError : Self.insertNodesPaymentError, values)
        }
    }

    /// Cluster mode: the newest payment error's place in the order all nodes' are read in.
    public func lastClusterPaymentError() throws(Failure) -> Int64 {
        try db.query("SELECT coalesce(max(cluster_seq), 0) FROM payment_errors", []).first?.first?.integer ?? 0
    }

    /// Cluster mode: the payment errors other nodes recorded after `seq`, oldest first, each
    /// with its place.
    public func clusterPaymentErrors(after seq: Int64, notFrom node: String, limit: Int) throws(Failure) -> [(seq: Int64, record: PaymentErrorRecord)] {
        try db.query("""
            SELECT cluster_seq, id, session_id, occurred_at, email, phone, checkout_items, total_amount, payment_method, error_code,
                error_message, error_details, ip, user_agent
            FROM payment_errors WHERE cluster_seq > $1 AND node_id <> $2 ORDER BY cluster_seq LIMIT $3
            """, [.integer(seq), .text(node), .integer(Int64(limit))]).compactMap { row in
            guard let seq = row[0].integer, let id = row[1].integer, let session = row[2].text,
                  let occurred = row[3].text.flatMap(Timestamp.parse), let code = row[9].text, let message = row[10].text else { return nil }
            return (seq, PaymentErrorRecord(id: id, sessionId: session, occurredAt: occurred, email: row[4].text, phone: row[5].text,
                                            checkoutItems: row[6].text, totalAmount: row[7].text, paymentMethod: row[8].text,
                                            errorCode: code, errorMessage: message, errorDetails: row[11].text,
                                            client: ClientInfo(ip: row[12].text, userAgent: row[13].text)))
        }
    }

    /// The value kept under `key` in `meta`, set to `value` by whoever came first: the
    /// nodes of a cluster check that they agree (the token key's fingerprint).
    public func firstValue(of key: String, offering value: String) throws(Failure) -> String {
        try db.query("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [.text(key), .text(value)])
        return try db.query("SELECT value FROM meta WHERE key = $1", [.text(key)]).first?.first?.text ?? value
    }

    public func inTransaction(_ body: () throws(Failure) -> Void) throws(Failure) {
        try db.execute(db.dialect.begin)
        do {
            try body()
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    // MARK: rows

    static func time(_ ms: Int64?) -> Value { Value(ms.map(Timestamp.iso8601(milliseconds:))) }

    /// `OR IGNORE` on SQLite (`ON CONFLICT DO NOTHING` on PostgreSQL): no constraint can
    /// abort the statement halfway (the values are checked before), and the count of rows
    /// changed says whether it went in (cheaper than RETURNING in SQLite).
    static let insertNewTransactionSQLite = """
        INSERT OR IGNORE INTO transactions (id, user_id, amount_minor, type, description, service, reference, payment_reference,
            created_at, balance_after_minor, user_seq) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
        """

    /// PostgreSQL: the transaction and its wallet in one statement (one round trip); the
    /// wallet row is written only if the transaction went in, and only over the seq before
    /// it. Nodes write side by side with no lock of their own: a writer that decided from a
    /// wallet another node has since moved (its cached copy) finds `(user_id, user_seq)`
    /// taken, or the wallet's seq not the one before, and the statement changes nothing,
    /// the writer then deciding again from the row (the unique index and the wallet row are
    /// each user's own lock; PostgreSQL makes a second insert of one key wait for the first
    /// transaction's end, and re-reads an updated row's condition after its lock).
    static let insertNewTransactionPostgres = """
        WITH t AS (INSERT INTO transactions (id, user_id, amount_minor, type, description, service, reference, payment_reference,
            created_at, balance_after_minor, user_seq) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING
            RETURNING user_id, balance_after_minor, user_seq, created_at)
        INSERT INTO wallets (user_id, balance_minor, last_seq, updated_at) SELECT user_id, balance_after_minor, user_seq, created_at FROM t
        ON CONFLICT (user_id) DO UPDATE SET balance_minor = excluded.balance_minor, last_seq = excluded.last_seq,
            updated_at = excluded.updated_at WHERE wallets.last_seq = excluded.last_seq - 1
        """

    /// A new transaction and its wallet's new balance and seq; false (and nothing written)
    /// if its reference is taken.
    static func values(of t: LedgerTransaction) -> [Value] {
        [.integer(t.id), .text(t.userId), .integer(t.amount.minorUnits), .text(t.kind.rawValue),
         .text(t.description), Value(t.service), .text(t.reference), Value(t.paymentReference),
         Self.time(t.createdAt), .integer(t.balanceAfter.minorUnits), .integer(t.userSeq)]
    }

    public func insertIfNew(_ t: LedgerTransaction) throws(Failure) -> Bool {
        let values = Self.values(of: t)
        if db.dialect == .postgres {
            try db.query(Self.insertNewTransactionPostgres, values)
            return db.changes == 1
        }
        try db.query(Self.insertNewTransactionSQLite, values)
        guard db.changes == 1 else { return false }
        try db.query(Self.upsertWallet, [.text(t.userId), .integer(t.balanceAfter.minorUnits), .integer(t.userSeq), Self.time(t.createdAt)])
        return true
    }

    /// New transactions, all or none: true if every one went in (their wallets then hold
    /// the last balance and seq of each user), false if one of them was already there (a
    /// reference seen before; the caller rolls back and decides again one at a time).
    /// PostgreSQL: one pipeline of the one-statement writes. SQLite: multi-row statements of
    /// up to 64 rows (a statement's start, bindings and end cost as much as one row's
    /// b-tree inserts), each size prepared once.
    public func insertAllNew(_ transactions: [LedgerTransaction]) throws(Failure) -> Bool {
        if db.dialect == .postgres {
            // In user order (each user's in seq order): two nodes' runs lock users' rows in
            // the same order, so neither waits for the other while holding what it needs.
            let ordered = transactions.sorted { ($0.userId, $0.userSeq) < ($1.userId, $1.userSeq) }
            let counts = try db.pipelined(ordered.map { (Self.insertNewTransactionPostgres, Self.values(of: $0)) })
            return counts.allSatisfy { $0 == 1 }
        }
        var lastOfUser: [String: LedgerTransaction] = [:]
        for t in transactions { lastOfUser[t.userId] = t }
        let latest = transactions.filter { lastOfUser[$0.userId]?.id == $0.id }
        for chunk in Self.chunks(transactions) {
            try db.query(transactionRows(chunk.count), chunk.flatMap(Self.values(of:)))
            guard db.changes == chunk.count else { return false }
        }
        for chunk in Self.chunks(latest) {
            try db.query(walletRows(chunk.count), chunk.flatMap { t in
                [.text(t.userId), .integer(t.balanceAfter.minorUnits), .integer(t.userSeq), Self.time(t.createdAt)] as [Value]
            })
        }
        return true
    }

    /// Slices of 64, 16, 4 and 1 rows: few statement shapes, few statements.
    static func chunks<T>(_ items: [T]) -> [ArraySlice<T>] {
        var out: [ArraySlice<T>] = []
        var start = items.startIndex
        for size in [64, 16, 4, 1] {
            while items.endIndex - start >= size {
                out.append(items[start..<(start + size)])
                start += size
            }
        }
        return out
    }

    /// The multi-row statements by (table, row count), made once.
    private var multiRowStatements: [Int: String] = [:]

    private func transactionRows(_ count: Int) -> String {
        multiRow(key: count * 2, count: count, each: 11, prefix: """
            INSERT OR IGNORE INTO transactions (id, user_id, amount_minor, type, description, service, reference, payment_reference,
                created_at, balance_after_minor, user_seq) VALUES
            """, suffix: "")
    }

    private func walletRows(_ count: Int) -> String {
        multiRow(key: count * 2 + 1, count: count, each: 4, prefix: "INSERT INTO wallets (user_id, balance_minor, last_seq, updated_at) VALUES", suffix: """
             ON CONFLICT (user_id) DO UPDATE SET balance_minor = excluded.balance_minor, last_seq = excluded.last_seq,
                updated_at = excluded.updated_at
            """)
    }

    private func multiRow(key: Int, count: Int, each: Int, prefix: String, suffix: String) -> String {
        if let sql = multiRowStatements[key] { return sql }
        let group = "(" + Array(repeating: "?", count: each).joined(separator: ",") + ")"
        let sql = prefix + " " + Array(repeating: group, count: count).joined(separator: ",") + suffix
        multiRowStatements[key] = sql
        return sql
    }

    /// A transaction and its wallet's new balance and seq.
    public func insert(_ t: LedgerTransaction) throws(Failure) {
        try db.query(Self.insertTransaction, [.integer(t.id), .text(t.userId), .integer(t.amount.minorUnits), .text(t.kind.rawValue),
                                              .text(t.description), Value(t.service), .text(t.reference), Value(t.paymentReference),
                                              Self.time(t.createdAt), .integer(t.balanceAfter.minorUnits), .integer(t.userSeq)])
        try db.query(Self.upsertWallet, [.text(t.userId), .integer(t.balanceAfter.minorUnits), .integer(t.userSeq), Self.time(t.createdAt)])
    }

    public func insertResolution(reference: String, note: String?, by: String?, at: Int64, lsn: Int64,
                                 kind: Payment.Resolution.Kind = .resolved) throws(Failure) {
        try db.query(Self.insertResolution, [.integer(lsn), .text(reference), Self.time(at), .text(by ?? "unknown"), Value(note),
                                             .text(kind.rawValue)])
    }

    public func insert(_ e: WebhookLogEntry) throws(Failure) {
        try db.query(Self.insertWebhook, [.integer(e.id), .text(e.provider), Self.time(e.receivedAt), .integer(e.signatureValid ? 1 : 0),
                                          .text(e.status.rawValue), Value(e.errorMessage), Value(e.reference), .text(e.payload),
                                          .integer(e.payloadTruncated ? 1 : 0), .text(e.headers.joined(separator: "\n")), Value(e.deliveryKey)])
    }

    /// `lease`: the node that delivers it, and until when no other takes it over.
    public func insert(_ a: Alert, deliveryStatus: String?, lease: (node: String, until: Int64)? = nil) throws(Failure) {
        try db.query(Self.insertAlert, [.integer(a.id), .text(a.kind.rawValue), .text(a.title), .text(a.message), Value(a.userId),
                                        Value(a.reference), Self.time(a.createdAt), Value(deliveryStatus), Value(lease?.node),
                                        lease.map { Self.time($0.until) } ?? .null])
    }

    public func insert(_ a: ActivityEvent) throws(Failure) {
        try db.query(Self.insertActivity, [.integer(a.id), Value(a.userId), Value(a.email), .text(a.action), .text(a.status),
                                           Value(a.details), Value(a.errorMessage), Self.time(a.createdAt), Value(a.email.map(EmailKey.of))])
    }
}
