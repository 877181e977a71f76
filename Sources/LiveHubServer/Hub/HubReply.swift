import Hub
import Money
import Reactor
import Records

/// What presence answers a command with. A value: the caller's loop makes it an HTTP
/// answer (`HubAnswers`), or nothing when nobody waits (a `/ws/track` beacon).
enum PresenceReply: Sendable {
    /// The beacon was applied to its session.
    case applied(sessionID: String)
    /// The beacon was refused: the table holds as many live sessions as `--max-sessions`.
    case tableFull
    /// A tab's socket opened or closed.
    case noted
    /// `POST /api/metrics/cleanup-sessions`: how many sessions the sweep ended.
    case swept(expired: Int)
    /// `GET /api/metrics/history`: the chart's minutes, oldest first (in cluster mode, the
    /// whole shop's).
    case history([MetricsHistory.Point])
}

/// What the hub's loop answers a `HubTask` with, each kind a value of its own; the caller's
/// loop makes it the HTTP answer (`HubAnswers.response`), whatever the kind.
enum HubReply: Sendable {
    case presence(PresenceReply)
    case sessions(SessionsFound)
    case funnels(FunnelsFound)
    case erasurePreview(MoneyResult<ErasurePreview>)
    case erasure(ErasureOutcome)
}

/// `GET /api/sessions`: the person's sessions, newest first, each with the node that holds
/// it in cluster mode, and the nodes that did not answer in time.
struct SessionsFound: Sendable {
    var sessions: [(node: String?, session: Session)]
    var unanswered: [String]
}

/// `GET /api/funnels`: the checkout steps counted by presence (every node's), and the
/// registration and payment steps read from the records database.
struct FunnelsFound: Sendable {
    /// The window's start, at the start of its minute.
    var since: Int64
    var checkout: [Int]
    var records: MoneyResult<FunnelCounts>
}

/// Funnel steps (README "Activity and funnels"): an actor counts at a step once it did
/// that step's action successfully within the window and reached every step before it.
enum Funnels {
    static let registration = ["registration_started", "registration_completed", "email_verified", "first_login"]
    /// Checkout steps, from the storefront's beacons alone.
    static let checkout = ["session_started", "browsed_products", "checkout_started", "payment_started", "payment_succeeded"]
    /// Payment steps, from the payment flow.
    static let payment = ["initialized", "confirmed_by_provider", "credited"]
}

/// Where a request's reply goes: the loop it came from, under its token. Any thread may
/// send it (the hub's loop, the money engine's thread), and the reply crosses as a value.
struct ReplyAddress: Sendable {
    let origin: EventLoopHandle
    let token: UInt64
    let contexts: LoopContexts

    func send(_ reply: HubReply) {
        let token = self.token, contexts = self.contexts
        origin.execute { loop in contexts[loop]?.hubClient.deliver([(token, reply)]) }
    }
}
