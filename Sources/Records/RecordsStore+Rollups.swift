import Hub

/// The shop's day (issue 32): what happened, counted per minute, hour and day, each count a
/// row `(grain, bucket, metric, key, value)`; the goals and funnels a shop defines. Every
/// node adds its own counts to the same rows (`value = value + excluded.value`), so a
/// cluster's figures are the sum of its nodes', and a restarted or new node reads them all.
extension RecordsStore {
    /// One count to add: `bucket` is the grain's start (ISO 8601 text, as every time here).
    public struct RollupDelta: Sendable, Equatable {
        public var metric: String
        public var key: String
        public var value: Int64

        public init(metric: String, key: String, value: Int64) {
            self.metric = metric
            self.key = key
            self.value = value
        }
    }

    /// A row read back: a sum over the buckets asked for, or one bucket's.
    public struct RollupRow: Sendable, Equatable {
        public var bucket: Int64
        public var metric: String
        public var key: String
        public var value: Int64

        public init(bucket: Int64, metric: String, key: String, value: Int64) {
            self.bucket = bucket
            self.metric = metric
            self.key = key
            self.value = value
        }
    }

    static let addRollup = """
        INSERT INTO rollups (grain, bucket, metric, key, value) VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (grain, bucket, metric, key) DO UPDATE SET value = rollups.value + excluded.value
        """

    /// Adds one minute's counts to its minute, its hour and its day.
    public func addRollups(minute: Int64, _ deltas: [RollupDelta]) throws(Failure) {
        let start = minute * 60_000
        let buckets: [(RollupGrain, Int64)] = RollupGrain.allCases.map { ($0, $0.bucket(of: start)) }
        var statements: [(sql: String, values: [SQLValue])] = []
        statements.reserveCapacity(deltas.count * buckets.count)
        for delta in deltas where delta.value != 0 {
            for (grain, bucket) in buckets {
                statements.append((Self.addRollup, [.text(grain.rawValue), Self.time(bucket), .text(delta.metric), .text(delta.key), .integer(delta.value)]))
            }
        }
        _ = try db.pipelined(statements)
    }

    /// Forgets rows of `grain` that start before `cutoff` (milliseconds); how many went.
    @discardableResult
    public func pruneRollups(_ grain: RollupGrain, before cutoff: Int64) throws(Failure) -> Int {
        try db.query("DELETE FROM rollups WHERE grain = $1 AND bucket < $2", [.text(grain.rawValue), Self.time(cutoff)])
        return db.changes
    }

    /// Each metric's keys (or one metric's) summed over the buckets of `grain` in `[from, to)`,
    /// at most `limit` rows (metrics and keys are bounded per day by the hub that counts them).
    public func rollupTotals(_ grain: RollupGrain, from: Int64, to: Int64, metric: String? = nil,
                             limit: Int = 20_000) throws(Failure) -> [RollupRow] {
        try db.query("""
            SELECT metric, key, sum(value) FROM rollups WHERE grain = $1 AND bucket >= $2 AND bucket < $3
            \(metric == nil ? "" : "AND metric = $4") GROUP BY metric, key LIMIT \(limit)
            """, [.text(grain.rawValue), Self.time(from), Self.time(to)] + (metric.map { [.text($0)] } ?? [])).map { row in
            RollupRow(bucket: from, metric: row[0].text ?? "", key: row[1].text ?? "", value: row[2].integer ?? 0)
        }
    }

    /// One row per bucket of `grain` in `[from, to)` for these metrics (key summed away when
    /// `byKey` is false), oldest first, at most `limit`.
    public func rollupSeries(_ grain: RollupGrain, from: Int64, to: Int64, metrics: [String], limit: Int = 20_000) throws(Failure) -> [RollupRow] {
        guard !metrics.isEmpty else { return [] }
        let names = metrics.indices.map { "$\($0 + 4)" }.joined(separator: ", ")
        return try db.query("""
            SELECT bucket, metric, sum(value) FROM rollups WHERE grain = $1 AND bucket >= $2 AND bucket < $3 AND metric IN (\(names))
            GROUP BY bucket, metric ORDER BY bucket LIMIT \(limit)
            """, [.text(grain.rawValue), Self.time(from), Self.time(to)] + metrics.map { .text($0) }).map { row in
            RollupRow(bucket: row[0].text.flatMap(Timestamp.parse) ?? 0, metric: row[1].text ?? "", key: "", value: row[2].integer ?? 0)
        }
    }

    /// Revenue per currency of the payments confirmed in `[from, to)`: the provider's amount
    /// where it said one (what arrived), else the shop's.
    public func revenue(from: Int64, to: Int64) throws(Failure) -> [(currency: String, amount: Int64)] {
        try db.query("""
            SELECT coalesce(provider_currency, currency, ''), sum(coalesce(provider_amount_minor, amount_minor, 0)) FROM payments
            WHERE confirmed_at >= $1 AND confirmed_at < $2 GROUP BY 1 ORDER BY 1
            """, [Self.time(from), Self.time(to)]).map { ($0[0].text ?? "", $0[1].integer ?? 0) }
    }
}

/// The grains rollups are kept at.
public enum RollupGrain: String, Sendable, CaseIterable {
    case minute, hour, day

    public var milliseconds: Int64 {
        switch self {
        case .minute: 60_000
        case .hour: 3_600_000
        case .day: 86_400_000
        }
    }

    /// The start of the bucket holding `time` (UTC: days start at midnight UTC).
    public func bucket(of time: Int64) -> Int64 {
        let size = milliseconds
        return time >= 0 ? time / size * size : (time - size + 1) / size * size
    }
}

extension RecordsSchema {
    /// Migration 17: the shop's day. Rollups keyed by grain, bucket start, metric and key
    /// (`WITHOUT ROWID` on SQLite: the key is the row); the goals and funnels a shop
    /// defines; payments by confirmation time (revenue per day reads them).
    static func shopDay(_ dialect: SQLDialect) -> String {
        let integer = dialect == .sqlite ? "INTEGER" : "BIGINT"
        return """
            CREATE TABLE rollups (
                grain TEXT NOT NULL, bucket TEXT NOT NULL, metric TEXT NOT NULL, key TEXT NOT NULL, value \(integer) NOT NULL,
                PRIMARY KEY (grain, bucket, metric, key))\(dialect == .sqlite ? " WITHOUT ROWID" : "");
            CREATE TABLE goals (
                name TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind = 'event' OR kind = 'page_type'), target TEXT NOT NULL,
                created_at TEXT NOT NULL);
            CREATE TABLE funnels (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, steps TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE INDEX payments_by_confirmed ON payments (confirmed_at)
            """
    }
}
