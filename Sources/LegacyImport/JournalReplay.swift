import Hub

/// Money as a data dir from before the records database held it (snapshot v2 and its
/// journal): the ledger, payments, webhook deliveries, alerts and activity, rebuilt by
/// replaying their `JournalRecord`s. Only the one-time import into the database
/// (`JournalRecordsWriter`) and `livehub snapshot inspect` use it; the money engine decides
/// with `LedgerRule` against the database.
public final class JournalReplay {
    public private(set) var transactions: [LedgerTransaction] = []
    private var transactionByReference: [String: Int] = [:]
    private var balances: [String: Money] = [:]
    /// Each user's transactions (indices into `transactions`), oldest first: position + 1
    /// is the balance room's `seq`.
    private var userTransactions: [String: [Int]] = [:]

    public private(set) var payments: [String: Payment] = [:]
    /// References in the order they were first seen.
    private var paymentOrder: [String] = []
    /// Confirmed payments not yet credited: where gaps come from.
    private var awaitingCredit: Set<String> = []
    /// The payment records in order (the snapshot keeps them; transactions are kept above).
    private var paymentRecords: [JournalRecord] = []

    /// Webhook deliveries, oldest first: the newest 10,000 within 32 MiB are kept.
    public var webhookLog = BoundedLog<WebhookLogEntry>(maxCount: 10_000, maxBytes: 32 << 20) { $0.byteCost }
    private var processedDeliveries: Set<String> = []
    public private(set) var nextWebhookID: Int64 = 1

    /// Alerts raised, oldest first: the newest 10,000 within 8 MiB are kept.
    public var alerts = BoundedLog<Alert>(maxCount: 10_000, maxBytes: 8 << 20) { $0.byteCost }
    public var nextAlertID: Int64 { (alerts.entries.last?.id ?? 0) + 1 }

    /// Activity events, oldest first; kept for the retention the caller prunes to.
    public private(set) var activity: [ActivityEvent] = []
    public private(set) var nextActivityID: Int64 = 1

    public init() {}

    /// Drops activity older than `cutoff` (retention: 90 days by default).
    public func pruneActivity(before cutoff: Int64) {
        if let keep = activity.firstIndex(where: { $0.createdAt >= cutoff }) {
            if keep > 0 { activity.removeFirst(keep) }
        } else {
            activity.removeAll()
        }
    }

    /// One user's journey, oldest first: by user id, or by email (any case). An event
    /// that names only an email belongs to a user once an event or a payment ties that
    /// email to their id (and the other way round), so a journey that started before the
    /// user had an id is whole.
    public func journey(userId: String?, email: String?) -> [ActivityEvent] {
        var ids = Set(userId.map { [$0] } ?? [])
        var emails = Set(email.map { [$0.lowercased()] } ?? [])
        var pairs: [(id: String, email: String)] = activity.compactMap { e in
            guard let id = e.userId, let mail = e.email else { return nil }
            return (id, mail.lowercased())
        }
        pairs += payments.values.compactMap { p in
            guard let id = p.userId, let mail = p.email else { return nil }
            return (id, mail.lowercased())
        }
        // Until nothing more joins (an id may tie two emails together, and so on).
        var grew = true
        while grew {
            grew = false
            for pair in pairs where (ids.contains(pair.id) || emails.contains(pair.email)) && !(ids.contains(pair.id) && emails.contains(pair.email)) {
                ids.insert(pair.id)
                emails.insert(pair.email)
                grew = true
            }
        }
        return activity.filter { event in
            if let id = event.userId, ids.contains(id) { return true }
            if let mail = event.email, emails.contains(mail.lowercased()) { return true }
            return false
        }
    }

    /// A delivery with this key was processed before.
    public func isDuplicateDelivery(_ key: String) -> Bool { processedDeliveries.contains(key) }

    // MARK: ledger

    public func prepareTransaction(userId: String, amount: Money, kind: LedgerTransaction.Kind, description: String,
                                   service: String?, reference: String, paymentReference: String? = nil, now: Int64) -> LedgerOutcome {
        LedgerRule.decide(existing: transactionByReference[reference].map { transactions[$0] }, balance: balances[userId] ?? .zero,
                    lastSeq: lastSeq(of: userId), nextID: Int64(transactions.count + 1),
                    userId: userId, amount: amount, kind: kind, description: description, service: service,
                    reference: reference, paymentReference: paymentReference, now: now)
    }

    public func balance(of userId: String) -> Money { balances[userId] ?? .zero }

    /// The user's transactions with `userSeq > since`, oldest first (a balance room's replay).
    public func transactions(of userId: String, after since: Int64) -> [LedgerTransaction] {
        guard let indices = userTransactions[userId], since < Int64(indices.count) else { return [] }
        return indices[Int(max(0, since))...].map { transactions[$0] }
    }

    public func lastSeq(of userId: String) -> Int64 { Int64(userTransactions[userId]?.count ?? 0) }

    public var userCount: Int { balances.count }

    // MARK: payments

    public func payment(_ reference: String) -> Payment? { payments[reference] }

    /// Payments in the order first seen.
    public var allPayments: [Payment] { paymentOrder.compactMap { payments[$0] } }

    /// Confirmed payments whose grace has run out at `now` and that are not gaps yet.
    public func paymentsBecomingGaps(now: Int64, grace: Int64) -> [String] {
        awaitingCredit.filter { reference in
            guard let payment = payments[reference], payment.gapSince == nil, let confirmed = payment.confirmedAt else { return false }
            return now - confirmed >= grace
        }.sorted()
    }

    /// Gaps and unmatched payments: what support must look at.
    public var openGaps: [Payment] { allPayments.filter { $0.problem != nil } }

    // MARK: applying

    public func apply(_ record: JournalRecord) {
        switch record {
        case .transaction(let t):
            guard transactionByReference[t.reference] == nil else { return }
            transactionByReference[t.reference] = transactions.count
            userTransactions[t.userId, default: []].append(transactions.count)
            transactions.append(t)
            balances[t.userId] = t.balanceAfter
            // The payment it credits, in the same record. Restoring a snapshot applies the
            // transactions before the payments; the credit then comes from the payment
            // records, where this appends it.
            if let reference = t.paymentReference, let payment = payments[reference] {
                let credit = PaymentEvent(reference: reference, provider: payment.provider, stage: .credited, amount: nil, currency: nil,
                                          userId: t.userId, email: nil, phone: nil, plan: nil, errorMessage: nil, receivedAt: t.createdAt)
                applyPaymentEvent(credit)
                paymentRecords.append(.paymentEvent(credit))
            }
            return
        case .paymentEvent(let event):
            applyPaymentEvent(event)
        case .gapOpened(let reference, let at):
            guard var payment = payments[reference], payment.awaitsCredit else { return }
            payment.gapSince = at
            payments[reference] = payment
        case .webhookDelivery(let entry):
            nextWebhookID = max(nextWebhookID, entry.id + 1)
            if entry.status == .processed, let key = entry.deliveryKey { processedDeliveries.insert(key) }
            webhookLog.append(entry)  // duplicate keys stay known after their entry goes
            return
        case .activity(let event):
            activity.append(event)
            nextActivityID = max(nextActivityID, event.id + 1)
            return
        case .alert(let alert):
            alerts.append(alert)
            return
        case .paymentUnmatched(let reference, let at):
            guard var payment = payments[reference] else { return }
            payment.unmatchedSince = at
            payments[reference] = payment
        case .paymentResolved(let reference, let note, let by, let at):
            guard var payment = payments[reference] else { return }
            payment.resolve(note: note, by: by, at: at)
            payments[reference] = payment
            awaitingCredit.remove(reference)
        }
        paymentRecords.append(record)
    }

    private func applyPaymentEvent(_ e: PaymentEvent) {
        var payment = payments[e.reference] ?? {
            paymentOrder.append(e.reference)
            return Payment(first: e)
        }()
        payment.record(e)
        if payment.awaitsCredit { awaitingCredit.insert(e.reference) } else { awaitingCredit.remove(e.reference) }
        payments[e.reference] = payment
    }

    /// Every record needed to rebuild this state (for the snapshot).
    public var records: [JournalRecord] {
        transactions.map { .transaction($0) } + paymentRecords + webhookLog.entries.map { .webhookDelivery($0) } + alerts.entries.map { .alert($0) } + activity.map { .activity($0) }
    }
}
