import Hub

/// Rows read back as the hub's values: what the money engine decides from, and what the
/// API answers. Every lookup here has its index (RecordsSchema).
extension RecordsStore {
    static let transactionColumns = """
        id, user_id, amount_minor, type, description, service, reference, payment_reference, created_at,
        balance_after_minor, user_seq
        """

    static func transaction(_ row: [Value]) -> LedgerTransaction? {
        guard row.count >= 11, let id = row[0].integer, let user = row[1].text, let amount = row[2].integer,
              let kind = row[3].text.flatMap(LedgerTransaction.Kind.init(rawValue:)), let reference = row[6].text,
              let created = row[8].text.flatMap(Timestamp.parse), let after = row[9].integer, let seq = row[10].integer
        else { return nil }
        return LedgerTransaction(id: id, userId: user, amount: Money(minorUnits: amount), kind: kind, description: row[4].text ?? "",
                                 service: row[5].text, reference: reference, createdAt: created,
                                 balanceAfter: Money(minorUnits: after), userSeq: seq, paymentReference: row[7].text)
    }

    func transactions(_ sql: String, _ values: [Value]) throws(Failure) -> [LedgerTransaction] {
        try db.query(sql, values).compactMap(Self.transaction)
    }

    /// How many transactions and payments the database holds (for the start-up notes).
    public func counts() throws(Failure) -> (transactions: Int, payments: Int) {
        let t = try db.query("SELECT count(*) FROM transactions", []).first?.first?.integer ?? 0
        let p = try db.query("SELECT count(*) FROM payments", []).first?.first?.integer ?? 0
        return (Int(t), Int(p))
    }

    public func transaction(reference: String) throws(Failure) -> LedgerTransaction? {
        try transactions("SELECT \(Self.transactionColumns) FROM transactions WHERE reference = $1", [.text(reference)]).first
    }

    /// A user's balance and last seq (zero for a user never seen).
    public func wallet(_ userId: String) throws(Failure) -> (balance: Money, lastSeq: Int64) {
        let row = try db.query("SELECT balance_minor, last_seq FROM wallets WHERE user_id = $1", [.text(userId)]).first
        return (Money(minorUnits: row?[0].integer ?? 0), row?[1].integer ?? 0)
    }

    /// PostgreSQL: when each of these users' transactions (by seq) was made, those that
    /// exist, in one round trip.
    public func transactionTimes(_ keys: [(userId: String, seq: Int64)]) throws(Failure) -> [String: [Int64: Int64]] {
        guard db.dialect == .postgres, !keys.isEmpty else { return [:] }
        var times: [String: [Int64: Int64]] = [:]
        for row in try db.query("""
            SELECT t.user_id, t.user_seq, t.created_at FROM transactions t
            JOIN unnest($1::text[], $2::bigint[]) AS k(u, s) ON t.user_id = k.u AND t.user_seq = k.s
            """, [.text(Self.textArray(keys.map(\.userId))), .text("{" + keys.map { String($0.seq) }.joined(separator: ",") + "}")]) {
            guard let user = row[0].text, let seq = row[1].integer, let at = row[2].text.flatMap(Timestamp.parse) else { continue }
            times[user, default: [:]][seq] = at
        }
        return times
    }

    /// The user's transactions with `user_seq > since`, oldest first (a balance room's
    /// replay): the newest `limit` of them, so what follows them live has no hole.
    public func transactions(of userId: String, after since: Int64, limit: Int) throws(Failure) -> [LedgerTransaction] {
        try transactions("SELECT \(Self.transactionColumns) FROM transactions WHERE user_id = $1 AND user_seq > $2 ORDER BY user_seq DESC LIMIT $3",
                         [.text(userId), .integer(since), .integer(Int64(limit))]).reversed()
    }

    /// Newest first, filtered, paged. One statement per combination of filters, so each
    /// uses its index and the statement cache stays small.
    public func transactions(_ filter: TransactionFilter) throws(Failure) -> [LedgerTransaction] {
        var conditions: [String] = []
        var values: [Value] = []
        func add(_ value: Value, _ condition: (String) -> String) {
            values.append(value)
            conditions.append(condition("$\(values.count)"))
        }
        if let user = filter.userId { add(.text(user)) { "user_id = \($0)" } }
        if let id = filter.id { add(.integer(id)) { "id = \($0)" } }
        if let kind = filter.kind { add(.text(kind.rawValue)) { "type = \($0)" } }
        if let start = filter.start { add(Self.time(start)) { "created_at >= \($0)" } }
        if let end = filter.end { add(Self.time(end)) { "created_at <= \($0)" } }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        values += [.integer(Int64(filter.limit)), .integer(Int64(filter.skip))]
        return try transactions("SELECT \(Self.transactionColumns) FROM transactions\(whereClause) ORDER BY id DESC LIMIT $\(values.count - 1) OFFSET $\(values.count)", values)
    }

    /// A window's ledger totals (`GET /api/wallet/monitor`), summed by the database.
    public func monitor(since: Int64) throws(Failure) -> LedgerSummary {
        var summary = LedgerSummary()
        for row in try db.query("SELECT type, count(*), sum(amount_minor) FROM transactions WHERE created_at >= $1 GROUP BY type", [Self.time(since)]) {
            guard let kind = row[0].text.flatMap(LedgerTransaction.Kind.init(rawValue:)) else { continue }
            summary.counts[kind] = Int(row[1].integer ?? 0)
            summary.amounts[kind] = Money(minorUnits: row[2].integer ?? 0)
        }
        summary.uniqueUsers = Int(try db.query("SELECT count(DISTINCT user_id) FROM transactions WHERE created_at >= $1", [Self.time(since)]).first?.first?.integer ?? 0)
        summary.recent = try transactions("SELECT \(Self.transactionColumns) FROM transactions WHERE created_at >= $1 ORDER BY id DESC LIMIT 20", [Self.time(since)])
        return summary
    }

    // MARK: payments

    /// The payment funnel since `since`: created, confirmed by the provider (or credited), credited.
    public func paymentFunnel(since: Int64) throws(Failure) -> [Int] {
        let row = try db.query("""
            SELECT count(*), coalesce(sum(CASE WHEN confirmed_at IS NOT NULL OR status = 'credited' THEN 1 ELSE 0 END), 0),
                coalesce(sum(CASE WHEN status = 'credited' THEN 1 ELSE 0 END), 0) FROM payments WHERE created_at >= $1
            """, [Self.time(since)]).first ?? []
        return (0..<3).map { Int(row.count > $0 ? row[$0].integer ?? 0 : 0) }
    }

    public func isProcessedDelivery(_ key: String) throws(Failure) -> Bool {
        !(try db.query("SELECT 1 FROM webhook_deliveries WHERE delivery_key = $1 AND processing_status = 'processed' LIMIT 1", [.text(key)])).isEmpty
    }

    // MARK: activity

    static let activityColumns = "id, user_id, email, action, status, details, error_message, created_at"

    static func activity(_ row: [Value]) -> ActivityEvent? {
        guard let id = row[0].integer, let action = row[3].text, let status = row[4].text,
              let created = row[7].text.flatMap(Timestamp.parse) else { return nil }
        return ActivityEvent(id: id, userId: row[1].text, email: row[2].text, action: action, status: status, details: row[5].text,
                             errorMessage: row[6].text, createdAt: created)
    }

    /// One user's journey, oldest first: by user id, or by email (any case). An event that
    /// names only an email belongs to a user once an event or a payment ties that email to
    /// their id (and the other way round), so a journey that started before the user had an
    /// id is whole. The ties are followed a few steps at most.
    public func journey(userId: String?, email: String?, limit: Int = 1000) throws(Failure) -> [ActivityEvent] {
        var ids = Set(userId.map { [$0] } ?? [])
        var emails = Set(email.map { [EmailKey.of($0)] } ?? [])
        let lowerEmail = "email_key = $1"
        for _ in 0..<4 {
            let before = ids.count + emails.count
            for id in ids {
                for table in ["activity", "payments"] {
                    for row in try db.query("SELECT DISTINCT email_key FROM \(table) WHERE user_id = $1 AND email_key IS NOT NULL LIMIT 100", [.text(id)]) {
                        if let mail = row[0].text { emails.insert(mail) }
                    }
                }
            }
            for mail in emails {
                for table in ["activity", "payments"] {
                    for row in try db.query("SELECT DISTINCT user_id FROM \(table) WHERE \(lowerEmail) AND user_id IS NOT NULL LIMIT 100", [.text(mail)]) {
                        if let id = row[0].text { ids.insert(id) }
                    }
                }
            }
            if ids.count + emails.count == before { break }
        }
        var events: [Int64: ActivityEvent] = [:]
        for id in ids {
            for e in try db.query("SELECT \(Self.activityColumns) FROM activity WHERE user_id = $1 ORDER BY created_at LIMIT $2", [.text(id), .integer(Int64(limit))]).compactMap(Self.activity) {
                events[e.id] = e
            }
        }
        for mail in emails {
            for e in try db.query("SELECT \(Self.activityColumns) FROM activity WHERE \(lowerEmail) ORDER BY created_at LIMIT $2", [.text(mail), .integer(Int64(limit))]).compactMap(Self.activity) {
                events[e.id] = e
            }
        }
        return events.values.sorted { $0.id < $1.id }.prefix(limit).map { $0 }
    }

    /// A funnel over activity since `since`: how many actors (`ActivityEvent.actor`) did
    /// `steps[0]` successfully, then `steps[0]` and `steps[1]`, and so on (every step
    /// before it, in any order). One statement, grouped by actor in the database.
    public func activityFunnel(since: Int64, steps: [String]) throws(Failure) -> [Int] {
        guard !steps.isEmpty else { return [] }
        // Parameters numbered in the order they appear: SQLite numbers `$n` by first
        // appearance, not by n.
        let flags = steps.indices.map { "max(CASE WHEN a.action = $\($0 + 1) THEN 1 ELSE 0 END) AS s\($0)" }.joined(separator: ", ")
        let reached = steps.indices.map { k in "coalesce(sum(" + (0...k).map { "s\($0)" }.joined(separator: " * ") + "), 0)" }.joined(separator: ", ")
        // One person per user: an event that names only an email counts as the user some
        // other event gave that email (the way journeys join them), so `registration_started
        // {email}` and `registration_completed {user_id, email}` are one person's two steps.
        let actor = """
            CASE WHEN a.user_id IS NOT NULL THEN 'u:' || a.user_id ELSE coalesce(
                (SELECT 'u:' || min(b.user_id) FROM activity b WHERE b.email_key = a.email_key AND b.user_id IS NOT NULL),
                'e:' || coalesce(a.email_key, '')) END
            """
        let row = try db.query("""
            SELECT \(reached) FROM (SELECT \(actor) AS actor, \(flags) FROM activity a
                WHERE a.status = 'success' AND a.created_at >= $\(steps.count + 1) GROUP BY 1) AS per_actor
            """, steps.map { .text($0) } + [Self.time(since)]).first ?? []
        return steps.indices.map { Int(row.count > $0 ? row[$0].integer ?? 0 : 0) }
    }

    /// Activity events older than `cutoff` deleted (retention); how many went.
    @discardableResult
    public func deleteActivity(before cutoff: Int64) throws(Failure) -> Int {
        try db.query("DELETE FROM activity WHERE created_at < $1", [Self.time(cutoff)])
        return db.changes
    }

    /// Whether this engine does the retention pass now: `meta`'s `retention_at` says when the
    /// last one began, on any node, and the turn is taken only once it is `every` old, so the
    /// pass is done once, not once per node. In PostgreSQL a node whose turn row is locked by
    /// another's pass (until its COMMIT) skips it rather than wait: the engine's writes never
    /// queue behind another node's retention.
    public func takeRetentionTurn(now: Int64, every: Int64) throws(Failure) -> Bool {
        let sql = db.dialect == .postgres
            ? """
              UPDATE meta SET value = $1 WHERE key IN
                  (SELECT key FROM meta WHERE key = 'retention_at' AND CAST(value AS BIGINT) <= $2 FOR UPDATE SKIP LOCKED)
              """
            : "UPDATE meta SET value = $1 WHERE key = 'retention_at' AND CAST(value AS INTEGER) <= $2"
        try db.query(sql, [.text(String(now)), .integer(now - every)])
        return db.changes > 0
    }

    /// Retention for the other kinds of record (payments and the ledger are kept): payment
    /// errors deleted, webhook payloads and headers emptied, settled alerts deleted.
    /// `payloadsFrom`: the cutoff of the last pass (payloads before it are empty already).
    public func applyRetention(paymentErrorsBefore: Int64, webhookPayloadsFrom: Int64, before webhookPayloadsBefore: Int64,
                               alertsBefore: Int64) throws(Failure) {
        try db.query("DELETE FROM payment_errors WHERE occurred_at < $1", [Self.time(paymentErrorsBefore)])
        try db.query("""
            UPDATE webhook_deliveries SET payload = '{"expired":true}', headers = '', payload_truncated = 1
                WHERE received_at >= $1 AND received_at < $2 AND headers != ''
            """, [Self.time(webhookPayloadsFrom), Self.time(webhookPayloadsBefore)])
        try db.query("DELETE FROM alerts WHERE created_at < $1 AND (delivery_status IS NULL OR delivery_status != 'pending')",
                     [Self.time(alertsBefore)])
        // The audit log is kept as long as alerts (README "Security"): failed sign-ins from
        // anyone write to it, so it must not grow for good.
        try pruneAudit(before: alertsBefore)
    }
}

/// `GET /api/wallet/transactions` filters and paging.
public struct TransactionFilter: Sendable, Equatable {
    public var userId: String?
    /// One transaction (`GET /api/wallet/transactions/{id}`).
    public var id: Int64?
    public var kind: LedgerTransaction.Kind?
    public var start: Int64?
    public var end: Int64?
    public var skip = 0
    public var limit = 50

    public init() {}
}

/// A window of the ledger, summed.
public struct LedgerSummary: Sendable {
    public var counts: [LedgerTransaction.Kind: Int] = [:]
    public var amounts: [LedgerTransaction.Kind: Money] = [:]
    public var uniqueUsers = 0
    /// The newest 20, newest first.
    public var recent: [LedgerTransaction] = []
}
