import Hub
import Records

/// `POST /api/webhooks/{provider}`: a provider's delivery, as verified on the connection's
/// loop. Every delivery is logged (an unverified one within `UnverifiedBudget`); a verified,
/// new one is applied to its payment, and money confirmed for a reference nobody
/// initialized is recorded as unmatched.
public struct ReceiveWebhook: MoneyWriteOperation {
    public typealias Reply = WebhookReply

    /// The log entry as verified (id and time are set when it is written).
    public var entry: WebhookLogEntry
    /// When it verified and was read: what it means.
    public var meaning: WebhookOutcome?

    public init(_ entry: WebhookLogEntry, meaning: WebhookOutcome?) {
        self.entry = entry
        self.meaning = meaning
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<WebhookReply, MoneyRefusal> {
        let now = writer.clock.nowMilliseconds
        let store = writer.store
        var entry = entry
        entry.id = try writer.nextID(.webhook)
        entry.receivedAt = now
        func log() throws(RecordsFailure) -> Result<WebhookReply, MoneyRefusal> {
            if !entry.signatureValid,
               !writer.unverifiedBudget.take(provider: entry.provider, bytes: entry.payload.utf8.count + entry.headers.reduce(0) { $0 + $1.utf8.count }, now: now) {
                entry.stored = false
                return .success(WebhookReply(entry: entry, paymentStatus: nil, unmatched: false))
            }
            try store.insert(entry)
            writer.used(.webhook)
            if let draft = writer.alertRules.webhookFailed(entry, at: now) { try writer.raise(draft, now: now) }
            return .success(WebhookReply(entry: entry, paymentStatus: nil, unmatched: false))
        }
        guard let meaning else { return try log() }
        entry.reference = meaning.reference
        entry.deliveryKey = meaning.deliveryKey
        // The payment's lock first: the same delivery sent to two nodes at once is applied
        // by the one that gets it, and is a duplicate for the other.
        let known = try writer.paymentForUpdate(meaning.reference)
        if try store.isProcessedDelivery(meaning.deliveryKey) {
            entry.status = .duplicate
            return try log()
        }
        // Money confirmed for a reference we never initialized: recorded as unmatched
        // (listed with the gaps, alerted, resolvable), so "I paid and you have no record"
        // has a record.
        let unmatched = meaning.stage != nil && known == nil
        var payment = known
        if let stage = meaning.stage {
            var event = PaymentEvent(reference: meaning.reference, provider: known?.provider ?? entry.provider, stage: stage,
                                     amount: meaning.amount, currency: meaning.currency, email: meaning.email,
                                     errorMessage: meaning.errorMessage, receivedAt: now)
            event.fromProvider = true
            event.providerReference = meaning.providerReference
            event.partial = meaning.partial
            event.source = .webhook
            payment = try writer.record(event)
        }
        if unmatched, var p = payment {
            try writer.markUnmatched(&p, now: now)
            payment = p
            entry.errorMessage = "unmatched: no payment was initialized with this reference"
        }
        entry.status = .processed
        try store.insert(entry)
        writer.used(.webhook)
        return .success(WebhookReply(entry: entry, paymentStatus: payment?.status, unmatched: unmatched))
    }
}

/// A delivery as logged, and what it did to its payment.
public struct WebhookReply: Sendable {
    public var entry: WebhookLogEntry
    /// The payment's stage after it (nil: it named none, or was not applied).
    public var paymentStatus: Payment.Stage?
    /// It confirmed money for a reference nobody initialized.
    public var unmatched: Bool
}
