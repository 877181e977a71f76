import Hub
import Records

/// `POST /api/payments/credit`: support crediting a confirmed payment by hand: only money
/// the provider confirmed, to the user the payment names (or the one given), at the
/// payment's own amount unless one is given; a payment whose provider counts another amount
/// needs an amount chosen by the person. The credit (a ledger write naming the payment) and
/// a line in the payment's trail commit together.
public struct CreditPayment: MoneyWriteOperation {
    public typealias Reply = LedgerReply

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

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<LedgerReply, MoneyRefusal> {
        let store = writer.store
        guard let payment = try writer.paymentForUpdate(reference) else { return .failure(.noSuchPayment(reference: reference)) }
        func refuse(_ reason: String) -> Result<LedgerReply, MoneyRefusal> { .failure(.paymentNotCreditable(reason: reason)) }
        // A retry of this very credit answers the original; another amount or user is not a retry.
        if let original = try store.transaction(reference: ledgerReference) {
            guard amount.map({ $0 == original.amount }) ?? true, userId.map({ $0 == original.userId }) ?? true else {
                return refuse("payment \(payment.reference) was already credited by hand: \(original.amount) to user \(original.userId)")
            }
            return .success(LedgerReply(transaction: original, created: false))
        }
        guard payment.status != .credited else { return refuse("payment \(payment.reference) is already credited") }
        guard payment.status != .failed else { return refuse("payment \(payment.reference) failed: no money arrived") }
        guard payment.confirmedAt != nil else { return refuse("the provider has not confirmed payment \(payment.reference)") }
        guard let userId = userId ?? payment.userId else { return refuse("payment \(payment.reference) names no user: give user_id") }
        if payment.isMismatched && amount == nil {
            return refuse("the provider's amount for \(payment.reference) differs from the shop's: give the amount to credit")
        }
        // The payment's amount as credits: its decimal text ("5000.00" NGN, "1000" JPY).
        let shown = payment.shownAmount
        guard let amount = amount ?? shown.amount.flatMap({ a in
            Money(decimal: shown.currency.flatMap(Currency.init(code:)).map { $0.text(a) } ?? a.description)
        }), amount.minorUnits > 0 else { return refuse("payment \(payment.reference) has no amount: give the amount to credit") }
        let words = "Payment \(payment.reference) credited by \(by)" + (note.map { ": \($0)" } ?? "")
        let entry = LedgerEntry(userId: userId, amount: amount, kind: .credit, description: words, service: nil,
                                reference: ledgerReference, paymentReference: payment.reference)
        let now = writer.clock.nowMilliseconds
        let reply = try writer.ledger(entry, now: now)
        guard case .success(let written) = reply, written.created else { return reply }
        try store.insertResolution(reference: payment.reference, note: "credited \(amount) to user \(userId)" + (note.map { ": \($0)" } ?? ""),
                                   by: by, at: now, lsn: try writer.takeIDs(.resolution, count: 1)[0], kind: .credited)
        return reply
    }
}
