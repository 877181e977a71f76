import Hub

/// What the store's users need of its connection, without its SQL: the dialect, one
/// transaction, a read's deadline, and PostgreSQL's notifications as statements.
extension RecordsStore {
    public var dialect: SQLDialect { db.dialect }

    /// Notifications (`pg_notify`) sent in one round trip, inside the caller's transaction:
    /// PostgreSQL delivers them after the COMMIT, in commit order, and not at all if it rolls
    /// back. What is announced, and when, is the caller's.
    public func notify(_ notices: [(channel: String, payload: String)]) throws(Failure) {
        guard !notices.isEmpty else { return }
        _ = try db.pipelined(notices.map { (sql: "SELECT pg_notify($1, $2)", values: [.text($0.channel), .text($0.payload)]) })
    }

    /// SQLite: statements on this connection stop once `milliseconds` from now have passed
    /// (nil: no deadline). PostgreSQL readers carry theirs as a connection option
    /// (`RecordsDatabase.openReader`).
    public func setReadDeadline(milliseconds: Int64?) {
        guard let sqlite = db as? SQLiteDatabase else { return }
        sqlite.deadline.at = milliseconds.map { monotonicNanoseconds() + UInt64(max(0, $0)) * 1_000_000 } ?? 0
    }

    /// The next ids and sequence numbers after what the database holds.
    public func nextCounters() throws(Failure) -> RecordCounters {
        func next(_ sql: String) throws(Failure) -> Int64 { (try db.query(sql, []).first?.first?.integer ?? 0) + 1 }
        return RecordCounters(transaction: try next("SELECT max(id) FROM transactions"),
                              eventLSN: max(1, try next("SELECT max(lsn) FROM payment_events")),
                              resolutionLSN: max(1, try next("SELECT max(lsn) FROM resolutions")),
                              webhook: try next("SELECT max(id) FROM webhook_deliveries"),
                              alert: try next("SELECT max(id) FROM alerts"),
                              activity: try next("SELECT max(id) FROM activity"),
                              paymentSeq: try next("SELECT max(seq) FROM payments"))
    }
}

/// The next id (or LSN, or seq) of each kind of row.
public struct RecordCounters: Sendable, Equatable {
    public var transaction: Int64
    public var eventLSN: Int64
    public var resolutionLSN: Int64
    public var webhook: Int64
    public var alert: Int64
    public var activity: Int64
    public var paymentSeq: Int64
}

extension RecordsDatabase {
    /// A connection for reads whose statements stop at `deadline` milliseconds: SQLite's
    /// progress handler, armed per read (`setReadDeadline`); PostgreSQL's
    /// `statement_timeout`, as a connection option so a connection made anew after the
    /// database restarted keeps it (libpq's `options`: `-c statement_timeout=MS`).
    public func openReader(deadline: Int64) throws(RecordsFailure) -> RecordsStore {
        switch self {
        case .sqlite:
            let store = try open()
            (store.db as? SQLiteDatabase)?.enforceDeadline()
            return store
        case .postgres(let url):
            let separator = url.contains("?") ? "&" : "?"
            return try RecordsDatabase.postgres(url: url + separator + "options=-c%20statement_timeout%3D\(deadline)").open()
        }
    }
}

extension RecordsFailure {
    /// Whether the statement was stopped at its deadline (SQLite's interrupt, PostgreSQL's
    /// statement timeout), not refused.
    public var isCancellation: Bool {
        let text = description.lowercased()
        return text.contains("interrupt") || text.contains("statement timeout") || text.contains("canceling statement")
    }
}
