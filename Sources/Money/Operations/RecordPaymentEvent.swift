import Hub
import Records

/// `POST /api/payments/events`: a stage report from the shop's backend, applied to its
/// payment (created by its first report). Answers the payment as it is now.
public struct RecordPaymentEvent: MoneyWriteOperation {
    public typealias Reply = Payment

    /// `receivedAt` is set when it is written.
    public var event: PaymentEvent

    public init(_ event: PaymentEvent) { self.event = event }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<Payment, MoneyRefusal> {
        var event = event
        event.receivedAt = writer.clock.nowMilliseconds
        return .success(try writer.record(event))
    }
}

extension MoneyWriter {
    /// A stage report applied to its payment (created by its first report); a payment that
    /// becomes credited or mismatched raises its alert.
    @discardableResult
    func record(_ event: PaymentEvent) throws(RecordsFailure) -> Payment {
        let existing = try paymentForUpdate(event.reference)
        try store.insert(event, lsn: try takeIDs(.paymentEvent, count: 1)[0])
        var payment = existing ?? Payment(first: event)
        let wasProblem = payment.problem != nil
        let wasCredited = payment.status == .credited
        let wasMismatched = payment.isMismatched
        payment.record(event)
        try store.save(payment, seq: existing == nil ? try takeIDs(.payment, count: 1)[0] : nil)
        if existing == nil, let after = configuration.reconcileAfter, payment.isInDoubt {
            // Asked about once it has been in doubt this long (`RecordProviderCheck`); one
            // the provider confirmed, or settled, is not in doubt.
            try store.scheduleCheck(payment.reference, checks: 0, at: ProviderCheck.nextCheck(after: 0, since: payment.createdAt, delay: after))
        }
        if wasProblem || payment.problem != nil { problemsChanged = true }
        if !wasCredited, payment.status == .credited, let draft = alertRules.credited(payment) { try raise(draft, now: event.receivedAt) }
        if !wasMismatched, payment.isMismatched { try raise(alertRules.amountMismatch(payment), now: event.receivedAt) }
        if payment.status == .failed, existing?.status != .failed, let user = payment.userId {
            // The user hears that their payment did not go through (a notification, not an alert).
            let shown = payment.shownAmount
            let words = configuration.notifications.templates.render(
                NotificationKind.paymentFailed, amount: shown.amount?.description, balance: nil, reference: payment.reference,
                description: payment.errorMessage ?? "the provider refused it")
            _ = try notify(userId: user, kind: NotificationKind.paymentFailed, words: words, amount: shown.amount, currency: shown.currency,
                           reference: payment.reference, link: nil, now: event.receivedAt)
        }
        return payment
    }
}
