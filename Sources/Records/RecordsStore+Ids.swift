import Hub

/// The kinds of row numbered by the money writer, and (PostgreSQL) the sequence each is
/// taken from.
public enum RecordIdKind: Int, CaseIterable, Sendable {
    case transaction, paymentEvent, resolution, webhook, alert, activity, payment, providerCheck

    /// PostgreSQL's sequence for the kind, and the column it numbers.
    var sequence: (name: String, table: String, column: String) {
        switch self {
        case .transaction: ("livehub_transaction_ids", "transactions", "id")
        case .paymentEvent: ("livehub_payment_event_lsns", "payment_events", "lsn")
        case .resolution: ("livehub_resolution_lsns", "resolutions", "lsn")
        case .webhook: ("livehub_webhook_ids", "webhook_deliveries", "id")
        case .alert: ("livehub_alert_ids", "alerts", "id")
        case .activity: ("livehub_activity_ids", "activity", "id")
        case .payment: ("livehub_payment_seqs", "payments", "seq")
        case .providerCheck: ("livehub_provider_check_ids", "provider_checks", "id")
        }
    }
}

extension RecordsStore {
    /// PostgreSQL, where several nodes write: `count` new numbers of a kind, from its
    /// sequence (one round trip). A sequence never hands a number out twice, whichever
    /// node asks, and does not take back those of a transaction that rolls back (a gap in
    /// the numbers, never a repeat).
    public func takeIds(_ kind: RecordIdKind, count: Int) throws(Failure) -> [Int64] {
        guard count > 0 else { return [] }
        if count == 1 {
            guard let id = try db.query("SELECT nextval('\(kind.sequence.name)')", []).first?.first?.integer else {
                throw Failure("\(kind.sequence.name) gave no number")
            }
            return [id]
        }
        let ids = try db.query("SELECT nextval('\(kind.sequence.name)') FROM generate_series(1, $1)", [.integer(Int64(count))])
            .compactMap { $0.first?.integer }
        guard ids.count == count else { throw Failure("\(kind.sequence.name) gave \(ids.count) numbers, not \(count)") }
        return ids
    }

    /// PostgreSQL: each sequence moved past the largest number its table holds (after rows
    /// were written with numbers of their own: a journal-era import). Run by one process,
    /// before it serves.
    public func catchUpIdSequences() throws(Failure) {
        guard db.dialect == .postgres else { return }
        for kind in RecordIdKind.allCases {
            let (name, table, column) = kind.sequence
            try db.execute("""
                SELECT setval('\(name)', greatest((SELECT coalesce(max(\(column)), 1) FROM \(table)),
                    (SELECT last_value FROM \(name))))
                """)
        }
    }

    /// PostgreSQL: the payment's lock, held until the transaction ends, whether or not the
    /// payment has a row yet: two nodes applying reports or deliveries to one payment take
    /// turns, each reading what the other committed (`pg_advisory_xact_lock`, in a key
    /// space of its own: class 1, the reference's hash; two references with one hash only
    /// wait for each other).
    public func lockPayment(_ reference: String) throws(Failure) {
        guard db.dialect == .postgres else { return }
        try db.query("SELECT pg_advisory_xact_lock(1, hashtext($1))", [.text(reference)])
    }
}

extension RecordsStore {
    /// PostgreSQL: the users' wallet locks, taken in one order (by user id) so two nodes'
    /// transactions never each hold what the other waits for, and held until the
    /// transaction ends. A lock whether or not the wallet has a row
    /// (`pg_advisory_xact_lock`, class 2, the user id's hash): another node writing for one
    /// of them waits for this transaction's end. Then `read` of them as committed (0 and
    /// seq 0 for a user with none yet), read by the next statement: a statement reads what
    /// was committed when it began, before it waited for any lock.
    public func lockWallets(_ users: Set<String>, reading read: Set<String>) throws(Failure) -> [String: (balance: Money, lastSeq: Int64)] {
        guard db.dialect == .postgres, !users.isEmpty else { return [:] }
        try db.query("""
            SELECT count(pg_advisory_xact_lock(2, hashtext(o.u)) IS NULL) FROM
                (SELECT u FROM unnest($1::text[]) AS a(u) ORDER BY u COLLATE "C") o
            """, [.text(Self.textArray(Array(users)))])
        guard !read.isEmpty else { return [:] }
        var found: [String: (balance: Money, lastSeq: Int64)] = [:]
        for user in read { found[user] = (Money(minorUnits: 0), 0) }
        // A join on the list, not `= ANY($1)`: the prepared statement's generic plan scans
        // the whole table for that.
        for row in try db.query("""
            SELECT w.user_id, w.balance_minor, w.last_seq FROM unnest($1::text[]) AS k(u) JOIN wallets w ON w.user_id = k.u
            """, [.text(Self.textArray(Array(read)))]) {
            guard let user = row[0].text, found[user] != nil else { continue }
            found[user] = (Money(minorUnits: row[1].integer ?? 0), row[2].integer ?? 0)
        }
        return found
    }

    /// A PostgreSQL array literal of texts: each element quoted, its `"` and `\` escaped
    /// (PostgreSQL's docs, "Arrays", "Array Value Input").
    public static func textArray(_ items: [String]) -> String {
        var out = "{"
        for (i, item) in items.enumerated() {
            if i > 0 { out += "," }
            out += "\""
            for c in item.unicodeScalars {
                if c == "\"" || c == "\\" { out += "\\" }
                out.unicodeScalars.append(c)
            }
            out += "\""
        }
        return out + "}"
    }
}

extension RecordsSchema {
    /// Migration 12: PostgreSQL numbers new rows from sequences (several nodes write side by
    /// side, README "Cluster"), each starting after what its table holds. SQLite has one
    /// writer, which counts for itself.
    static func idSequences(_ dialect: SQLDialect) -> String {
        sequences(for: [.transaction, .paymentEvent, .resolution, .webhook, .alert, .activity, .payment], dialect)
    }

    /// PostgreSQL: a sequence for each kind, starting after what its table holds (SQLite:
    /// nothing). A migration names its kinds: what it creates never changes.
    static func sequences(for kinds: [RecordIdKind], _ dialect: SQLDialect) -> String {
        guard dialect == .postgres else { return "SELECT 1" }
        return kinds.map { kind in
            let (name, table, column) = kind.sequence
            return """
                CREATE SEQUENCE \(name) AS BIGINT;
                SELECT setval('\(name)', (SELECT greatest(coalesce(max(\(column)), 0), 0) + 1 FROM \(table)), false)
                """
        }.joined(separator: ";\n")
    }
}
