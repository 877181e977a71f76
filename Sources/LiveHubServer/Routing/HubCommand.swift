import HTTP1
import Hub
import Money
import Records

/// What a loop asks of the hub and of the money engine, as the router reads it: each kind
/// goes where it is answered, so no one is ever handed a request it cannot answer.
enum HubCommand: Sendable {
    /// To the hub's loop.
    case presence(PresenceCommand)
    /// To the money engine's thread, straight from the connection's loop: a typed
    /// operation and how its reply becomes the answer.
    case money(MoneyRequest)
    /// Both: checkout steps from the hub's sessions, the rest from the records database.
    case funnels(windowMilliseconds: Int64)
    /// Both: the records database names the identities, presence counts their sessions.
    case erasePreview(PersonKey)
    /// Both: presence first (memory and snapshot), then the records database.
    case erase(ErasureCall)
    /// A read admitted by the credential's read limits, its permit released with the answer.
    indirect case limited(HubCommand, ReadPermit)
    /// The command, and once it has succeeded, an audit log entry (written before the answer leaves).
    indirect case audited(HubCommand, AuditEntry)
    /// To the console's accounts thread (sign-in, links, revocations, the audit log).
    case accounts(AccountCall)
    /// `GET /api/sessions`: one person's sessions, for support (at most `sessionsAnswered`),
    /// from this node and in cluster mode from the others.
    case sessions(PersonKey)
    /// `GET /api/support/timeline`: the records' half, then each key's sessions as
    /// `.sessions` finds them, joined on the caller's loop (`SupportTimelineJoin`).
    case supportTimeline(ReadSupportTimeline)
    /// `POST /api/payments/check`: the reconciler asks the payment's provider now
    /// (`Reconciler.checkNow`), on its own loop.
    case providerCheck(reference: String)

    static func beacon(_ beacon: Beacon, _ client: ClientInfo) -> HubCommand { .presence(.beacon(beacon, client)) }
    static func tabOpened(_ session: String, _ client: ClientInfo) -> HubCommand { .presence(.tabOpened(session, client)) }
    static func tabClosed(_ session: String) -> HubCommand { .presence(.tabClosed(session)) }
    static var cleanup: HubCommand { .presence(.cleanup) }
    static func history(minutes: Int) -> HubCommand { .presence(.history(minutes: minutes)) }
    /// A money operation, and how its reply becomes the answer.
    static func money<Operation: MoneyOperation>(_ operation: Operation, _ answer: @escaping @Sendable (Operation.Reply) -> HTTPResponse) -> HubCommand {
        .money(MoneyRequest(operation, answer: answer))
    }
}
