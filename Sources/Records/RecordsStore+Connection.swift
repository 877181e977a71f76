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

    /// SQLite (one writer): the next number of each kind after what the database holds.
    public func nextCounters() throws(Failure) -> RecordCounters {
        var counters = RecordCounters()
        for kind in RecordIdKind.allCases {
            let (_, table, column) = kind.sequence
            var largest = try db.query("SELECT max(\(column)) FROM \(table)", []).first?.first?.integer ?? 0
            if kind == .transaction {
                // A ledger entry's notification has its transaction's id; another notification
                // takes one of the same numbers (`MoneyWriter+Notifications`).
                largest = max(largest, try db.query("SELECT max(id) FROM notifications", []).first?.first?.integer ?? 0)
            }
            counters[kind] = max(1, largest + 1)
        }
        return counters
    }
}

/// The next number (id, LSN or seq) of each kind of row.
public struct RecordCounters: Sendable, Equatable {
    private var next = [Int64](repeating: 1, count: RecordIdKind.allCases.count)

    public init() {}

    public subscript(kind: RecordIdKind) -> Int64 {
        get { next[kind.rawValue] }
        set { next[kind.rawValue] = newValue }
    }
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
