import CLinux
import Glibc
import Hub
import Logging
import Reactor
import Records

/// The link's thread: its connection and what it knows, touched by nothing else.
struct ClusterLinkWorker {
    let configuration: ClusterLink.Configuration
    let handlers: ClusterLink.Handlers
    let log = Logger(label: "livehub.cluster")
    var db: PostgresConnection?
    var listenedResets = -1
    var mine: (counters: [UInt8], updatedAt: Int64)?
    var announced: [UInt8]?
    var reported = ClusterLink.Others(counters: PresenceCounters(), nodes: [], updatedAt: 0)
    var lastRead = Self.milliseconds
    var outage = false
    /// LISTEN has been established once: a later one follows a loss.
    var listenedBefore = false
    /// Claims taken from the outbox, not yet written, up to batch `claimsTaken`; those up
    /// to `claimsWritten` are in the database.
    var claims: [String] = []
    var claimsTaken: UInt32 = 0
    var claimsWritten: UInt32 = 0
    /// The newest other node's claim read (`session_claims.seq`); 0: read them all.
    var lastClaimSeq: Int64 = 0
    var claimsAnnounced = true
    var nextClaimCleanup: Int64 = 0
    /// This node's minutes taken from the outbox, not yet written.
    var minutes: [Int64: MetricsHistory.Point] = [:]
    /// The newest other node's minute read (`cluster_minutes.seq`); 0: read them all.
    var lastMinuteSeq: Int64 = 0
    var nextMinutesRead: Int64 = 0
    /// Answers to this node's questions wait in `cluster_answers`.
    var answersAnnounced = false

    /// The loops' monotonic clock, in milliseconds: the link's timers, unmoved by the wall clock.
    static var milliseconds: Int64 { Int64(EventLoop.now / 1_000_000) }

    init(configuration: ClusterLink.Configuration, handlers: ClusterLink.Handlers) {
        self.configuration = configuration
        self.handlers = handlers
        reported.counters = PresenceCounters(maxKeys: configuration.maxKeys)
    }

    mutating func run(_ owner: ClusterLink) {
        var nextRefresh = Self.milliseconds
        var othersAnnounced = false
        while true {
            let outbox = owner.take()
            if let counters = outbox.counters { mine = (counters.encoded(), outbox.updatedAt) }
            claims += outbox.claims
            claimsTaken = max(claimsTaken, outbox.claimBatch)
            if claims.count > ClusterLink.maxPendingClaims { claims.removeFirst(claims.count - ClusterLink.maxPendingClaims) }
            minutes.merge(outbox.minutes) { $1 }
            // Asked and answered once: nobody waits for them past a moment.
            let questions = outbox.questions, answers = outbox.answers
            if outbox.stopping {
                // Best effort: a row left behind goes stale within a few intervals anyway.
                _ = try? db?.query("DELETE FROM cluster_nodes WHERE node_id = $1", [.text(configuration.nodeID)])
                return
            }
            // The row is written when the counts changed and every interval (to stay
            // fresh); the others are read when one announced news and every interval.
            var writeRow = outbox.counters != nil
            var readRows = othersAnnounced
            othersAnnounced = false
            let now = Self.milliseconds
            if now >= nextRefresh {
                writeRow = true
                readRows = true
                nextRefresh = now + configuration.interval
            }
            do throws(RecordsFailure) {
                let db = try connected()
                if db.resets != listenedResets {
                    try db.execute([NotifyChannel.presence, NotifyChannel.balance, NotifyChannel.problems, NotifyChannel.alert, NotifyChannel.claims,
                                    NotifyChannel.paymentErrors, NotifyChannel.erasure, NotifyChannel.query, NotifyChannel.answer]
                        .map { "LISTEN \($0)" }.joined(separator: "; "))
                    listenedResets = db.resets
                    announced = nil
                    if listenedBefore { handlers.reconnected() }
                    claimsAnnounced = true  // what was claimed meanwhile
                    listenedBefore = true
                }
                if try drainNotifications(db) { readRows = true }
                for (id, query) in questions {
                    try db.query("SELECT pg_notify($1, $2)", [.text(NotifyChannel.query), .text(query.payload(asker: configuration.nodeID, id: id))])
                }
                if !answers.isEmpty { try write(answers, db) }
                if answersAnnounced { try readAnswers(db) }
                if writeRow { try refreshRow(db) }
                // Ours first, then theirs: a session both took meanwhile stays with the
                // later claim.
                if !claims.isEmpty { try writeClaims(db) }
                claimsWritten = claimsTaken
                if claimsAnnounced { try readClaims(db) }
                if readRows { try readOthers(db) }
                if !minutes.isEmpty { try writeMinutes(db) }
                if now >= nextMinutesRead {
                    try readMinutes(db)
                    nextMinutesRead = now + configuration.minutesInterval
                }
                if now >= nextClaimCleanup {
                    try db.query("DELETE FROM session_claims WHERE claimed_at < clock_timestamp() - $1::bigint * interval '1 millisecond'",
                                 [.integer(configuration.idleTimeout)])
                    try db.query("DELETE FROM cluster_answers WHERE answered_at < clock_timestamp() - interval '1 minute'", [])
                    try db.query("DELETE FROM cluster_minutes WHERE minute < floor(extract(epoch FROM clock_timestamp()) / 60)::bigint - $1",
                                 [.integer(Int64(configuration.minutesKept))])
                    nextClaimCleanup = now + 60_000
                }
                // Notifications that came in with those answers wait in libpq, not on the
                // socket: handled now, and a presence one is read at once.
                if try drainNotifications(db) { othersAnnounced = true }
                if outage {
                    outage = false
                    log.notice("cluster link: database reachable again")
                }
            } catch {
                self.db = nil
                if !outage {
                    outage = true
                    log.error("cluster link: \(error); this node's sellers see its own sessions only until it is back")
                }
                // The others' rows can no longer be known fresh.
                if Self.milliseconds - lastRead > configuration.freshness {
                    report(ClusterLink.Others(counters: PresenceCounters(maxKeys: configuration.maxKeys), nodes: [], updatedAt: reported.updatedAt,
                                              known: false))
                }
                nextRefresh = min(nextRefresh, Self.milliseconds + 1000)
            }
            if !othersAnnounced && !answersAnnounced && !claimsAnnounced { wait(owner, until: min(nextRefresh, nextMinutesRead)) }
        }
    }

    /// One statement per 10,000 claims: `unnest` of a text-array literal, each element
    /// double-quoted with `"` and `\` escaped, as PostgreSQL's array input reads it.
    private mutating func writeClaims(_ db: PostgresConnection) throws(RecordsFailure) {
        var seen = Set<String>()
        // A text value may not hold NUL; such an id was never a real tracker's.
        let unique = claims.filter { !$0.utf8.contains(0) && seen.insert($0).inserted }
        for chunk in stride(from: 0, to: unique.count, by: 10_000).map({ unique[$0..<min(unique.count, $0 + 10_000)] }) {
            try db.query("""
                INSERT INTO session_claims (session_id, node_id, claimed_at, seq)
                SELECT s, $1, clock_timestamp(), nextval('session_claims_seq') FROM unnest($2::text[]) AS s
                ON CONFLICT (session_id) DO UPDATE SET node_id = excluded.node_id, claimed_at = excluded.claimed_at, seq = excluded.seq
                """, [.text(configuration.nodeID), .text(Self.arrayLiteral(chunk))])
        }
        try db.query("SELECT pg_notify($1, $2)", [.text(NotifyChannel.claims), .text(configuration.nodeID)])
        claims = []
    }

    /// The other nodes' claims since the last read (all of them, the first time: a node
    /// restarted on its snapshot lets go what was taken while it was away).
    private mutating func readClaims(_ db: PostgresConnection) throws(RecordsFailure) {
        claimsAnnounced = false
        while true {
            let rows = try db.query("""
                SELECT session_id, seq FROM session_claims WHERE seq > $1 AND node_id <> $2 ORDER BY seq LIMIT 50000
                """, [.integer(lastClaimSeq), .text(configuration.nodeID)])
            let ids = rows.compactMap { $0.first?.text }
            if let last = rows.last?.last?.integer { lastClaimSeq = last }
            if !ids.isEmpty { handlers.released(ids, claimsWritten) }
            if rows.count < 50000 { return }
        }
    }

    /// Each answer in its row, then a NOTIFY to each asker (after the rows committed).
    private func write(_ answers: [(asked: ClusterQuery.Asked, body: [UInt8])], _ db: PostgresConnection) throws(RecordsFailure) {
        for (asked, body) in answers {
            try db.query("""
                INSERT INTO cluster_answers (asker, query_id, node_id, body, answered_at) VALUES ($1, $2, $3, $4::bytea, clock_timestamp())
                """, [.text(asked.asker), .integer(Int64(bitPattern: asked.id)), .text(configuration.nodeID), .text(Hex.bytea(body))])
        }
        for asker in Set(answers.map(\.asked.asker)) {
            try db.query("SELECT pg_notify($1, $2)", [.text(NotifyChannel.answer), .text(asker)])
        }
    }

    /// The answers to this node's questions, taken from the table as they are read.
    private mutating func readAnswers(_ db: PostgresConnection) throws(RecordsFailure) {
        answersAnnounced = false
        let rows = try db.query("DELETE FROM cluster_answers WHERE asker = $1 RETURNING query_id, node_id, body", [.text(configuration.nodeID)])
        let answers = rows.compactMap { row -> ClusterQuery.Answer? in
            guard row.count == 3, let id = row[0].integer, let node = row[1].text, let body = row[2].text.flatMap(Hex.bytes(bytea:)) else { return nil }
            return ClusterQuery.Answer(queryID: UInt64(bitPattern: id), node: node, body: body)
        }
        if !answers.isEmpty { handlers.answered(answers) }
    }

    /// This node's minutes, 500 rows a statement; each write takes a new `seq`, so the
    /// others read it as new.
    private mutating func writeMinutes(_ db: PostgresConnection) throws(RecordsFailure) {
        let points = minutes.values.sorted { $0.minute < $1.minute }
        for start in stride(from: 0, to: points.count, by: 500) {
            let chunk = points[start..<min(points.count, start + 500)]
            var values: [SQLValue] = [.text(configuration.nodeID)]
            var rows: [String] = []
            for point in chunk {
                rows.append("($1, $\(values.count + 1)::bigint, $\(values.count + 2)::bytea, nextval('cluster_minutes_seq'))")
                values += [.integer(point.minute), .text(Hex.bytea(point.encoded))]
            }
            try db.query("""
                INSERT INTO cluster_minutes (node_id, minute, point, seq) VALUES \(rows.joined(separator: ", "))
                ON CONFLICT (node_id, minute) DO UPDATE SET point = excluded.point, seq = excluded.seq
                """, values)
        }
        minutes = [:]
    }

    /// The other nodes' minutes written since the last read (the last day's, the first time).
    private mutating func readMinutes(_ db: PostgresConnection) throws(RecordsFailure) {
        while true {
            let rows = try db.query("""
                SELECT node_id, point, seq FROM cluster_minutes WHERE seq > $1 AND node_id <> $2 ORDER BY seq LIMIT 10000
                """, [.integer(lastMinuteSeq), .text(configuration.nodeID)])
            var read: [ClusterLink.NodeMinute] = []
            for row in rows {
                guard row.count == 3, let node = row[0].text, let bytes = row[1].text.flatMap(Hex.bytes(bytea:)),
                      let point = MetricsHistory.Point(encoded: bytes) else { continue }
                read.append(ClusterLink.NodeMinute(node: node, point: point))
            }
            if let last = rows.last?.last?.integer { lastMinuteSeq = last }
            if !read.isEmpty { handlers.minutes(read) }
            if rows.count < 10000 { return }
        }
    }

    static func arrayLiteral(_ items: ArraySlice<String>) -> String {
        var text = "{"
        for (i, item) in items.enumerated() {
            if i > 0 { text += "," }
            text += "\""
            for ch in item.unicodeScalars {
                if ch == "\"" || ch == "\\" { text += "\\" }
                text.unicodeScalars.append(ch)
            }
            text += "\""
        }
        return text + "}"
    }

    /// Hands what the other nodes announced on (balances, erasures, news for the rooms);
    /// notes claims to read; true if another node announced new counts.
    private mutating func drainNotifications(_ db: PostgresConnection) throws(RecordsFailure) -> Bool {
        var balances: [ClusterLink.BalanceNotice] = []
        var othersChanged = false, problems = false, paymentErrors = false
        var alerts: [Int64] = []
        var asked: [ClusterQuery.Asked] = []
        let mine = configuration.nodeID + ":"
        for notice in try db.notifications() {
            switch notice.channel {
            case NotifyChannel.balance:
                if let balance = ClusterLink.BalanceNotice(payload: notice.payload) { balances.append(balance) }
            case NotifyChannel.presence:
                if notice.payload != configuration.nodeID { othersChanged = true }
            case NotifyChannel.claims:
                if notice.payload != configuration.nodeID { claimsAnnounced = true }
            case NotifyChannel.erasure:
                // Node ids hold no tab; the kind is a word; the value is the rest.
                let parts = notice.payload.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
                guard parts.count == 3, parts[0] != configuration.nodeID,
                      let key = PersonKey(kind: String(parts[1]), value: String(parts[2])) else { continue }
                handlers.erased(key)
            case NotifyChannel.query:
                if let question = ClusterQuery.asked(payload: notice.payload), question.asker != configuration.nodeID { asked.append(question) }
            case NotifyChannel.answer:
                if notice.payload == configuration.nodeID { answersAnnounced = true }
            case NotifyChannel.paymentErrors:
                if notice.payload != configuration.nodeID { paymentErrors = true }
            case NotifyChannel.problems:
                if notice.payload != configuration.nodeID { problems = true }
            case NotifyChannel.alert:
                // `NODE:ID`; node ids may hold colons (host:port), the id never does.
                guard !notice.payload.hasPrefix(mine), let colon = notice.payload.lastIndex(of: ":"),
                      let id = Int64(notice.payload[notice.payload.index(after: colon)...]) else { continue }
                alerts.append(id)
            default:
                break
            }
        }
        if !balances.isEmpty { handlers.balances(balances) }
        if !asked.isEmpty { handlers.asked(asked) }
        if problems || paymentErrors || !alerts.isEmpty { handlers.news(problems, alerts, paymentErrors) }
        return othersChanged
    }

    private mutating func connected() throws(RecordsFailure) -> PostgresConnection {
        if let db { return db }
        let made = try PostgresConnection(url: configuration.databaseURL)
        db = made
        listenedResets = -1
        return made
    }

    /// The row says the node is alive (its time is the database's, so the nodes' clocks
    /// need not agree); a NOTIFY goes with it when the counts changed.
    private mutating func refreshRow(_ db: PostgresConnection) throws(RecordsFailure) {
        guard let mine else { return }
        let values: [SQLValue] = [.text(configuration.nodeID), .integer(mine.updatedAt), .integer(Int64(Self.total(mine.counters))), .text(Hex.bytea(mine.counters))]
        try db.query("""
            INSERT INTO cluster_nodes (node_id, updated_at, changed_at, sessions, counters) VALUES ($1, clock_timestamp(), $2, $3, $4::bytea)
            ON CONFLICT (node_id) DO UPDATE SET updated_at = clock_timestamp(), changed_at = $2, sessions = $3, counters = $4::bytea
            """, values)
        if announced != mine.counters {
            try db.query("SELECT pg_notify($1, $2)", [.text(NotifyChannel.presence), .text(configuration.nodeID)])
            announced = mine.counters
        }
    }

    private mutating func readOthers(_ db: PostgresConnection) throws(RecordsFailure) {
        let rows = try db.query("""
            SELECT node_id, changed_at, counters FROM cluster_nodes
            WHERE node_id <> $1 AND updated_at > clock_timestamp() - $2::bigint * interval '1 millisecond' ORDER BY node_id
            """, [.text(configuration.nodeID), .integer(configuration.freshness)])
        lastRead = Self.milliseconds
        var others = ClusterLink.Others(counters: PresenceCounters(maxKeys: configuration.maxKeys), nodes: [], updatedAt: 0)
        for row in rows {
            guard row.count == 3, let node = row[0].text, let bytes = row[2].text.flatMap(Hex.bytes(bytea:)),
                  let counters = PresenceCounters(encoded: bytes, maxKeys: configuration.maxKeys) else { continue }
            others.counters.add(counters)
            others.nodes.append(node)
            others.updatedAt = max(others.updatedAt, row[1].integer ?? 0)
        }
        report(others)
    }

    private mutating func report(_ others: ClusterLink.Others) {
        guard others != reported else { return }
        reported = others
        handlers.othersChanged(others)
    }

    private func wait(_ owner: ClusterLink, until deadline: Int64) {
        var fds = [pollfd(fd: owner.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
        if let db { fds.append(pollfd(fd: db.socket, events: Int16(POLLIN), revents: 0)) }
        let timeout = Int32(clamping: max(0, deadline - Self.milliseconds))
        _ = poll(&fds, nfds_t(fds.count), timeout)
    }

    private static func total(_ encoded: [UInt8]) -> Int {
        PresenceCounters(encoded: encoded, maxKeys: 2)?.totalActive ?? 0
    }
}
