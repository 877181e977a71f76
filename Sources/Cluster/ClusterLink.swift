import CLinux
import Dispatch
import Glibc
import Hub
import Logging
import Synchronization

/// A node's link to the others in cluster mode (`--database postgres://…`), through a
/// `ClusterBroker` (PostgreSQL in production, memory in tests); the rules are the link's
/// (`ClusterLinkWorker`), the medium the broker's.
///
/// Presence: its counters in its row, refreshed every interval and announced when they
/// change, and the sum of the other nodes' fresh rows, read on every announcement and every
/// interval. A node whose row has not been refreshed for `freshness` is left out of the
/// sum: a dead node's sessions leave the totals by themselves.
///
/// Sessions: the ones this node took (`claim`) are claimed; those the others took are
/// handed on (`released`), all of them after a (re)start.
///
/// History: the minutes this node hands over (`record`) are written; the other nodes' are
/// read every `minutesInterval` (all the broker keeps after a start) and handed on
/// (`minutes`), for each node's chart to show the whole shop.
///
/// Questions: this node asks the others about the sessions they hold (`ask`) and answers
/// theirs (`asked`, then `answer`); answers come back through `answered`.
///
/// What the money engines announce (NOTIFY inside their transactions, so after COMMIT and
/// in commit order): balances (`SEQ:USER`), changed problems and raised alerts, handed
/// on for this node's rooms to read the rows. After the medium was lost,
/// `reconnected` says news may have been missed.
///
/// Runs on a thread of its own with its own broker: no loop ever waits for the
/// database, and the hub's counts go on locally while it is away.
public final class ClusterLink: Sendable {
    public struct Configuration: Sendable {
        public var nodeID: String
        /// How often the row is refreshed and the others read (the broadcast interval).
        public var interval: Int64
        /// A row older than this (by the broker's clock) is left out.
        public var freshness: Int64
        /// The live-metrics maps' limit (`--max-tracked-keys`).
        public var maxKeys: Int
        /// Sessions idle this long have ended everywhere: their claims are forgotten.
        public var idleTimeout: Int64 = 30 * 60_000
        /// How often the other nodes' minutes are read (milliseconds).
        public var minutesInterval: Int64 = 5_000
        /// Minutes older than this many back from now are deleted.
        public var minutesKept: Int = MetricsHistory.defaultCapacity

        public init(nodeID: String, interval: Int64, freshness: Int64, maxKeys: Int) {
            self.nodeID = nodeID
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
        /// False once the database has been away longer than `freshness`: which nodes are
        /// up is then unknown (and `nodes` empty), not known to be none.
        public var known = true
    }

    /// A minute of another node's history.
    public struct NodeMinute: Sendable, Equatable {
        public var node: String
        public var point: MetricsHistory.Point
    }

    /// A ledger write committed (on any node): the user's balance is at `seq`.
    public struct BalanceNotice: Sendable, Equatable {
        public var userId: String
        public var seq: Int64

        public init(userId: String, seq: Int64) {
            self.userId = userId
            self.seq = seq
        }

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
        /// Another node changed the open problems, raised alerts for the sellers, or recorded
        /// payment errors.
        public var news: @Sendable (_ problems: Bool, _ alertIDs: [Int64], _ paymentErrors: Bool) -> Void
        /// Another node erased this person: this one removes what it holds of them.
        public var erased: @Sendable (PersonKey) -> Void
        /// Another node took these sessions: this one lets them go, unless it claimed one
        /// in a batch after `claimsWritten` (the newest of its batches written before the read).
        public var released: @Sendable (_ sessions: [String], _ claimsWritten: UInt32) -> Void
        /// Minutes of the other nodes' histories, new or rewritten since the last call.
        public var minutes: @Sendable ([NodeMinute]) -> Void
        /// Other nodes ask about the sessions this one holds.
        public var asked: @Sendable ([ClusterQuery.Asked]) -> Void
        /// Other nodes answered this one's questions.
        public var answered: @Sendable ([ClusterQuery.Answer]) -> Void
        /// The broker listens anew after a loss (LISTEN again): what was said meanwhile is unknown
        /// (and this node's minutes may be too: it hands them all over again).
        public var reconnected: @Sendable () -> Void

        public init(othersChanged: @escaping @Sendable (Others) -> Void, balances: @escaping @Sendable ([BalanceNotice]) -> Void,
                    news: @escaping @Sendable (_ problems: Bool, _ alertIDs: [Int64], _ paymentErrors: Bool) -> Void,
                    erased: @escaping @Sendable (PersonKey) -> Void, released: @escaping @Sendable (_ sessions: [String], _ claimsWritten: UInt32) -> Void,
                    minutes: @escaping @Sendable ([NodeMinute]) -> Void, asked: @escaping @Sendable ([ClusterQuery.Asked]) -> Void,
                    answered: @escaping @Sendable ([ClusterQuery.Answer]) -> Void, reconnected: @escaping @Sendable () -> Void) {
            self.erased = erased
            self.othersChanged = othersChanged
            self.balances = balances
            self.news = news
            self.released = released
            self.minutes = minutes
            self.asked = asked
            self.answered = answered
            self.reconnected = reconnected
        }
    }

    struct Outbox {
        var counters: PresenceCounters?
        var updatedAt: Int64 = 0
        var claims: [String] = []
        /// The newest batch among `claims`.
        var claimBatch: UInt32 = 0
        /// By minute: a newer version of a minute replaces the one not yet written.
        var minutes: [Int64: MetricsHistory.Point] = [:]
        var questions: [(id: UInt64, query: ClusterQuery)] = []
        var answers: [(asked: ClusterQuery.Asked, body: [UInt8])] = []
        var stopping = false
    }

    private let configuration: Configuration
    private let outbox = Mutex(Outbox())
    private let wake: Int32
    private let stopped = DispatchSemaphore(value: 0)
    private let handlers: Handlers
    private let makeBroker: @Sendable (_ nodeID: String) -> any ClusterBroker

    /// `broker` makes the node's broker, on the link's thread (a connection belongs to the
    /// thread that uses it): `PostgresClusterBroker` in production.
    public init(configuration: Configuration, handlers: Handlers, broker: @escaping @Sendable (_ nodeID: String) -> any ClusterBroker) {
        self.configuration = configuration
        self.handlers = handlers
        makeBroker = broker
        wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
    }

    /// This node's name among the others.
    public var nodeID: String { configuration.nodeID }

    public func start() {
        DispatchQueue(label: "livehub.cluster").async { [self] in
            var worker = ClusterLinkWorker(configuration: configuration, handlers: handlers, broker: makeBroker(configuration.nodeID))
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

    /// This node took these sessions (`PresenceHub.takeClaims`, batch `batch`): the others
    /// let them go. At most `maxPendingClaims`
    /// wait while the database is away (the oldest go first: a session missed so counts on
    /// two nodes until it ends on one).
    public func claim(_ sessions: [String], batch: UInt32) {
        outbox.withLock {
            $0.claims += sessions
            $0.claimBatch = max($0.claimBatch, batch)
            if $0.claims.count > Self.maxPendingClaims { $0.claims.removeFirst($0.claims.count - Self.maxPendingClaims) }
        }
        signal()
    }

    static let maxPendingClaims = 200_000

    /// Minutes of this node's history, to be written (the newest version of each wins).
    /// While the database is away at most a history's worth waits, the oldest going first.
    public func record(minutes points: [MetricsHistory.Point]) {
        guard !points.isEmpty else { return }
        outbox.withLock {
            for point in points { $0.minutes[point.minute] = point }
            if $0.minutes.count > configuration.minutesKept {
                for minute in $0.minutes.keys.sorted().prefix($0.minutes.count - configuration.minutesKept) { $0.minutes[minute] = nil }
            }
        }
        signal()
    }

    /// Asks every other node (each answers through `answered`). Asked once: a question the
    /// database was away for is not asked later, the asker having stopped waiting.
    public func ask(_ id: UInt64, _ query: ClusterQuery) {
        outbox.withLock { $0.questions.append((id, query)) }
        signal()
    }

    /// This node's answer to another's question.
    public func answer(_ asked: ClusterQuery.Asked, body: [UInt8]) {
        outbox.withLock { $0.answers.append((asked, body)) }
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

    func take() -> Outbox {
        var drained: UInt64 = 0
        _ = read(wake, &drained, 8)
        return outbox.withLock { outbox in
            defer {
                outbox.counters = nil
                outbox.claims = []
                outbox.minutes = [:]
                outbox.questions = []
                outbox.answers = []
            }
            return outbox
        }
    }

    var wakeDescriptor: Int32 { wake }
}
