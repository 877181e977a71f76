import CLinux
import Dispatch
import Glibc
import Hub
import Logging
import Records
import Synchronization

/// One node's share of presence in cluster mode (`--database postgres://…`): its counters
/// in a row of `cluster_nodes` (an UNLOGGED table: presence is rebuilt by beacons, never
/// worth a WAL write), refreshed every interval and announced by NOTIFY when they change,
/// and the sum of the other nodes' fresh rows, read on every announcement and every
/// interval. A node whose row has not been refreshed for `freshness` is left out of the
/// sum: a dead node's sessions leave the totals by themselves.
///
/// Runs on a thread of its own with its own connection: no loop ever waits for the
/// database, and the hub's counts go on locally while it is away.
public final class ClusterPresence: Sendable {
    public struct Configuration: Sendable {
        public var nodeID: String
        public var databaseURL: String
        /// How often the row is refreshed and the others read (the broadcast interval).
        public var interval: Int64
        /// A row older than this (by the database's clock) is left out.
        public var freshness: Int64
        /// The live-metrics maps' limit (`--max-tracked-keys`).
        public var maxKeys: Int

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

    public static let channel = "livehub_presence"

    fileprivate struct Outbox {
        var counters: PresenceCounters?
        var updatedAt: Int64 = 0
        var stopping = false
    }

    private let configuration: Configuration
    private let outbox = Mutex(Outbox())
    private let wake: Int32
    private let stopped = DispatchSemaphore(value: 0)
    private let onChange: @Sendable (Others) -> Void

    /// `onChange` is called on the presence thread whenever the others' sum changes.
    public init(configuration: Configuration, onChange: @escaping @Sendable (Others) -> Void) {
        self.configuration = configuration
        self.onChange = onChange
        wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    public func start() {
        DispatchQueue(label: "livehub.cluster").async { [self] in
            var worker = Worker(configuration: configuration, onChange: onChange)
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
            defer { outbox.counters = nil }
            return outbox
        }
    }

    fileprivate var wakeDescriptor: Int32 { wake }
}

/// The presence thread's state: touched by nothing else.
private struct Worker {
    let configuration: ClusterPresence.Configuration
    let onChange: @Sendable (ClusterPresence.Others) -> Void
    let log = Logger(label: "livehub.cluster")
    var db: PostgresConnection?
    var listenedResets = -1
    var mine: (counters: [UInt8], updatedAt: Int64)?
    var announced: [UInt8]?
    var reported = ClusterPresence.Others(counters: PresenceCounters(), nodes: [], updatedAt: 0)
    var lastRead = Monotonic.milliseconds
    var outage = false

    init(configuration: ClusterPresence.Configuration, onChange: @escaping @Sendable (ClusterPresence.Others) -> Void) {
        self.configuration = configuration
        self.onChange = onChange
        reported.counters = PresenceCounters(maxKeys: configuration.maxKeys)
    }

    mutating func run(_ owner: ClusterPresence) {
        var nextRefresh = Monotonic.milliseconds
        while true {
            let outbox = owner.take()
            if let counters = outbox.counters { mine = (counters.encoded(), outbox.updatedAt) }
            if outbox.stopping {
                try? db?.query("DELETE FROM cluster_nodes WHERE node_id = $1", [.text(configuration.nodeID)])
                return
            }
            var readNow = outbox.counters != nil
            let now = Monotonic.milliseconds
            if now >= nextRefresh {
                readNow = true
                nextRefresh = now + configuration.interval
            }
            do throws(RecordsFailure) {
                let db = try connected()
                if db.resets != listenedResets {
                    try db.execute("LISTEN \(ClusterPresence.channel)")
                    listenedResets = db.resets
                    announced = nil
                }
                for notice in try db.notifications() where notice.payload != configuration.nodeID { readNow = true }
                if readNow {
                    try refreshRow(db)
                    try readOthers(db)
                }
                if outage {
                    outage = false
                    log.notice("cluster presence: database reachable again")
                }
            } catch {
                self.db = nil
                if !outage {
                    outage = true
                    log.error("cluster presence: \(error); this node's sellers see its own sessions only until it is back")
                }
                // The others' rows can no longer be known fresh.
                if Monotonic.milliseconds - lastRead > configuration.freshness { report(ClusterPresence.Others(counters: PresenceCounters(maxKeys: configuration.maxKeys), nodes: [], updatedAt: reported.updatedAt)) }
                nextRefresh = min(nextRefresh, Monotonic.milliseconds + 1000)
            }
            wait(owner, until: nextRefresh)
        }
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
            try db.query("SELECT pg_notify($1, $2)", [.text(ClusterPresence.channel), .text(configuration.nodeID)])
            announced = mine.counters
        }
    }

    private mutating func readOthers(_ db: PostgresConnection) throws(RecordsFailure) {
        let rows = try db.query("""
            SELECT node_id, changed_at, counters FROM cluster_nodes
            WHERE node_id <> $1 AND updated_at > clock_timestamp() - $2::bigint * interval '1 millisecond' ORDER BY node_id
            """, [.text(configuration.nodeID), .integer(configuration.freshness)])
        lastRead = Monotonic.milliseconds
        var others = ClusterPresence.Others(counters: PresenceCounters(maxKeys: configuration.maxKeys), nodes: [], updatedAt: 0)
        for row in rows {
            guard row.count == 3, let node = row[0].text, let bytes = row[2].text.flatMap(Hex.bytes(bytea:)),
                  let counters = PresenceCounters(encoded: bytes, maxKeys: configuration.maxKeys) else { continue }
            others.counters.add(counters)
            others.nodes.append(node)
            others.updatedAt = max(others.updatedAt, row[1].integer ?? 0)
        }
        report(others)
    }

    private mutating func report(_ others: ClusterPresence.Others) {
        guard others != reported else { return }
        reported = others
        onChange(others)
    }

    private func wait(_ owner: ClusterPresence, until deadline: Int64) {
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
