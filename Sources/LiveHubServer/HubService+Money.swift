import HTTP1
import Hub
import Reactor

/// The ledger and payment commands. A write is journalled before it changes the state or
/// is answered; a journal that cannot be written refuses the write (503) and changes nothing.
extension HubService {
    func applyMoney(_ command: HubCommand) throws(APIError) -> HTTPResponse {
        let now = clock.nowMilliseconds
        switch command {
        case .ledger(let request):
            if let payment = request.paymentReference, money.payment(payment) == nil {
                throw APIError(.notFound, code: "unknown_payment", message: "no payment with reference \(payment); nothing was recorded")
            }
            switch money.prepareTransaction(userId: request.userId, amount: request.amount, kind: request.kind,
                                            description: request.description, service: request.service,
                                            reference: request.reference, paymentReference: request.paymentReference, now: now) {
            case .outOfRange:
                throw APIError(.unprocessableContent, code: "balance_out_of_range",
                               message: "the balance would go beyond ±\(Money.limit); nothing was recorded")
            case .existing(let original):
                // A retry: the original, and nothing charged twice (§ Ledger).
                return Self.json(.ok, MoneyMessages.transaction(original))
            case .conflict(let original):
                var error = APIError(.conflict, code: "reference_conflict",
                                     message: "reference \(request.reference) was used for another user, amount or type; nothing was recorded")
                error.detail = ("transaction", MoneyMessages.transaction(original))
                throw error
            case .new(let record, let transaction):
                try journalWrite(record)
                let wasGap = transaction.paymentReference.flatMap { money.payment($0)?.problem } != nil
                money.apply(record)
                if wasGap { publishGaps() }
                pushBalanceUpdate(transaction)
                for draft in alertRules.transactionApplied(transaction) { raiseAlert(draft) }
                return Self.json(.created, MoneyMessages.transaction(transaction))
            }
        case .transactions(let query):
            var matching: [LedgerTransaction] = []
            var skipped = 0
            // Newest first.
            for t in money.transactions.reversed() {
                if let user = query.userId, t.userId != user { continue }
                if let kind = query.kind, t.kind != kind { continue }
                if let start = query.start, t.createdAt < start { continue }
                if let end = query.end, t.createdAt > end { continue }
                if skipped < query.skip { skipped += 1; continue }
                matching.append(t)
                if matching.count == query.limit { break }
            }
            return Self.json(.ok, MoneyMessages.transactions(matching))
        case .balance(let userId):
            var json = JSONWriter()
            json.beginObject()
            json.field("user_id", userId)
            json.key("balance"); json.raw(money.balance(of: userId).description)
            json.endObject()
            return Self.json(.ok, json.bytes)
        case .monitor(let minutes):
            return Self.json(.ok, monitor(since: now - Int64(minutes) * 60_000, minutes: minutes))
        case .paymentEvent(let request):
            var event = request.event
            event.receivedAt = now
            let record = MoneyRecord.paymentEvent(event)
            try journalWrite(record)
            let wasGap = money.payment(event.reference)?.problem != nil
            money.apply(record)
            if wasGap { publishGaps() }
            return Self.json(.ok, MoneyMessages.payment(money.payment(event.reference)!))
        case .payments(let query):
            return Self.json(.ok, MoneyMessages.payments(money.allPayments.reversed().filter(query.matches)))
        case .paymentStats(let window):
            return Self.json(.ok, paymentStats(since: now - window))
        case .paymentGaps:
            return Self.json(.ok, MoneyMessages.payments(money.openGaps))
        case .resolvePayment(let reference, let note, let by):
            guard money.payment(reference) != nil else {
                throw APIError(.notFound, code: "not_found", message: "no payment with reference \(reference)")
            }
            let record = MoneyRecord.paymentResolved(reference: reference, note: note, by: by, at: now)
            try journalWrite(record)
            money.apply(record)
            publishGaps()
            return Self.json(.ok, MoneyMessages.payment(money.payment(reference)!))
        case .activity(let request):
            return try recordActivity(request, now: now)
        case .journey(let userId, let email):
            return Self.json(.ok, MoneyMessages.activity(money.journey(userId: userId, email: email)))
        case .funnels(let window):
            return Self.json(.ok, funnels(since: now - window))
        case .alerts(let limit):
            var json = JSONWriter()
            json.beginArray()
            for alert in money.alerts.entries.reversed().prefix(limit) {
                json.raw(String(decoding: MoneyMessages.alert(alert, delivery: alerts.deliveries[alert.id]), as: UTF8.self))
            }
            json.endArray()
            return Self.json(.ok, json.bytes)
        case .webhook(let delivery):
            return try receiveWebhook(delivery, now: now)
        case .webhookLog(let provider, let reference, let limit):
            let entries = money.webhookLog.entries.reversed().lazy
                .filter { (provider == nil || $0.provider == provider) && (reference == nil || $0.reference == reference) }.prefix(limit)
            return Self.json(.ok, MoneyMessages.webhookLog(Array(entries)))
        default:
            throw APIError(.internalServerError, code: "internal", message: "unhandled command")
        }
    }

    /// Logs every delivery; applies a verified, new one to its payment. The log entry and
    /// the payment event are journalled before the provider gets its answer.
    private func receiveWebhook(_ delivery: WebhookDelivery, now: Int64) throws(APIError) -> HTTPResponse {
        var entry = WebhookLogEntry(id: money.nextWebhookID, provider: delivery.provider, receivedAt: now,
                                    signatureValid: delivery.signatureValid, status: .rejected, errorMessage: delivery.rejection,
                                    reference: nil, payload: delivery.payload, headers: delivery.headers, deliveryKey: nil)
        func log() throws(APIError) {
            let record = MoneyRecord.webhookDelivery(entry)
            try journalWrite(record)
            money.apply(record)
        }
        guard let outcome = delivery.outcome else {
            entry.reference = delivery.claimedReference  // unverified: signature_valid is false
            entry.truncateUnverified()
            try log()
            throw APIError(.unauthorized, code: "invalid_signature", message: delivery.rejection ?? "the signature does not verify")
        }
        let meaning: WebhookOutcome
        switch outcome {
        case .failure(let error):
            entry.status = .failed
            entry.errorMessage = error.message
            try log()
            throw error
        case .success(let value):
            meaning = value
        }
        entry.reference = meaning.reference
        entry.deliveryKey = meaning.deliveryKey
        if money.isDuplicateDelivery(meaning.deliveryKey) {
            entry.status = .duplicate
            try log()
            return Self.json(.ok, Array("{\"ok\":true,\"duplicate\":true,\"reference\":\(JSONWriter.quoted(meaning.reference))}".utf8))
        }
        // Money confirmed for a reference we never initialized: recorded as unmatched
        // (listed with the gaps, alerted, resolvable), for every provider alike, so the
        // "I paid and you have no record" case has a record.
        let unmatched = meaning.stage != nil && money.payment(meaning.reference) == nil
        if let stage = meaning.stage {
            let provider = money.payment(meaning.reference)?.provider ?? delivery.provider
            let record = MoneyRecord.paymentEvent(PaymentEvent(
                reference: meaning.reference, provider: provider, stage: stage, amount: meaning.amount, currency: meaning.currency,
                email: meaning.email, errorMessage: meaning.errorMessage, receivedAt: now))
            try journalWrite(record)
            let wasGap = money.payment(meaning.reference)?.isGap ?? false
            money.apply(record)
            if wasGap { publishGaps() }
        }
        if unmatched {
            let record = MoneyRecord.paymentUnmatched(reference: meaning.reference, at: now)
            try journalWrite(record)
            money.apply(record)
            entry.errorMessage = "unmatched: no payment was initialized with this reference"
            if let payment = money.payment(meaning.reference) {
                afterSync { [unowned self] in
                    context.shared.deliver(to: .seller, MoneyMessages.gapFrame(payment), conflatable: false, from: context)
                }
                raiseAlert(alertRules.unmatched(payment))
            }
            publishGaps()
        }
        entry.status = .processed
        try log()
        let status = money.payment(meaning.reference)?.status.rawValue
        return Self.json(.ok, Array("{\"ok\":true,\"duplicate\":false,\"unmatched\":\(unmatched),\"reference\":\(JSONWriter.quoted(meaning.reference)),\"status\":\(JSONWriter.quoted(status))}".utf8))
    }

    /// Appends to the journal; with `--fsync batch` the sync runs once at the end of this
    /// loop turn, before the turn's answers are written to their sockets.
    func journalWrite(_ record: MoneyRecord) throws(APIError) {
        let started = EventLoop.now
        do {
            try journal.append(record)
            if recordsBatch.isEmpty { context.loop.atEndOfTurn { [unowned self] in flushRecords() } }
            recordsBatch.append((journal.lastLSN, record))
            let metrics = context.shared.hubMetrics
            metrics.journalAppend(seconds: Double(EventLoop.now - started) / 1e9)
            switch record {
            case .transaction(let t): metrics.ledgerWrite(t.kind)
            case .paymentEvent(let e): metrics.paymentEvent(e.stage)
            case .webhookDelivery(let e): metrics.webhookDelivery(provider: e.provider, status: e.status)
            default: break
            }
        } catch {
            print("livehub: journal write failed: \(error)")
            throw APIError(.serviceUnavailable, code: "journal_unavailable", message: "the write could not be made durable; nothing was changed")
        }
        if journal.needsSync && !journalSyncScheduled {
            journalSyncScheduled = true
            context.loop.atEndOfTurn { [unowned self] in syncJournal() }
        }
    }

    /// Makes every appended record durable. Answers already built wait on this (it runs
    /// before the loop flushes sockets); if the disk refuses, the hub cannot keep its
    /// promise and stops rather than acknowledge what may be lost.
    func syncJournal() {
        journalSyncScheduled = false
        do {
            if journal.needsSync {
                let started = EventLoop.now
                try journal.sync()
                context.shared.hubMetrics.journalSync(seconds: Double(EventLoop.now - started) / 1e9)
            }
        } catch {
            fatalError("livehub: \(error): stopping, acknowledged writes may not be durable")
        }
        flushRecords()
        let waiting = pendingAfterSync
        pendingAfterSync = []
        for body in waiting { body() }
    }

    /// Hands this turn's records to the records database once they are durable (with
    /// `--fsync batch`, after the sync; the sync calls this).
    func flushRecords() {
        guard !recordsBatch.isEmpty, !journal.needsSync else { return }
        records.write(recordsBatch)
        recordsBatch = []
    }

    /// The user's sockets, on every loop, get the update; `seq` lets each drop what a
    /// replay already gave it. Not before the record is durable: a pushed balance is an
    /// acknowledgement too.
    private func pushBalanceUpdate(_ t: LedgerTransaction) {
        let frame = RoomMessage(opcode: .text, payload: MoneyMessages.balanceUpdate(t))
        context.shared.hubMetrics.balancePush()
        afterSync { [unowned self] in context.shared.deliverBalance(to: t.userId, seq: t.userSeq, frame, from: context) }
    }

    /// Runs `body` once what is journalled so far is on disk (at once if it already is).
    func afterSync(_ body: @escaping () -> Void) {
        if journal.needsSync { pendingAfterSync.append(body) } else { body() }
    }

    /// The open gaps as sellers joining get them.
    func publishGaps() {
        context.shared.publication.publish(openGaps: money.openGaps)
    }

    /// What a balance socket missed: every update with `seq > since`, and the last seq.
    /// Without `since` the socket starts from now.
    /// What a balance socket gets on joining: the balance and seq now, then (with `since`)
    /// every update after `since`, in order; live updates follow.
    func balanceReplay(userId: String, since: Int64?) -> (frames: [[UInt8]], lastSeq: Int64) {
        let lastSeq = money.lastSeq(of: userId)
        var frames = [MoneyMessages.balance(userId: userId, balance: money.balance(of: userId), seq: lastSeq)]
        if let since { frames += money.transactions(of: userId, after: since).map(MoneyMessages.balanceUpdate) }
        return (frames, lastSeq)
    }

    /// Journals an alert, tells the seller room, and hands it to the outgoing webhook. An
    /// alert that cannot be journalled is still sent: it reports, it does not change money.
    func raiseAlert(_ draft: AlertRules.Draft) {
        let alert = Alert(id: money.nextAlertID, kind: draft.kind, title: draft.title, message: draft.message,
                          userId: draft.userId, reference: draft.reference, createdAt: clock.nowMilliseconds)
        try? journalWrite(.alert(alert))
        money.apply(.alert(alert))
        afterSync { [unowned self] in
            context.shared.deliver(to: .seller, HubMessages.frame(type: "alert", data: MoneyMessages.alert(alert, delivery: nil)),
                                   conflatable: false, from: context)
            alerts.send(alert)
        }
    }

    /// Every second: confirmed payments past `--gap-grace` without a credit become gaps,
    /// journalled (so a restart does not announce them twice) and sent to sellers.
    func checkPaymentGaps() {
        let now = clock.nowMilliseconds
        let grace = Int64(context.configuration.gapGrace / 1_000_000)
        for reference in money.paymentsBecomingGaps(now: now, grace: grace) {
            let record = MoneyRecord.gapOpened(reference: reference, at: now)
            do { try journalWrite(record) } catch { return }
            money.apply(record)
            if let payment = money.payment(reference) {
                afterSync { [unowned self] in
                    context.shared.deliver(to: .seller, MoneyMessages.gapFrame(payment), conflatable: false, from: context)
                }
                raiseAlert(alertRules.gapOpened(payment))
                publishGaps()
            }
        }
    }

    private func monitor(since: Int64, minutes: Int) -> [UInt8] {
        var added = Money.zero, spent = Money.zero, refunded = Money.zero
        var users = Set<String>()
        var counts: [LedgerTransaction.Kind: Int] = [:]
        var recent: [LedgerTransaction] = []
        for t in money.transactions.reversed() {
            if t.createdAt < since { break }  // appended in time order
            switch t.kind {
            case .credit: added = added + t.amount
            case .debit, .smsPurchase: spent = spent + t.amount
            case .refund: refunded = refunded + t.amount
            }
            users.insert(t.userId)
            counts[t.kind, default: 0] += 1
            if recent.count < 20 { recent.append(t) }
        }
        var json = JSONWriter()
        json.beginObject()
        json.field("window_minutes", minutes)
        json.key("total_added"); json.raw(added.description)
        json.key("total_spent"); json.raw(spent.description)
        json.key("total_refunded"); json.raw(refunded.description)
        json.field("unique_users", users.count)
        json.field("transaction_count", counts.values.reduce(0, +))
        json.key("counts_by_type")
        json.beginObject()
        for kind in LedgerTransaction.Kind.allCases { json.field(kind.rawValue, counts[kind] ?? 0) }
        json.endObject()
        json.key("recent")
        json.beginArray()
        for t in recent { MoneyMessages.transaction(t, into: &json) }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    private func paymentStats(since: Int64) -> [UInt8] {
        var counts: [Payment.Stage: Int] = [:]
        var gaps = 0, total = 0
        var amount = Money.zero
        for p in money.allPayments where p.createdAt >= since {
            total += 1
            counts[p.status, default: 0] += 1
            if p.isGap { gaps += 1 }
            if p.confirmedAt != nil || p.status == .credited, let a = p.amount { amount = amount + a }
        }
        var json = JSONWriter()
        json.beginObject()
        json.field("total", total)
        json.field("pending", counts[.initialized] ?? 0)
        // The provider confirmed it; `webhook_received` is the same money one step on.
        json.field("completed", (counts[.completed] ?? 0) + (counts[.webhookReceived] ?? 0))
        json.field("webhook_received", counts[.webhookReceived] ?? 0)
        json.field("failed", counts[.failed] ?? 0)
        json.field("credited", counts[.credited] ?? 0)
        json.field("gaps", gaps)
        json.key("total_amount"); json.raw(amount.description)
        json.endObject()
        return json.bytes
    }

    static func json(_ status: HTTPStatus, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
    }
}
