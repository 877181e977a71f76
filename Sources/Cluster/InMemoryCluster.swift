import CLinux
import Glibc
import Hub
import Synchronization

/// The cluster's medium in memory: what PostgreSQL is to the nodes of one database (their
/// rows, claims, minutes and answers, and the news between them), for several nodes in one
/// process. Time is the clock it is given (milliseconds since the epoch), so tests move it;
/// `isReachable` stands for the database going away and coming back.
///
/// It keeps the same promises as `PostgresClusterBroker` (`ClusterBrokerContract` in the
/// tests runs both): a later claim replaces an earlier one, a rewritten minute is read
/// again, news reaches the nodes listening when it is sent and no other.
public final class InMemoryCluster: Sendable {
    struct Listener {
        var token: UInt64
        var inbox: [ClusterNews] = []
        /// Readable while the inbox holds news (`ClusterBroker.descriptor`).
        var wake: Int32
    }

    struct State {
        var isReachable = true
        var rows: [String: (row: ClusterNodeRow, refreshedAt: Int64)] = [:]
        var claims: [String: (node: String, claimedAt: Int64, seq: Int64)] = [:]
        var minutes: [String: [Int64: (point: MetricsHistory.Point, seq: Int64)]] = [:]
        var answers: [(asker: String, answer: ClusterQuery.Answer, answeredAt: Int64)] = []
        var listeners: [String: Listener] = [:]
        var nextSeq: Int64 = 0
        var nextToken: UInt64 = 0

        mutating func seq() -> Int64 {
            nextSeq += 1
            return nextSeq
        }

        mutating func deliver(_ news: ClusterNews) {
            for node in listeners.keys {
                listeners[node]!.inbox.append(news)
                var one: UInt64 = 1
                _ = write(listeners[node]!.wake, &one, 8)
            }
        }
    }

    let state = Mutex(State())
    let clock: @Sendable () -> Int64

    public init(clock: @escaping @Sendable () -> Int64) {
        self.clock = clock
    }

    deinit {
        state.withLock { state in for listener in state.listeners.values { close(listener.wake) } }
    }

    /// One node's broker on this medium.
    public func broker(for node: String) -> InMemoryClusterBroker {
        InMemoryClusterBroker(cluster: self, node: node)
    }

    /// Whether the nodes reach the medium. Going away cuts every node off: what is said
    /// until each has attached again does not reach it.
    public var isReachable: Bool {
        get { state.withLock { $0.isReachable } }
        set {
            state.withLock { state in
                state.isReachable = newValue
                if !newValue {
                    for listener in state.listeners.values { close(listener.wake) }
                    state.listeners = [:]
                }
            }
        }
    }

    /// `node`'s connection is lost (the others keep theirs): its next call fails, and news
    /// sent until it attaches again never reaches it.
    public func cut(_ node: String) {
        state.withLock { state in
            if let listener = state.listeners.removeValue(forKey: node) { close(listener.wake) }
        }
    }

    /// What a money engine says in its transactions (balances, problems, alerts, payment
    /// errors, erasures), to every node listening.
    public func announce(_ news: ClusterNews) {
        state.withLock { $0.deliver(news) }
    }

    /// The nodes with a row, stale or not (for tests that look at the medium itself).
    public var nodesWithRows: [String] {
        state.withLock { $0.rows.keys.sorted() }
    }
}

/// One node's connection to an `InMemoryCluster`.
public final class InMemoryClusterBroker: ClusterBroker {
    private let cluster: InMemoryCluster
    private let node: String
    /// Which of this node's listeners is ours; nil while detached.
    private var token: UInt64?

    init(cluster: InMemoryCluster, node: String) {
        self.cluster = cluster
        self.node = node
    }

    /// Runs `body` on the medium's state if this broker still reaches it.
    private func reached<T>(_ body: (inout InMemoryCluster.State, _ now: Int64) -> T) throws(ClusterBrokerFailure) -> T {
        let now = cluster.clock()
        let node = node, token = token
        let result: T? = cluster.state.withLock { state in
            guard state.isReachable, let token, state.listeners[node]?.token == token else { return nil }
            return body(&state, now)
        }
        guard let result else { throw ClusterBrokerFailure("in-memory cluster: \(node) is cut off") }
        return result
    }

    public func attach() throws(ClusterBrokerFailure) -> Bool {
        let node = node, token = token
        let made: UInt64? = cluster.state.withLock { state in
            guard state.isReachable else { return nil }
            if let token, state.listeners[node]?.token == token { return token }
            if let old = state.listeners[node] { close(old.wake) }
            state.nextToken += 1
            state.listeners[node] = InMemoryCluster.Listener(token: state.nextToken, wake: eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)))
            return state.nextToken
        }
        guard let made else { throw ClusterBrokerFailure("in-memory cluster: unreachable") }
        defer { self.token = made }
        return made != token
    }

    public func detach() {
        let node = node, token = token
        cluster.state.withLock { state in
            if let token, let listener = state.listeners[node], listener.token == token {
                close(listener.wake)
                state.listeners[node] = nil
            }
        }
        self.token = nil
    }

    public var descriptor: Int32? {
        let node = node, token = token
        return cluster.state.withLock { state in state.listeners[node].flatMap { $0.token == token ? $0.wake : nil } }
    }

    public func news() throws(ClusterBrokerFailure) -> [ClusterNews] {
        let node = node
        return try reached { state, _ in
            var drained: UInt64 = 0
            _ = read(state.listeners[node]!.wake, &drained, 8)
            defer { state.listeners[node]!.inbox = [] }
            return state.listeners[node]!.inbox
        }
    }

    public func refresh(_ row: ClusterNodeRow, announce: Bool) throws(ClusterBrokerFailure) {
        let node = node
        try reached { state, now in
            state.rows[node] = (ClusterNodeRow(node: node, counters: row.counters, changedAt: row.changedAt), now)
            if announce { state.deliver(.presence(node: node)) }
        }
    }

    public func rows() throws(ClusterBrokerFailure) -> [ClusterNodeRow] {
        let node = node
        return try reached { state, now in
            state.rows.filter { $0.key != node }.sorted { $0.key < $1.key }.map { _, kept in
                var row = kept.row
                row.age = now - kept.refreshedAt
                return row
            }
        }
    }

    public func leave() {
        let node = node
        _ = try? reached { state, _ in state.rows[node] = nil }
    }

    public func claim(_ sessions: [String]) throws(ClusterBrokerFailure) {
        let node = node
        try reached { state, now in
            for session in sessions { state.claims[session] = (node, now, state.seq()) }
            state.deliver(.claims(node: node))
        }
    }

    public func claims(after seq: Int64, limit: Int) throws(ClusterBrokerFailure) -> [(session: String, seq: Int64)] {
        let node = node
        return try reached { state, _ in
            Array(state.claims.filter { $0.value.node != node && $0.value.seq > seq }.map { (session: $0.key, seq: $0.value.seq) }
                .sorted { $0.seq < $1.seq }.prefix(limit))
        }
    }

    public func record(_ minutes: [MetricsHistory.Point]) throws(ClusterBrokerFailure) {
        let node = node
        try reached { state, _ in
            for point in minutes { state.minutes[node, default: [:]][point.minute] = (point, state.seq()) }
        }
    }

    public func minutes(after seq: Int64, limit: Int) throws(ClusterBrokerFailure) -> [(node: String, point: MetricsHistory.Point, seq: Int64)] {
        let node = node
        return try reached { state, _ in
            let written = state.minutes.filter { $0.key != node }.flatMap { other, minutes in
                minutes.values.filter { $0.seq > seq }.map { (node: other, point: $0.point, seq: $0.seq) }
            }
            return Array(written.sorted { $0.seq < $1.seq }.prefix(limit))
        }
    }

    public func ask(_ id: UInt64, _ query: ClusterQuery) throws(ClusterBrokerFailure) {
        let node = node
        try reached { state, _ in state.deliver(.asked(ClusterQuery.Asked(asker: node, id: id, query: query))) }
    }

    public func answer(_ answers: [(asked: ClusterQuery.Asked, body: [UInt8])]) throws(ClusterBrokerFailure) {
        let node = node
        try reached { state, now in
            for (asked, body) in answers {
                state.answers.append((asked.asker, ClusterQuery.Answer(queryID: asked.id, node: node, body: body), now))
            }
            for asker in Set(answers.map(\.asked.asker)) { state.deliver(.answers(asker: asker)) }
        }
    }

    public func takeAnswers() throws(ClusterBrokerFailure) -> [ClusterQuery.Answer] {
        let node = node
        return try reached { state, _ in
            defer { state.answers.removeAll { $0.asker == node } }
            return state.answers.filter { $0.asker == node }.map(\.answer)
        }
    }

    public func forget(claimsKept: Int64, answersKept: Int64, minutesKept: Int) throws(ClusterBrokerFailure) {
        try reached { state, now in
            state.claims = state.claims.filter { $0.value.claimedAt >= now - claimsKept }
            state.answers.removeAll { $0.answeredAt < now - answersKept }
            let oldest = now / 60_000 - Int64(minutesKept)
            for node in state.minutes.keys { state.minutes[node] = state.minutes[node]!.filter { $0.key >= oldest } }
        }
    }
}
