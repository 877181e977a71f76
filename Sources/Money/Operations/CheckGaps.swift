import Hub
import Records

/// Every second: confirmed payments past the grace without a credit become gaps (each
/// alerted once); once a minute for the whole cluster, retention; in cluster mode every
/// 10 s, the alert deliveries of nodes that died are taken over.
public struct CheckGaps: MoneyWriteOperation {
    public typealias Reply = Void

    public init() {}

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<Void, MoneyRefusal> {
        let now = writer.clock.nowMilliseconds
        try writer.checkGaps(now: now)
        try writer.takeOverOrphanedAlerts(now: now)
        return .success(())
    }
}

extension MoneyWriter {
    func checkGaps(now: Int64) throws(RecordsFailure) {
        for candidate in try store.paymentsBecomingGaps(confirmedBefore: now - configuration.gapGrace) {
            // Read again under the payment's lock: another node's sweep or credit may have
            // committed since the list was read (each gap is alerted once).
            guard var payment = try paymentForUpdate(candidate.reference), payment.awaitsCredit, payment.gapSince == nil else { continue }
            payment.gapSince = now
            payment.becameGapAt = payment.becameGapAt ?? now
            try store.save(payment)
            problemsChanged = true
            try raise(alertRules.gapOpened(payment), now: now)
        }
        // Once a minute for the whole cluster (whichever node's turn it is), and once as an
        // engine starts: what expired while it was down goes at once.
        if now - lastRetention >= 60_000 {
            let starting = lastRetention == 0
            lastRetention = now
            guard try store.takeRetentionTurn(now: now, every: 60_000) || starting else { return }
            try store.deleteActivity(before: now - configuration.activityRetention)
            let payloadCutoff = now - configuration.webhookPayloadRetention
            try store.applyRetention(paymentErrorsBefore: now - configuration.paymentErrorRetention,
                                     webhookPayloadsFrom: lastPayloadCutoff, before: payloadCutoff,
                                     alertsBefore: now - configuration.alertRetention)
            lastPayloadCutoff = max(lastPayloadCutoff, payloadCutoff)
        }
    }
}
