import Hub

/// What one node tells the others of its cluster and hears from them, and nothing of how:
/// the seam between the cluster's rules (`ClusterLinkWorker`: when to write, what to read,
/// whose claim stands, which rows count) and the medium that carries them. Modelled on
/// centrifuge's `Broker` and `PresenceManager`: PostgreSQL in production
/// (`PostgresClusterBroker`), memory in tests (`InMemoryCluster`), the same contract for both
/// (`ClusterBrokerContract` in the tests).
///
/// One broker speaks for one node (the one it was made for) and is used from the link's
/// thread alone. Every call may throw when the medium is away; the link then `detach`es
/// and tries again later. A broker never decides a rule: it keeps what it is told, in the
/// order it was told, with the time it was told by its own clock.
public protocol ClusterBroker: AnyObject {
    /// Reaches the medium if it is not reached, and listens for the others' news. True when
    /// listening began anew (the first time, or after a loss): news sent meanwhile is
    /// lost, as NOTIFY's is, and the link reads again what it may have missed.
    func attach() throws(ClusterBrokerFailure) -> Bool
    /// The medium failed: the next `attach` reaches it afresh.
    func detach()
    /// Readable when news may be waiting (for the link's `poll`); nil while detached.
    var descriptor: Int32? { get }
    /// The news since the last call, oldest first: the others' and this node's own (the
    /// link leaves out its own).
    func news() throws(ClusterBrokerFailure) -> [ClusterNews]

    // MARK: presence

    /// This node's row: its counts, and when they changed (its own clock); the broker
    /// stamps it with its clock, which is what the others' freshness is measured by.
    /// `announce`: the counts changed, so the others hear `.presence` at once.
    func refresh(_ row: ClusterNodeRow, announce: Bool) throws(ClusterBrokerFailure)
    /// The other nodes' rows, stale ones too, each with its age by the broker's clock.
    func rows() throws(ClusterBrokerFailure) -> [ClusterNodeRow]
    /// This node's row leaves (a clean stop); best effort.
    func leave()

    // MARK: sessions

    /// This node took these sessions: each one's claim replaces any other's and takes the
    /// next place in one order for all nodes; the others hear `.claims`.
    func claim(_ sessions: [String]) throws(ClusterBrokerFailure)
    /// The other nodes' claims standing now whose place is after `seq`, in order, at most `limit`.
    func claims(after seq: Int64, limit: Int) throws(ClusterBrokerFailure) -> [(session: String, seq: Int64)]

    // MARK: history

    /// This node's minutes; a minute written again replaces the old one and takes a new
    /// place in the order, so the others read it as new.
    func record(_ minutes: [MetricsHistory.Point]) throws(ClusterBrokerFailure)
    /// The other nodes' minutes written after place `seq`, in order, at most `limit`.
    func minutes(after seq: Int64, limit: Int) throws(ClusterBrokerFailure) -> [(node: String, point: MetricsHistory.Point, seq: Int64)]

    // MARK: questions

    /// Every node hears `.asked` (this one too).
    func ask(_ id: UInt64, _ query: ClusterQuery) throws(ClusterBrokerFailure)
    /// Each answer kept for its asker, who hears `.answers`.
    func answer(_ answers: [(asked: ClusterQuery.Asked, body: [UInt8])]) throws(ClusterBrokerFailure)
    /// The answers kept for this node, taken: each is read once.
    func takeAnswers() throws(ClusterBrokerFailure) -> [ClusterQuery.Answer]

    // MARK: housekeeping

    /// Forgets claims older than `claimsKept` and answers older than `answersKept`
    /// (milliseconds), and minutes more than `minutesKept` minutes back, by the broker's clock.
    func forget(claimsKept: Int64, answersKept: Int64, minutesKept: Int) throws(ClusterBrokerFailure)
}

/// A node's row: what its sellers' counts add to every other node's.
public struct ClusterNodeRow: Sendable, Equatable {
    public var node: String
    /// `PresenceCounters.encoded()`.
    public var counters: [UInt8]
    /// When the counts last changed (milliseconds since the epoch, the node's clock).
    public var changedAt: Int64
    /// Milliseconds since the row was last refreshed, by the broker's clock (0 when written).
    public var age: Int64

    public init(node: String, counters: [UInt8], changedAt: Int64, age: Int64 = 0) {
        self.node = node
        self.counters = counters
        self.changedAt = changedAt
        self.age = age
    }
}

/// The medium is away (or refused a statement): what the link was doing is tried again.
public struct ClusterBrokerFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
