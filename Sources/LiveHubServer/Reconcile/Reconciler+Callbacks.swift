import Hub
import Money
import Reactor

/// M-Pesa's callbacks carry no signature (Daraja signs nothing; the path token is all that
/// stands between anyone who learns the URL and a "ResultCode 0" for any
/// `CheckoutRequestID`). With Daraja's credentials set, a callback counts only once the STK
/// query (Daraja's "STK Push Query" API) says the same: agreed, it is applied as today; the
/// query contradicts it, it is refused in the webhook log (`forged_or_stale`) and alerted;
/// no answer (Daraja down, still processing), it is logged unapplied and the payment stays
/// on the reconciliation schedule, asked again later.
extension Reconciler {
    func confirmCallback(_ delivery: ReceiveWebhook) {
        guard let meaning = delivery.meaning, meaning.stage != nil else {
            money.submit(delivery)
            return
        }
        let now = clock.nowMilliseconds
        let asked = Payment(reference: meaning.reference, provider: "mpesa", status: .initialized, createdAt: now, updatedAt: now)
        clients.ask(asked, asker: .callback, now: now) { [unowned self] check in
            let saysPaid = meaning.stage == .webhookReceived
            switch check.outcome {
            case .paid where saysPaid, .failed where !saysPaid:
                money.submit(delivery)
                money.submit(RecordProviderCheck(check))
            case .pending, .error:
                var entry = delivery.entry
                entry.status = .failed
                entry.reference = meaning.reference
                entry.errorMessage = "not applied: Daraja could not confirm it (\(check.outcome.rawValue)\(check.detail.map { ": \($0)" } ?? "")); the payment is asked again by reconciliation"
                money.submit(ReceiveWebhook(entry, meaning: nil))
                money.submit(RecordProviderCheck(check))
            default:
                var entry = delivery.entry
                entry.reference = meaning.reference
                entry.deliveryKey = meaning.deliveryKey
                money.submit(RefuseCallback(entry: entry, check: check))
            }
        }
    }
}
