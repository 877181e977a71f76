/// A browser session as the hub tracks it.
public struct Session: Sendable {
    public enum CheckoutStatus: String, Sendable {
        case started, payment, failed, completed
    }

    public var id: String
    public var userId: String?
    public var email: String?
    public var phone: String?
    public var client: ClientInfo
    public var startedAt: Int64
    public var lastActivity: Int64
    public var endedAt: Int64?
    /// The page the session counts on while active.
    public var page: PageVisit?
    /// Earlier visits, oldest first, at most `Session.historyLimit`.
    public var history: [PageVisit] = []
    /// The cart as the beacon sent it (opaque JSON text: the hub does not read it).
    public var checkoutItems: String?
    /// Amounts as the beacon wrote them (decimal text), shown, never computed with.
    public var totalAmount: String?
    public var paymentMethod: String?
    public var checkoutStatus: CheckoutStatus?
    /// Open `/ws/track` sockets of this session (several tabs count once).
    public var openTabs: Int32 = 0
    /// Cluster mode: the batch of claims (`PresenceHub.claimBatch`) in which this node
    /// announced that it holds the session; 0 for not yet on this run (it is not in the
    /// snapshot: a node restarted on one claims its sessions again).
    public var claimBatch: UInt32 = 0
    /// What the shop's day remembers of it (device, source, what it was counted for today).
    public var day = SessionDay()

    public var isActive: Bool { endedAt == nil }

    public static let historyLimit = 20

    /// Every visit, the current one last.
    public var visits: [PageVisit] { history + (page.map { [$0] } ?? []) }
}
