@testable import Cluster
import Hub
import Synchronization

/// The tests' one clock: the in-memory medium's, every link's timers and every hub's
/// sessions read it, and only the test moves it.
final class TestTime: WallClock, Sendable {
    private let now = Mutex<Int64>(1_795_000_000_000)

    var nowMilliseconds: Int64 { now.withLock { $0 } }

    func advance(_ milliseconds: Int64) {
        now.withLock { $0 += milliseconds }
    }
}

/// What a link handed on, kept for the test to look at (the handlers run on the link's
/// thread in production; here on the test's, inside `turn`).
final class Heard: Sendable {
    struct State {
        var others: [ClusterLink.Others] = []
        var released: [(sessions: [String], claimsWritten: UInt32)] = []
        var minutes: [ClusterLink.NodeMinute] = []
        var asked: [ClusterQuery.Asked] = []
        var answered: [ClusterQuery.Answer] = []
        var balances: [ClusterLink.BalanceNotice] = []
        var alerts: [Int64] = []
        var problems = 0
        var paymentErrors = 0
        var erased: [PersonKey] = []
        var reconnected = 0
    }

    let state = Mutex(State())

    func take<T: Sendable>(_ field: WritableKeyPath<State, [T]>) -> [T] {
        state.withLock { state in
            defer { state[keyPath: field] = [] }
            return state[keyPath: field]
        }
    }

    var lastOthers: ClusterLink.Others? { state.withLock { $0.others.last } }

    var handlers: ClusterLink.Handlers {
        ClusterLink.Handlers(
            othersChanged: { others in self.state.withLock { $0.others.append(others) } },
            balances: { notices in self.state.withLock { $0.balances += notices } },
            news: { problems, alerts, paymentErrors in
                self.state.withLock {
                    $0.problems += problems ? 1 : 0
                    $0.alerts += alerts
                    $0.paymentErrors += paymentErrors ? 1 : 0
                }
            },
            erased: { key in self.state.withLock { $0.erased.append(key) } },
            released: { sessions, written in self.state.withLock { $0.released.append((sessions, written)) } },
            minutes: { minutes in self.state.withLock { $0.minutes += minutes } },
            asked: { asked in self.state.withLock { $0.asked += asked } },
            answered: { answers in self.state.withLock { $0.answered += answers } },
            reconnected: { self.state.withLock { $0.reconnected += 1 } })
    }
}

/// One node of a cluster in a test: a presence hub and its link's worker on an
/// `InMemoryCluster`, driven pass by pass. `turn` does what the hub's owner does every
/// interval (`ClusterPresence.publish`) and then one pass of the link; what the link
/// hands on waits in `heard` until the test applies it, as the hop to the hub's loop would.
final class TestNode {
    static let interval: Int64 = 100
    static let freshness: Int64 = 2_000

    let id: String
    let hub: PresenceHub
    let heard = Heard()
    let time: TestTime
    var worker: ClusterLinkWorker
    var outbox = ClusterLink.Outbox()
    private var publishedVersion: UInt64 = .max

    init(_ id: String, on cluster: InMemoryCluster, time: TestTime) {
        self.id = id
        self.time = time
        hub = PresenceHub(clock: time)
        hub.announcesClaims = true
        worker = Self.worker(id, on: cluster, time: time, heard: heard)
    }

    static func worker(_ id: String, on cluster: InMemoryCluster, time: TestTime, heard: Heard) -> ClusterLinkWorker {
        let configuration = ClusterLink.Configuration(nodeID: id, interval: interval, freshness: freshness, maxKeys: 100)
        return ClusterLinkWorker(configuration: configuration, handlers: heard.handlers, broker: cluster.broker(for: id),
                                 clock: { time.nowMilliseconds })
    }

    /// A beacon from `session`, the balancer having sent it here.
    func beacon(_ session: String) {
        _ = try? hub.pageVisit(sessionId: session, pageType: .homepage)
    }

    /// The hub's share, then one pass of the link.
    func turn() {
        let batch = hub.claimBatch
        let claims = hub.takeClaims()
        if !claims.isEmpty {
            outbox.claims += claims
            outbox.claimBatch = batch
        }
        if hub.version != publishedVersion {
            publishedVersion = hub.version
            outbox.counters = hub.counters
            outbox.updatedAt = hub.updatedAt
        }
        _ = worker.turn(outbox)
        outbox = ClusterLink.Outbox()
    }

    /// What the link handed on about sessions reaches the hub (`ClusterPresence`, its `released` message).
    func applyReleases() {
        for (sessions, written) in heard.take(\.released) { hub.release(sessions, claimsWritten: written) }
    }

    func holds(_ session: String) -> Bool {
        hub.session(session)?.isActive == true
    }

    /// The node stops cleanly: its row leaves.
    func stop() {
        outbox.stopping = true
        _ = worker.turn(outbox)
        outbox = ClusterLink.Outbox()
    }
}

/// Every node takes `rounds` passes in turn.
func turns(_ nodes: [TestNode], rounds: Int = 1) {
    for _ in 0..<rounds {
        for node in nodes { node.turn() }
    }
}
