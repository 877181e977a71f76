/// What a streamed export reads (issue 32: `GET /api/export/{kind}`).
public enum ExportTable: Sendable, Equatable {
    /// `transactions`, by time.
    case ledger
    /// `payments`, by creation time.
    case payments
    /// `activity`, by time.
    case activity
    /// `rollups` of one grain, by bucket.
    case rollups(RollupGrain)

    /// The columns read, in this order in every row; the first `keyCount` are the page key.
    public var columns: [String] {
        switch self {
        case .ledger:
            ["created_at", "id", "user_id", "type", "amount_minor", "balance_after_minor", "description", "service", "reference",
             "payment_reference", "user_seq"]
        case .payments:
            ["created_at", "reference", "provider", "coalesce(state, status)", "status", "amount_minor", "currency", "provider_amount_minor",
             "provider_currency", "provider_reference", "user_id", "email", "phone", "plan", "error_message", "updated_at",
             "confirmed_at", "credited_at", "failed_at"]
        case .activity:
            ["created_at", "id", "user_id", "email", "action", "status", "details", "error_message"]
        case .rollups:
            ["bucket", "metric", "key", "value"]
        }
    }

    /// The leading columns that order the rows and name each one (a time, then what makes
    /// it unique: times repeat).
    public var keyCount: Int {
        if case .rollups = self { return 3 }
        return 2
    }

    var table: String {
        switch self {
        case .ledger: "transactions"
        case .payments: "payments"
        case .activity: "activity"
        case .rollups: "rollups"
        }
    }
}

/// One page of an export: its rows (`ExportTable.columns`), and where the next begins.
public struct ExportPage: Sendable {
    public var rows: [[SQLValue]]
    /// The last row's key; nil when there is no next page.
    public var next: [SQLValue]?
}

/// Keyset paging (the "seek method"): each page is its own short statement that starts
/// after the last row's key, `WHERE key > last ORDER BY key LIMIT n`, rather than one long
/// cursor or an OFFSET that rereads every row before it. No statement holds a read
/// snapshot for the whole export (a SQLite reader would pin the WAL; a PostgreSQL one would
/// hold back VACUUM) or runs past the readers' deadline, however many rows there are. The
/// export is therefore not one snapshot: a row written while it runs appears if its key
/// is past the page being read; no row is read twice or skipped.
extension RecordsStore {
    /// Rows of `table` whose time (the first key column) is in `[from, to)`, after `after`
    /// (a previous page's `next`), in key order, at most `limit`.
    public func exportPage(_ table: ExportTable, from: Int64, to: Int64, after: [SQLValue]?, limit: Int) throws(Failure) -> ExportPage {
        let (sql, values) = Self.exportStatement(table, from: from, to: to, after: after, limit: limit)
        let rows = try db.query(sql, values)
        let next = rows.count < limit ? nil : rows.last.map { Array($0.prefix(table.keyCount)) }
        return ExportPage(rows: rows, next: next)
    }

    /// SQLite: this connection's page cache at most `kibibytes` (the store's is 16 MiB). An
    /// export reads each page once, in order: a large cache would only make its memory
    /// grow with the table. PostgreSQL caches on the server.
    public func limitPageCache(kibibytes: Int) throws(Failure) {
        guard db.dialect == .sqlite else { return }
        try db.execute("PRAGMA cache_size = -\(max(64, kibibytes))")
    }

    /// The page's statement and values. The key condition is written so both databases use
    /// the time index for it: `k0 >= c0` bounds the range the index is read from, and the
    /// lexicographic rest (`k0 > c0 OR (k0 = c0 AND k1 > c1) …`) only filters its start
    /// (a row-value comparison `(k0, k1) > (c0, c1)` reads the same but PostgreSQL uses an
    /// index for it only when the index has every key column).
    static func exportStatement(_ table: ExportTable, from: Int64, to: Int64, after: [SQLValue]?, limit: Int) -> (String, [SQLValue]) {
        let columns = table.columns
        let keys = Array(columns.prefix(table.keyCount))
        var values: [SQLValue] = []
        func parameter(_ value: SQLValue) -> String {
            values.append(value)
            return "$\(values.count)"
        }
        var conditions: [String] = []
        if case .rollups(let grain) = table { conditions.append("grain = \(parameter(.text(grain.rawValue)))") }
        if let after, after.count == keys.count {
            let first = parameter(after[0])
            conditions.append("\(keys[0]) >= \(first)")
            var alternatives = ["\(keys[0]) > \(first)"]
            var equal = ["\(keys[0]) = \(first)"]
            for i in 1..<keys.count {
                let placeholder = parameter(after[i])
                alternatives.append("(" + (equal + ["\(keys[i]) > \(placeholder)"]).joined(separator: " AND ") + ")")
                equal.append("\(keys[i]) = \(placeholder)")
            }
            conditions.append("(" + alternatives.joined(separator: " OR ") + ")")
            // `from` is already behind the key.
        } else {
            conditions.append("\(keys[0]) >= \(parameter(time(from)))")
        }
        conditions.append("\(keys[0]) < \(parameter(time(to)))")
        let sql = "SELECT \(columns.joined(separator: ", ")) FROM \(table.table) WHERE \(conditions.joined(separator: " AND ")) "
            + "ORDER BY \(keys.joined(separator: ", ")) LIMIT \(max(1, limit))"
        return (sql, values)
    }
}
