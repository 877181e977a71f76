import Hub
import Money
import Records

/// What a loop asks of the hub and of the money engine, as the router reads it: each kind
/// goes where it is answered, so no one is ever handed a request it cannot answer.
enum HubCommand: Sendable {
    /// To the hub's loop.
    case presence(PresenceCommand)
    /// To the money engine's thread, straight from the connection's loop.
    case money(MoneyCall)
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

    static func beacon(_ beacon: Beacon, _ client: ClientInfo) -> HubCommand { .presence(.beacon(beacon, client)) }
    static func tabOpened(_ session: String, _ client: ClientInfo) -> HubCommand { .presence(.tabOpened(session, client)) }
    static func tabClosed(_ session: String) -> HubCommand { .presence(.tabClosed(session)) }
    static var cleanup: HubCommand { .presence(.cleanup) }
    static func history(minutes: Int) -> HubCommand { .presence(.history(minutes: minutes)) }
    static func ledger(_ r: LedgerRequest) -> HubCommand { .money(.ledger(r)) }
    static func transactions(_ q: TransactionFilter) -> HubCommand { .money(.transactions(q)) }
    static func transaction(_ q: TransactionFilter) -> HubCommand { .money(.transaction(q)) }
    static func balance(userId: String) -> HubCommand { .money(.balance(userId: userId)) }
    static func monitor(minutes: Int) -> HubCommand { .money(.monitor(minutes: minutes)) }
    static func paymentEvent(_ r: PaymentEventRequest) -> HubCommand { .money(.paymentEvent(r)) }
    static func payments(_ q: PaymentFilter) -> HubCommand { .money(.payments(q)) }
    static func paymentStats(windowMilliseconds: Int64, currency: String) -> HubCommand { .money(.paymentStats(windowMilliseconds: windowMilliseconds, currency: currency)) }
    static var paymentGaps: HubCommand { .money(.paymentGaps) }
    static func resolvePayment(reference: String, note: String?, by: String) -> HubCommand {
        .money(.resolvePayment(reference: reference, note: note, by: by))
    }
    static func creditPayment(_ c: CreditPayment) -> HubCommand { .money(.creditPayment(c)) }
    static func webhook(_ d: WebhookDelivery) -> HubCommand { .money(.webhook(d)) }
    static func webhookLog(provider: String?, reference: String?, limit: Int, before: Int64?) -> HubCommand {
        .money(.webhookLog(provider: provider, reference: reference, limit: limit, before: before))
    }
    static func alerts(limit: Int) -> HubCommand { .money(.alerts(limit: limit)) }
    static func activity(_ r: ActivityRequest) -> HubCommand { .money(.activity(r)) }
    static func journey(userId: String?, email: String?) -> HubCommand { .money(.journey(userId: userId, email: email)) }
}

/// What the hub's loop answers: presence.
enum PresenceCommand: Sendable {
    case beacon(Beacon, ClientInfo)
    /// A `/ws/track` socket bound itself to a session.
    case tabOpened(String, ClientInfo)
    case tabClosed(String)
    case cleanup
    /// `GET /api/metrics/history`: the chart's minutes, read where they are kept.
    case history(minutes: Int)
}

/// Money and payments, as checked on the connection's loop (committed to the records
/// database before they are answered).
enum MoneyCall: Sendable {
    case ledger(LedgerRequest)
    case transactions(TransactionFilter)
    /// One transaction (the filter names its id): 404 when there is none.
    case transaction(TransactionFilter)
    case balance(userId: String)
    case monitor(minutes: Int)
    case paymentEvent(PaymentEventRequest)
    case payments(PaymentFilter)
    /// `currency`: the shop's, shown first.
    case paymentStats(windowMilliseconds: Int64, currency: String)
    case paymentGaps
    /// `by`: who resolved it (the token's `sub`, or `api-key`).
    case resolvePayment(reference: String, note: String?, by: String)
    case creditPayment(CreditPayment)
    case webhook(WebhookDelivery)
    case webhookLog(provider: String?, reference: String?, limit: Int, before: Int64?)
    case alerts(limit: Int)
    case activity(ActivityRequest)
    case journey(userId: String?, email: String?)
}

/// What crosses to the hub's loop.
enum HubTask: Sendable {
    case presence(PresenceCommand)
    case funnels(windowMilliseconds: Int64)
    case erasePreview(PersonKey)
    case erase(ErasureCall)
    case sessions(PersonKey)
}

/// `POST /api/privacy/erase`, as checked on the connection's loop.
struct ErasureCall: Sendable {
    /// Exactly what the confirmed preview named, the key asked for first.
    var identities: [PersonKey]
    /// The confirmation's one-time id, hashed.
    var confirmHash: String
    /// A keyed hash of the key (HMAC with the hub's secret): the same person always gets
    /// the same one, and nobody without the secret can tell whose it is.
    var pseudonym: String
    var keyHashes: [String]
    var by: String
}
