import Hub

extension EngineState {
    /// Support crediting a payment by hand: only money the provider confirmed, to the user
    /// the payment names (or the one given), at the payment's own amount unless one is
    /// given; a payment whose provider counts another amount needs an amount chosen by the
    /// person. The credit and a line in the payment's trail commit together.
    func creditByHand(_ credit: PaymentCredit, now: Int64) throws(Failure) -> MoneyReply {
        guard let payment = try store.payment(credit.reference) else { return .refused(.noSuchPayment(reference: credit.reference)) }
        func refuse(_ reason: String) -> MoneyReply { .refused(.paymentNotCreditable(reason: reason)) }
        // A retry of this very credit answers the original; another amount or user is not a retry.
        if let original = try store.transaction(reference: credit.ledgerReference) {
            guard credit.amount.map({ $0 == original.amount }) ?? true, credit.userId.map({ $0 == original.userId }) ?? true else {
                return refuse("payment \(payment.reference) was already credited by hand: \(original.amount) to user \(original.userId)")
            }
            return .transaction(original, created: false)
        }
        guard payment.status != .credited else { return refuse("payment \(payment.reference) is already credited") }
        guard payment.status != .failed else { return refuse("payment \(payment.reference) failed: no money arrived") }
        guard payment.confirmedAt != nil else { return refuse("the provider has not confirmed payment \(payment.reference)") }
        guard let userId = credit.userId ?? payment.userId else { return refuse("payment \(payment.reference) names no user: give user_id") }
        if payment.isMismatched && credit.amount == nil {
            return refuse("the provider's amount for \(payment.reference) differs from the shop's: give the amount to credit")
        }
        // The payment's amount as credits: its decimal text ("5000.00" NGN, "1000" JPY).
        let shown = payment.shownAmount
        guard let amount = credit.amount ?? shown.amount.flatMap({ a in
            Money(decimal: shown.currency.flatMap(Currency.init(code:)).map { $0.text(a) } ?? a.description)
        }), amount.minorUnits > 0 else { return refuse("payment \(payment.reference) has no amount: give the amount to credit") }
        let words = "Payment \(payment.reference) credited by \(credit.by)" + (credit.note.map { ": \($0)" } ?? "")
        let entry = LedgerEntry(userId: userId, amount: amount, kind: .credit, description: words, service: nil,
                                reference: credit.ledgerReference, paymentReference: payment.reference)
        let reply = try ledger(entry, now: now)
        guard case .transaction(_, created: true) = reply else { return reply }
        try store.insertResolution(reference: payment.reference, note: "credited \(amount) to user \(userId)" + (credit.note.map { ": \($0)" } ?? ""),
                                   by: credit.by, at: now, lsn: nextResolutionLSN, kind: .credited)
        nextResolutionLSN += 1
        return reply
    }
}
