import CLinux
import Dispatch
import Glibc
import Hub
import Logging
import Records
import Synchronization

/// A node's link to the others in cluster mode (`--database postgres://…`).
///
/// Presence: its counters in a row of `cluster_nodes` (an UNLOGGED table: presence is rebuilt by beacons, never
/// worth a WAL write), refreshed every interval and announced by NOTIFY when they change,
/// and the sum of the other nodes' fresh rows, read on every announcement and every
/// interval. A node whose row has not been refreshed for `freshness` is left out of the
/// sum: a dead node's sessions leave the totals by themselves.
///
/// Balances: every ledger write's transaction sends `NOTIFY livehub_balance, 'SEQ:USER'`
/// (delivered after its COMMIT, in commit order); the link hands them to the node's
/// balance sockets, which read what they miss from the table. After the connection was
/// lost, `onReconnect` says notifications may have been missed.
///
/// Runs on a thread of its own with its own connection: no loop ever waits for the
/// database, and the hub's counts go on locally while it is away.
public final class ClusterLink: Sendable {
    public struct Configuration: Sendable {
        public var nodeID: String
        public var databaseURL: String
        /// How often the row is refreshed and the others read (the broadcast interval).
        public var interval: Int64
        /// A row older than this (by the database's clock) is left out.
        public var freshness: Int64
        /// The live-metrics maps' limit (`--max-tracked-keys`).
        public var maxKeys: Int
        /// Sessions idle this long have ended everywhere: their claims are forgotten.
        public var idleTimeout: Int64 = 30 * 60_000

        public init(nodeID: String, databaseURL: String, interval: Int64, freshness: Int64, maxKeys: Int) {
            self.nodeID = nodeID
            self.databaseURL = databaseURL
            self.interval = interval
            self.freshness = freshness
            self.maxKeys = maxKeys
        }
    }

    /// What the other nodes hold, summed.
    public struct Others: Sendable, Equatable {
        public var counters: PresenceCounters
        /// The fresh nodes, by id.
        public var nodes: [String]
        /// The newest change among them (milliseconds since the epoch, each node's clock).
        public var updatedAt: Int64
    }


    /// A ledger write committed (on any node): the user's balance is at `seq`.
    public struct BalanceNotice: Sendable, Equatable {
        public var userId: String
        public var seq: Int64

        /// The NOTIFY payload's form, `SEQ:USER`.
        public init?(payload: String) {
            guard let colon = payload.firstIndex(of: ":"), let seq = Int64(payload[..<colon]) else { return nil }
            self.seq = seq
            userId = String(payload[payload.index(after: colon)...])
        }
    }

    /// Where the link's news goes, each called on its thread.
    public struct Handlers: Sendable {
        public var othersChanged: @Sendable (Others) -> Void
        public var balances: @Sendable ([BalanceNotice]) -> Void
        /// Another node changed the open problems (`problems`) or raised alerts for the sellers.
        public var news: @Sendable (_ problems: Bool, _ alertIDs: [Int64]) -> Void
        /// Another node took these sessions: this one lets them go.
        public var released: @Sendable ([String]) -> Void
        /// LISTEN was (re-)established after a loss: what was notified meanwhile is unknown.
        public var reconnected: @Sendable () -> Void

        public init(othersChanged: @escaping @Sendable (Others) -> Void, balances: @escaping @Sendable ([BalanceNotice]) -> Void,
                    news: @escaping @Sendable (_ problems: Bool, _ alertIDs: [Int64]) -> Void,
                    released: @escaping @Sendable ([String]) -> Void, reconnected: @escaping @Sendable () -> Void) {
            self.released = released
            self.othersChanged = othersChanged
            self.balances = balances
            self.news = news
            self.reconnected = reconnected
        }
    }

    fileprivate struct Outbox {
        var counters: PresenceCounters?
        var updatedAt: Int64 = 0
        var claims: [String] = []
        var stopping = false
    }

    private let configuration: Configuration
    private let outbox = Mutex(Outbox())
    private let wake: Int32
    private let stopped = DispatchSemaphore(value: 0)
    private let handlers: Handlers

    public init(configuration: Configuration, handlers: Handlers) {
        self.configuration = configuration
        self.handlers = handlers
        wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    public func start() {
        DispatchQueue(label: "livehub.cluster").async { [self] in
            var worker = Worker(configuration: configuration, handlers: handlers)
            worker.run(self)
            stopped.signal()
        }
    }

    /// This node's counters changed: they go out with the next refresh, at once.
    public func publish(_ counters: PresenceCounters, updatedAt: Int64) {
        outbox.withLock {
            $0.counters = counters
            $0.updatedAt = updatedAt
        }
        signal()
    }

    /// This node took these sessions: the others let them go. At most `maxPendingClaims`
    /// wait while the database is away (the oldest go first: a session missed so counts on
    /// two nodes until it ends on one).
    public func claim(_ sessions: [String]) {
        outbox.withLock {
            $0.claims += sessions
            if $0.claims.count > Self.maxPendingClaims { $0.claims.removeFirst($0.claims.count - Self.maxPendingClaims) }
        }
        signal()
    }

    static let maxPendingClaims = 200_000

    /// Removes this node's row (its sessions leave the others' totals now, not after
    /// `freshness`) and stops the thread.
    public func stop() {
        outbox.withLock { $0.stopping = true }
        signal()
        stopped.wait()
        close(wake)
    }

    private func signal() {
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    fileprivate func take() -> Outbox {
        var drained: UInt64 = 0
        _ = read(wake, &drained, 8)
        return outbox.withLock { outbox in
            defer {
                outbox.counters = nil
                outbox.claims = []
            }
            return outbox
        }
    }

    fileprivate var wakeDescriptor: Int32 { wake }
}

/// The presence thread's state: touched by nothing else.
private struct Worker {
    let configuration: ClusterLink.Configuration
    let handlers: ClusterLink.Handlers
    let log = Logger(label: "livehub.cluster")
    var db: PostgresConnection?
    var listenedResets = -1
    var mine: (counters: [UInt8], updatedAt: Int64)?
    var announced: [UInt8]?
    var reported = ClusterLink.Others(counters: PresenceCounters(), nodes: [], updatedAt: 0)
    var lastRead = Monotonic.milliseconds
    var outage = false
    /// LISTEN has been established once: a later one follows a loss.
    var listenedBefore = false
    /// Claims taken from the outbox, not yet written.
    var claims: [String] = []
    /// The newest other node's claim read (`session_claims.seq`); 0: read them all.
    var lastClaimSeq: Int64 = 0
    var claimsAnnounced = true
    var nextClaimCleanup: Int64 = 0

    init(configuration: ClusterLink.Configuration, handlers: ClusterLink.Handlers) {
        self.configuration = configuration
        self.handlers = handlers
        reported.counters = PresenceCounters(maxKeys: configuration.maxKeys)
    }

    mutating func run(_ owner: ClusterLink) {
        var nextRefresh = Monotonic.milliseconds
        var othersAnnounced = false
        while true {
            let outbox = owner.take()
            if let counters = outbox.counters { mine = (counters.encoded(), outbox.updatedAt) }
            claims += outbox.claims
            if claims.count > ClusterLink.maxPendingClaims { claims.removeFirst(claims.count - ClusterLink.maxPendingClaims) }
            if outbox.stopping {
                try? db?.query("DELETE FROM cluster_nodes WHERE node_id = $1", [.text(configuration.nodeID)])
                return
            }
            // The row is written when the counts changed and every interval (to stay
            // fresh); the others are read when one announced news and every interval.
            var writeRow = outbox.counters != nil
            var readRows = othersAnnounced
            othersAnnounced = false
            let now = Monotonic.milliseconds
            if now >= nextRefresh {
                writeRow = true
                readRows = true
                nextRefresh = now + configuration.interval
            }
            do throws(RecordsFailure) {
                let db = try connected()
                if db.resets != listenedResets {
                    try db.execute([NotifyChannel.presence, NotifyChannel.balance, NotifyChannel.problems, NotifyChannel.alert, NotifyChannel.claims]
                        .map { "LISTEN \($0)" }.joined(separator: "; "))
                    listenedResets = db.resets
                    announced = nil
                    if listenedBefore { handlers.reconnected() }
                    claimsAnnounced = true  // what was claimed meanwhile
                    listenedBefore = true
                }
                if try drainNotifications(db) { readRows = true }
                if writeRow { try refreshRow(db) }
                // Ours first, then theirs: a session both took meanwhile stays with the
                // later claim.
                if !claims.isEmpty { try writeClaims(db) }
                if claimsAnnounced { try readClaims(db) }
                if readRows { try readOthers(db) }
                if now >= nextClaimCleanup {
                    try db.query("DELETE FROM session_claims WHERE claimed_at < clock_timestamp() - $1::bigint * interval '1 millisecond'",
                                 [.integer(configuration.idleTimeout)])
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
                if Monotonic.milliseconds - lastRead > configuration.freshness {
                    report(ClusterLink.Others(counters: PresenceCounters(maxKeys: configuration.maxKeys), nodes: [], updatedAt: reported.updatedAt))
                }
                nextRefresh = min(nextRefresh, Monotonic.milliseconds + 1000)
            }
            if !othersAnnounced { wait(owner, until: nextRefresh) }
        }
    }

    /// One statement for the lot: `unnest` of an array literal (each element quoted,
    /// RFC-less but as PostgreSQL's array input reads it: `"` and `\` escaped).
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
            if !ids.isEmpty { handlers.released(ids) }
            if rows.count < 50000 { return }
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

    /// Hands balance notifications on; true if another node announced new counts.
    private mutating func drainNotifications(_ db: PostgresConnection) throws(RecordsFailure) -> Bool {
        var balances: [ClusterLink.BalanceNotice] = []
        var othersChanged = false, problems = false
        var alerts: [Int64] = []
        let mine = configuration.nodeID + ":"
        for notice in try db.notifications() {
            switch notice.channel {
            case NotifyChannel.balance:
                if let balance = ClusterLink.BalanceNotice(payload: notice.payload) { balances.append(balance) }
            case NotifyChannel.presence:
                if notice.payload != configuration.nodeID { othersChanged = true }
            case NotifyChannel.claims:
                if notice.payload != configuration.nodeID { claimsAnnounced = true }
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
        if problems || !alerts.isEmpty { handlers.news(problems, alerts) }
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
        lastRead = Monotonic.milliseconds
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
        let timeout = Int32(clamping: max(0, deadline - Monotonic.milliseconds))
        _ = poll(&fds, nfds_t(fds.count), timeout)
    }

    private static func total(_ encoded: [UInt8]) -> Int {
        PresenceCounters(encoded: encoded, maxKeys: 2)?.totalActive ?? 0
    }
}

enum Monotonic {
    static var milliseconds: Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// bytea in PostgreSQL's hex format (`\x0a1b…`), as parameters are sent and columns come back.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func bytea(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = [UInt8(ascii: "\\"), UInt8(ascii: "x")]
        text.reserveCapacity(2 + 2 * bytes.count)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func bytes(bytea text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            guard let high = value(utf8[i]), let low = value(utf8[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
            i += 2
        }
        return bytes
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return digit - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
