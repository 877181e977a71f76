import Hub
import Records

/// A provider's answer about one of our payments (`ProviderCheck`), recorded and applied as
/// a webhook would be: paid and never confirmed → confirmed (a gap at once if older than
/// the grace, since the money arrived while the shop did not credit it), or `unmatched`
/// if we never saw the reference; failed → failed; another amount or currency →
/// `amount_mismatch` (the payment's own rule). `next`: the reconciliation pass's schedule
/// for the payment (its questions counted, when it is asked again; nil: no more).
public struct RecordProviderCheck: MoneyWriteOperation {
    public typealias Reply = ProviderCheckReply

    public var check: ProviderCheck
    public var next: (checks: Int, at: Int64?)?
    /// A listing's entry (the provider's list of what it has): kept only if it moved the payment.
    public var onlyIfMoved: Bool

    public init(_ check: ProviderCheck, next: (checks: Int, at: Int64?)? = nil, onlyIfMoved: Bool = false) {
        self.check = check
        self.next = next
        self.onlyIfMoved = onlyIfMoved
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<ProviderCheckReply, MoneyRefusal> {
        var check = check
        check.askedAt = min(check.askedAt, writer.clock.nowMilliseconds)
        let payment = try writer.paymentForUpdate(check.reference)
        // The schedule first: an answer that settles the payment clears it after. One that
        // something else confirmed or settled while its question waited is not asked again.
        if let next, let payment {
            try writer.store.scheduleCheck(check.reference, checks: next.checks, at: payment.isInDoubt ? next.at : nil)
        }
        let moved = try writer.apply(check, to: payment)
        check.moved = moved?.word
        if !onlyIfMoved || moved != nil {
            check.id = try writer.takeIDs(.providerCheck, count: 1)[0]
            try writer.store.insert(check)
        }
        return .success(ProviderCheckReply(check: check, payment: moved?.payment ?? payment))
    }
}

/// The answer recorded, and the payment as it is after it.
public struct ProviderCheckReply: Sendable {
    public var check: ProviderCheck
    public var payment: Payment?
}

extension MoneyWriter {
    /// What the answer does to the payment, if anything.
    func apply(_ check: ProviderCheck, to payment: Payment?) throws(RecordsFailure) -> (word: String, payment: Payment)? {
        let now = clock.nowMilliseconds
        let stage: Payment.Stage
        switch check.outcome {
        case .paid:
            if let payment, payment.confirmedAt != nil || payment.status == .credited || payment.state == .resolved { return nil }
            stage = .webhookReceived
        case .failed:
            guard let payment, payment.confirmedAt == nil, payment.status != .failed, payment.state != .resolved else { return nil }
            stage = .failed
        case .pending, .notFound, .error:
            return nil
        }
        var event = PaymentEvent(reference: check.reference, provider: payment?.provider ?? check.provider, stage: stage,
                                 amount: check.amount, currency: check.currency, email: check.email,
                                 errorMessage: stage == .failed ? check.detail : nil, receivedAt: now)
        event.fromProvider = true
        event.providerReference = check.providerReference
        event.partial = check.partial
        event.source = .providerAPI
        var moved = try record(event)
        guard stage == .webhookReceived else { return ("failed", moved) }
        if payment == nil {
            try markUnmatched(&moved, now: now)
            return ("unmatched", moved)
        }
        if moved.awaitsCredit, moved.gapSince == nil, now - moved.createdAt >= configuration.gapGrace {
            moved.gapSince = now
            moved.becameGapAt = moved.becameGapAt ?? now
            try store.save(moved)
            problemsChanged = true
            try raise(alertRules.gapOpened(moved), now: now)
        }
        return ("paid", moved)
    }

    /// Money confirmed for a reference nobody initialized: listed with the gaps, alerted,
    /// resolvable, so "I paid and you have no record" has a record.
    func markUnmatched(_ payment: inout Payment, now: Int64) throws(RecordsFailure) {
        payment.unmatchedSince = now
        try store.save(payment)
        problemsChanged = true
        try raise(alertRules.unmatched(payment), now: now)
    }
}
