import Hub
import Records

/// The cluster through PostgreSQL, the records' database: rows in the cluster's tables
/// (`ClusterSchema`, made as the broker attaches), news by LISTEN/NOTIFY, time by the
/// database's clock (so the nodes' clocks need not agree). One connection of its own, on
/// the link's thread.
public final class PostgresClusterBroker: ClusterBroker {
    private let databaseURL: String
    private let node: String
    private var db: PostgresConnection?
    /// The connection's `resets` when it last LISTENed: a reset connection listens no more.
    private var listenedResets = -1

    public init(databaseURL: String, node: String) {
        self.databaseURL = databaseURL
        self.node = node
    }

    public func attach() throws(ClusterBrokerFailure) -> Bool {
        try mapped { () throws(RecordsFailure) in
            let db: PostgresConnection
            if let connected = self.db {
                db = connected
            } else {
                db = try PostgresConnection(url: databaseURL)
                self.db = db
            }
            guard db.resets != listenedResets else { return false }
            try db.execute(ClusterSchema.statements)
            try db.execute(ClusterChannel.all.map { "LISTEN \($0)" }.joined(separator: "; "))
            listenedResets = db.resets
            return true
        }
    }

    public func detach() {
        db = nil
        listenedResets = -1
    }

    public var descriptor: Int32? { db?.socket }

    public func news() throws(ClusterBrokerFailure) -> [ClusterNews] {
        try mapped { () throws(RecordsFailure) in try connection().notifications().compactMap { ClusterNews(channel: $0.channel, payload: $0.payload) } }
    }

    public func refresh(_ row: ClusterNodeRow, announce: Bool) throws(ClusterBrokerFailure) {
        let sessions = PresenceCounters(encoded: row.counters, maxKeys: 2)?.totalActive ?? 0
        try mapped { () throws(RecordsFailure) in
            let db = try connection()
            try db.query("""
                INSERT INTO cluster_nodes (node_id, updated_at, changed_at, sessions, counters) VALUES ($1, clock_timestamp(), $2, $3, $4::bytea)
                ON CONFLICT (node_id) DO UPDATE SET updated_at = clock_timestamp(), changed_at = $2, sessions = $3, counters = $4::bytea
                """, [.text(node), .integer(row.changedAt), .integer(Int64(sessions)), .text(Hex.bytea(row.counters))])
            if announce { try notify(.presence(node: node), db) }
        }
    }

    public func rows() throws(ClusterBrokerFailure) -> [ClusterNodeRow] {
        let rows = try mapped { () throws(RecordsFailure) in
            try connection().query("""
                SELECT node_id, changed_at, counters, (extract(epoch FROM clock_timestamp() - updated_at) * 1000)::bigint
                FROM cluster_nodes WHERE node_id <> $1 ORDER BY node_id
                """, [.text(node)])
        }
        return rows.compactMap { row in
            guard row.count == 4, let node = row[0].text, let counters = row[2].text.flatMap(Hex.bytes(bytea:)) else { return nil }
            return ClusterNodeRow(node: node, counters: counters, changedAt: row[1].integer ?? 0, age: row[3].integer ?? .max)
        }
    }

    public func leave() {
        _ = try? db?.query("DELETE FROM cluster_nodes WHERE node_id = $1", [.text(node)])
    }

    /// One statement per 10,000 claims: `unnest` of a text-array literal.
    public func claim(_ sessions: [String]) throws(ClusterBrokerFailure) {
        var seen = Set<String>()
        // A text value may not hold NUL; such an id was never a real tracker's.
        let unique = sessions.filter { !$0.utf8.contains(0) && seen.insert($0).inserted }
        try mapped { () throws(RecordsFailure) in
            let db = try connection()
            for start in stride(from: 0, to: unique.count, by: 10_000) {
                try db.query("""
                    INSERT INTO session_claims (session_id, node_id, claimed_at, seq)
                    SELECT s, $1, clock_timestamp(), nextval('session_claims_seq') FROM unnest($2::text[]) AS s
                    ON CONFLICT (session_id) DO UPDATE SET node_id = excluded.node_id, claimed_at = excluded.claimed_at, seq = excluded.seq
                    """, [.text(node), .text(RecordsStore.textArray(Array(unique[start..<min(unique.count, start + 10_000)])))])
            }
            try notify(.claims(node: node), db)
        }
    }

    public func claims(after seq: Int64, limit: Int) throws(ClusterBrokerFailure) -> [(session: String, seq: Int64)] {
        let rows = try mapped { () throws(RecordsFailure) in
            try connection().query("SELECT session_id, seq FROM session_claims WHERE seq > $1 AND node_id <> $2 ORDER BY seq LIMIT $3",
                                   [.integer(seq), .text(node), .integer(Int64(limit))])
        }
        return rows.compactMap { row in
            guard row.count == 2, let session = row[0].text, let seq = row[1].integer else { return nil }
            return (session, seq)
        }
    }

    /// 500 rows a statement.
    public func record(_ minutes: [MetricsHistory.Point]) throws(ClusterBrokerFailure) {
        try mapped { () throws(RecordsFailure) in
            let db = try connection()
            for start in stride(from: 0, to: minutes.count, by: 500) {
                var values: [SQLValue] = [.text(node)]
                var rows: [String] = []
                for point in minutes[start..<min(minutes.count, start + 500)] {
                    rows.append("($1, $\(values.count + 1)::bigint, $\(values.count + 2)::bytea, nextval('cluster_minutes_seq'))")
                    values += [.integer(point.minute), .text(Hex.bytea(point.encoded))]
                }
                try db.query("""
                    INSERT INTO cluster_minutes (node_id, minute, point, seq) VALUES \(rows.joined(separator: ", "))
                    ON CONFLICT (node_id, minute) DO UPDATE SET point = excluded.point, seq = excluded.seq
                    """, values)
            }
        }
    }

    public func minutes(after seq: Int64, limit: Int) throws(ClusterBrokerFailure) -> [(node: String, point: MetricsHistory.Point, seq: Int64)] {
        let rows = try mapped { () throws(RecordsFailure) in
            try connection().query("SELECT node_id, point, seq FROM cluster_minutes WHERE seq > $1 AND node_id <> $2 ORDER BY seq LIMIT $3",
                                   [.integer(seq), .text(node), .integer(Int64(limit))])
        }
        return rows.compactMap { row in
            guard row.count == 3, let node = row[0].text, let bytes = row[1].text.flatMap(Hex.bytes(bytea:)),
                  let point = MetricsHistory.Point(encoded: bytes), let seq = row[2].integer else { return nil }
            return (node, point, seq)
        }
    }

    public func ask(_ id: UInt64, _ query: ClusterQuery) throws(ClusterBrokerFailure) {
        try mapped { () throws(RecordsFailure) in try notify(.asked(ClusterQuery.Asked(asker: node, id: id, query: query)), connection()) }
    }

    /// Each answer in its row, then a NOTIFY to each asker (after the rows committed).
    public func answer(_ answers: [(asked: ClusterQuery.Asked, body: [UInt8])]) throws(ClusterBrokerFailure) {
        try mapped { () throws(RecordsFailure) in
            let db = try connection()
            for (asked, body) in answers {
                try db.query("""
                    INSERT INTO cluster_answers (asker, query_id, node_id, body, answered_at) VALUES ($1, $2, $3, $4::bytea, clock_timestamp())
                    """, [.text(asked.asker), .integer(Int64(bitPattern: asked.id)), .text(node), .text(Hex.bytea(body))])
            }
            for asker in Set(answers.map(\.asked.asker)) { try notify(.answers(asker: asker), db) }
        }
    }

    public func takeAnswers() throws(ClusterBrokerFailure) -> [ClusterQuery.Answer] {
        let rows = try mapped { () throws(RecordsFailure) in
            try connection().query("DELETE FROM cluster_answers WHERE asker = $1 RETURNING query_id, node_id, body", [.text(node)])
        }
        return rows.compactMap { row in
            guard row.count == 3, let id = row[0].integer, let node = row[1].text, let body = row[2].text.flatMap(Hex.bytes(bytea:)) else { return nil }
            return ClusterQuery.Answer(queryID: UInt64(bitPattern: id), node: node, body: body)
        }
    }

    public func forget(claimsKept: Int64, answersKept: Int64, minutesKept: Int) throws(ClusterBrokerFailure) {
        try mapped { () throws(RecordsFailure) in
            let db = try connection()
            try db.query("DELETE FROM session_claims WHERE claimed_at < clock_timestamp() - $1::bigint * interval '1 millisecond'", [.integer(claimsKept)])
            try db.query("DELETE FROM cluster_answers WHERE answered_at < clock_timestamp() - $1::bigint * interval '1 millisecond'", [.integer(answersKept)])
            try db.query("DELETE FROM cluster_minutes WHERE minute < floor(extract(epoch FROM clock_timestamp()) / 60)::bigint - $1",
                         [.integer(Int64(minutesKept))])
        }
    }

    private func connection() throws(RecordsFailure) -> PostgresConnection {
        guard let db else { throw RecordsFailure("cluster link: not connected") }
        return db
    }

    private func notify(_ news: ClusterNews, _ db: PostgresConnection) throws(RecordsFailure) {
        let (channel, payload) = news.notification
        try db.query("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
    }

    private func mapped<T>(_ body: () throws(RecordsFailure) -> T) throws(ClusterBrokerFailure) -> T {
        do {
            return try body()
        } catch {
            throw ClusterBrokerFailure(error.description)
        }
    }
}
