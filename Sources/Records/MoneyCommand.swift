import Hub

/// What the money engine is asked to do. Writes change the database and are answered only
/// after their COMMIT; reads are answered from what is committed.
public enum MoneyCommand: Sendable {
    case write(MoneyWrite)
    case read(MoneyRead)

    public static func ledger(_ entry: LedgerEntry) -> MoneyCommand { .write(.ledger(entry)) }
    public static func paymentEvent(_ event: PaymentEvent) -> MoneyCommand { .write(.paymentEvent(event)) }
    public static func resolvePayment(reference: String, note: String?, by: String) -> MoneyCommand {
        .write(.resolvePayment(reference: reference, note: note, by: by))
    }
    public static func creditPayment(_ credit: PaymentCredit) -> MoneyCommand { .write(.creditPayment(credit)) }
    public static func webhook(_ entry: WebhookLogEntry, meaning: WebhookOutcome?) -> MoneyCommand { .write(.webhook(entry, meaning: meaning)) }
    public static func activity(_ event: ActivityEvent) -> MoneyCommand { .write(.activity(event)) }
    public static func raiseAlert(_ draft: AlertRules.Draft) -> MoneyCommand { .write(.raiseAlert(draft)) }
    public static func alertDelivery(id: Int64, _ delivery: AlertDelivery) -> MoneyCommand { .write(.alertDelivery(id: id, delivery)) }
    public static var checkGaps: MoneyCommand { .write(.checkGaps) }
    public static func erase(_ request: ErasureRequest) -> MoneyCommand { .write(.erase(request)) }

    public static func transactions(_ filter: TransactionFilter) -> MoneyCommand { .read(.transactions(filter)) }
    public static func balance(userId: String) -> MoneyCommand { .read(.balance(userId: userId)) }
    public static func monitor(window: Int64) -> MoneyCommand { .read(.monitor(window: window)) }
    public static func payments(_ filter: PaymentFilter) -> MoneyCommand { .read(.payments(filter)) }
    public static func paymentStats(window: Int64) -> MoneyCommand { .read(.paymentStats(window: window)) }
    public static var openProblems: MoneyCommand { .read(.openProblems) }
    public static func journey(userId: String?, email: String?) -> MoneyCommand { .read(.journey(userId: userId, email: email)) }
    public static func funnels(since: Int64, registration: [String]) -> MoneyCommand { .read(.funnels(since: since, registration: registration)) }
    public static func alerts(limit: Int) -> MoneyCommand { .read(.alerts(limit: limit)) }
    public static func webhookLog(provider: String?, reference: String?, limit: Int, before: Int64? = nil) -> MoneyCommand {
        .read(.webhookLog(provider: provider, reference: reference, limit: limit, before: before))
    }
    public static func balanceReplay(userId: String, since: Int64?) -> MoneyCommand { .read(.balanceReplay(userId: userId, since: since)) }
}

/// What changes the records database.
public enum MoneyWrite: Sendable {
    case ledger(LedgerEntry)
    /// A stage report from the shop's backend (`receivedAt` is set by the engine).
    case paymentEvent(PaymentEvent)
    case resolvePayment(reference: String, note: String?, by: String)
    /// Support crediting a confirmed payment by hand: a ledger credit with the payment's
    /// reference, and the trail saying who and why.
    case creditPayment(PaymentCredit)
    /// A provider's delivery: the log entry as verified on the connection's loop (id and
    /// time set here), and, when it verified and was read, what it means.
    case webhook(WebhookLogEntry, meaning: WebhookOutcome?)
    case activity(ActivityEvent)
    /// An alert raised on the presence side (payment errors spiking).
    case raiseAlert(AlertRules.Draft)
    /// What became of an alert's delivery (the outbox row is updated).
    case alertDelivery(id: Int64, AlertDelivery)
    /// Confirmed payments past the grace without a credit become gaps.
    case checkGaps
    /// A person's data erased on request (the presence side has done its part).
    case erase(ErasureRequest)
}

/// What reads it.
public enum MoneyRead: Sendable {
    case transactions(TransactionFilter)
    case balance(userId: String)
    /// The ledger of the last `window` milliseconds.
    case monitor(window: Int64)
    case payments(PaymentFilter)
    case paymentStats(window: Int64)
    case openProblems
    case journey(userId: String?, email: String?)
    case funnels(since: Int64, registration: [String])
    case alerts(limit: Int)
    case webhookLog(provider: String?, reference: String?, limit: Int, before: Int64?)
    /// A balance socket joining: the balance and seq now, and the updates after `since`.
    case balanceReplay(userId: String, since: Int64?)
    /// `POST /api/privacy/erase {key}`: who the key is and what erasing them would touch.
    case erasurePlan(PersonKey)
    /// Cluster mode: another node changed the open problems, raised alerts or recorded
    /// payment errors; they are read and given to this node's rooms as effects
    /// (`openProblems`, `alertRaised` to announce, `paymentErrorsElsewhere`).
    case announcedElsewhere(problems: Bool, alertIDs: [Int64], paymentErrors: Bool)
}

/// `POST /api/wallet/transactions`, checked.
public struct LedgerEntry: Sendable, Equatable {
    public var userId: String
    public var amount: Money
    public var kind: LedgerTransaction.Kind
    public var description: String
    public var service: String?
    public var reference: String
    /// A payment this entry credits (marked `credited` by the same write).
    public var paymentReference: String?

    public init(userId: String, amount: Money, kind: LedgerTransaction.Kind, description: String, service: String?,
                reference: String, paymentReference: String?) {
        self.userId = userId
        self.amount = amount
        self.kind = kind
        self.description = description
        self.service = service
        self.reference = reference
        self.paymentReference = paymentReference
    }
}

/// The engine's answer to one command, as values; the caller's loop encodes it.
public enum MoneyReply: Sendable {
    /// A new transaction (`created`), or the original of a retry.
    case transaction(LedgerTransaction, created: Bool)
    case payment(Payment)
    case webhook(WebhookLogEntry, paymentStatus: Payment.Stage?, unmatched: Bool)
    case activityRecorded(ActivityEvent)
    case erased(RecordsErasure)
    case erasurePlan(ErasurePlan)
    case done

    case transactions([LedgerTransaction])
    case balance(userId: String, Money)
    case monitor(LedgerSummary)
    case payments([Payment])
    case paymentStats(PaymentStats)
    case activity([ActivityEvent])
    case funnels(registration: [Int], payment: [Int])
    case alerts([AlertRow])
    case webhookLog([WebhookLogEntry])
    case balanceReplay(balance: Money, lastSeq: Int64, updates: [LedgerTransaction])

    case refused(MoneyRefusal)
    /// The database could not take or give it: nothing was changed.
    case unavailable(String)
    /// A read ran past its deadline and was stopped.
    case cancelled
    /// Too many reads wait already.
    case busy
}

/// Why a write was refused (nothing was recorded).
public enum MoneyRefusal: Sendable, Equatable {
    case unknownPayment(reference: String)
    case balanceOutOfRange
    /// The reference was used before for another user, amount or type.
    case referenceConflict(original: LedgerTransaction)
    case noSuchPayment(reference: String)
    /// An erasure's confirmation was used before.
    case erasureAlreadyConfirmed
    /// A credit by hand that cannot be: the reason, in words for the operator.
    case paymentNotCreditable(reason: String)
}

/// `POST /api/payments/credit`: who credits which payment, to whom, how much.
public struct PaymentCredit: Sendable, Equatable {
    public var reference: String
    /// The user to credit; nil: the one the payment names.
    public var userId: String?
    /// Credits to add; nil: the payment's own amount, read as credits.
    public var amount: Money?
    public var note: String?
    public var by: String

    public init(reference: String, userId: String?, amount: Money?, note: String?, by: String) {
        self.reference = reference
        self.userId = userId
        self.amount = amount
        self.note = note
        self.by = by
    }

    /// The ledger reference of the credit: one per payment, so a retry answers the
    /// original and a second credit of the same payment is refused.
    public var ledgerReference: String { "payment-credit:" + reference }
}

/// What a committed write means for the rooms and the alert webhook, in commit order.
public enum MoneyEffect: Sendable {
    case balanceChanged(LedgerTransaction)
    /// `announce`: tell the sellers (false for a delivery resumed after a restart).
    case alertRaised(Alert, deliver: Bool, announce: Bool)
    /// The open gaps and unmatched payments, after a change to them (here or, in cluster
    /// mode, on another node): the rooms tell the sellers which opened and which closed.
    case openProblems([Payment])
    /// Cluster mode: payment errors other nodes recorded, oldest first.
    case paymentErrorsElsewhere([PaymentErrorRecord])
    /// A transaction of `writes` commands committed in `seconds`.
    case committed(writes: Int, seconds: Double)
}

public struct AlertRow: Sendable {
    public var alert: Alert
    public var delivery: AlertDelivery?
}

