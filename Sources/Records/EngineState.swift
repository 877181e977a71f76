import Dispatch
import Hub
import Logging

/// The money engine's working state and rules, on its thread: the database, the next ids,
/// the alert rules' recent history. Everything else is read from the database when needed.
final class EngineState {
    typealias Failure = RecordsFailure
    let store: RecordsStore
    let clock: WallClock
    let configuration: MoneyEngine.Configuration
    let effects: @Sendable ([MoneyEffect]) -> Void
    let alertRules: AlertRules

    private var nextTransactionID: Int64 = 1
    private var nextEventLSN: Int64 = 1
    var nextResolutionLSN: Int64 = 1
    private var nextWebhookID: Int64 = 1
    private var nextAlertID: Int64 = 1
    private var nextActivityID: Int64 = 1
    private var nextPaymentSeq: Int64 = 1
    private var lastRetention: Int64 = 0
    /// Cluster mode: the last of the other nodes' payment errors read (nil: not known yet;
    /// set at start, so what was recorded before is not announced again).
    private var lastClusterError: Int64?
    /// PostgreSQL: the money turn this engine's last transaction took (-1: none known).
    private var lastMoneyTurn: Int64 = -1

    /// This batch's effects, sent after its COMMIT.
    private var pendingEffects: [MoneyEffect] = []
    private var problemsChanged = false

    init(store: RecordsStore, clock: WallClock, configuration: MoneyEngine.Configuration,
         effects: @escaping @Sendable ([MoneyEffect]) -> Void) {
        self.store = store
        self.clock = clock
        self.configuration = configuration
        self.effects = effects
        alertRules = AlertRules(configuration: configuration.alertRules)
    }

    /// The next ids from what the database holds (at start, and after a rollback).
    func loadCounters() throws(Failure) {
        func next(_ sql: String) throws(Failure) -> Int64 { (try store.db.query(sql, []).first?.first?.integer ?? 0) + 1 }
        nextTransactionID = try next("SELECT max(id) FROM transactions")
        nextEventLSN = max(1, try next("SELECT max(lsn) FROM payment_events"))
        nextResolutionLSN = max(1, try next("SELECT max(lsn) FROM resolutions"))
        nextWebhookID = try next("SELECT max(id) FROM webhook_deliveries")
        nextAlertID = try next("SELECT max(id) FROM alerts")
        nextActivityID = try next("SELECT max(id) FROM activity")
        nextPaymentSeq = try next("SELECT max(seq) FROM payments")
    }

    func resume() {
        do {
            let problems = try store.openProblems()
            if configuration.announcer != nil { lastClusterError = try store.lastClusterPaymentError() }
            let now = clock.nowMilliseconds
            let pending = try store.claimPendingAlerts(node: deliveryNode, until: now + Self.alertLease, now: now, own: true)
            effects([.openProblems(problems)] + pending.map { .alertRaised($0.alert, deliver: true, announce: false) })
            if !pending.isEmpty { RecordsLog.logger.notice("resuming pending alert deliveries", metadata: ["alerts": "\(pending.count)"]) }
        } catch {
            RecordsLog.logger.error("open problems and pending alerts not loaded", metadata: ["error": "\(error)"])
        }
    }

    // MARK: a batch

    /// Writes first (in one transaction, or one each), then reads from what is committed,
    /// then the effects and the answers.
    func run(_ batches: [(commands: [(command: MoneyCommand, token: UInt64)], replies: MoneyEngine.Replies?)]) {
        var answers = batches.map { batch in batch.commands.map { (token: $0.token, reply: MoneyReply.done) } }
        var writes: [(batch: Int, index: Int, write: MoneyWrite)] = []
        var reads: [(batch: Int, index: Int, read: MoneyRead)] = []
        for (b, batch) in batches.enumerated() {
            for (i, entry) in batch.commands.enumerated() {
                switch entry.command {
                case .write(let write): writes.append((b, i, write))
                case .read(let read): reads.append((b, i, read))
                }
            }
        }
        var committed: [MoneyEffect] = []
        func commit(_ group: ArraySlice<(batch: Int, index: Int, write: MoneyWrite)>) {
            let started = DispatchTime.now().uptimeNanoseconds
            var results: [MoneyReply] = []
            /// The group in one transaction: written together (plain ledger writes only) or
            /// one write after the other.
            func transaction(together: Bool) throws(Failure) {
                pendingEffects = []
                problemsChanged = false
                erasedKeys = []
                try store.inTransaction { () throws(Failure) in
                    if store.db.dialect == .postgres {
                        // Another hub on the database wrote since: its ids and balances
                        // are news to this engine's counters and cached wallets.
                        let turn = try store.takeMoneyTurn()
                        if turn != lastMoneyTurn + 1 {
                            wallets.removeAll()
                            try loadCounters()
                        }
                        lastMoneyTurn = turn
                    }
                    results = []
                    var rest = group[...]
                    while let first = rest.first {
                        // A run of plain ledger writes goes together; anything else (a
                        // payment credit, a webhook, the gap sweep) one at a time, in order.
                        let run = together ? Array(rest.lazy.map { Self.plainLedger($0.write) }.prefix { $0 != nil }.compactMap { $0 }) : []
                        if run.count > 1 {
                            results += try ledgerBatch(run)
                            rest = rest.dropFirst(run.count)
                        } else {
                            results.append(try apply(first.write))
                            rest = rest.dropFirst()
                        }
                    }
                    if problemsChanged { pendingEffects.append(.openProblems(try store.openProblems())) }
                    if let announcer = configuration.announcer { try announce(as: announcer) }
                }
            }
            do {
                do {
                    try transaction(together: true)
                } catch where error.decideAgain {
                    // A reference seen before was in it: rolled back, and one write at a time,
                    // from the ids and balances the database holds (the writes before the
                    // batch that failed had taken some).
                    wallets.removeAll()
                    try loadCounters()
                    try transaction(together: false)
                }
                for ((b, i, _), reply) in zip(group, results) { answers[b][i].reply = reply }
                if erasedInGroup {
                    // Cached balances name the old user ids; the log's copies of the rows go.
                    erasedInGroup = false
                    wallets.removeAll()
                    store.scrubAfterErasure()
                }
                committed += pendingEffects
                committed.append(.committed(writes: group.count, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
            } catch {
                RecordsLog.logger.error("transaction refused, nothing changed",
                                        metadata: ["database": "\(store.db.name)", "writes": "\(group.count)", "error": "\(error)"])
                for (b, i, _) in group { answers[b][i].reply = .unavailable(error.description) }
                wallets.removeAll()
                lastMoneyTurn = -1
                try? loadCounters()
            }
        }
        if !writes.isEmpty {
            if configuration.commitEachWrite {
                for w in writes.indices { commit(writes[w...w]) }
            } else {
                commit(writes[...])
            }
        }
        for (b, i, query) in reads {
            do {
                answers[b][i].reply = try read(query)
            } catch {
                // The first statement on a connection the database dropped (it restarted)
                // fails, and the next one connects anew: a read changes nothing, so it is
                // tried once more before the caller is told.
                do {
                    answers[b][i].reply = try read(query)
                } catch {
                    answers[b][i].reply = .unavailable(error.description)
                }
            }
        }
        if !committed.isEmpty { effects(committed) }
        for (b, batch) in batches.enumerated() {
            batch.replies?(answers[b].filter { $0.token != 0 })
        }
    }

    // MARK: writes

    private func apply(_ command: MoneyWrite) throws(Failure) -> MoneyReply {
        let now = clock.nowMilliseconds
        switch command {
        case .ledger(let entry):
            return try ledger(entry, now: now)
        case .paymentEvent(var event):
            event.receivedAt = now
            return .payment(try record(event))
        case .resolvePayment(let reference, let note, let by):
            guard var payment = try store.payment(reference) else { return .refused(.noSuchPayment(reference: reference)) }
            try store.insertResolution(reference: reference, note: note, by: by, at: now, lsn: nextResolutionLSN)
            nextResolutionLSN += 1
            payment.resolve(note: note, by: by, at: now)
            try store.save(payment)
            problemsChanged = true
            return .payment(payment)
        case .creditPayment(let credit):
            return try creditByHand(credit, now: now)
        case .webhook(let entry, let meaning):
            return try webhook(entry, meaning: meaning, now: now)
        case .activity(var event):
            event.id = nextActivityID
            event.createdAt = now
            try store.insert(event)
            nextActivityID += 1
            return .activityRecorded(event)
        case .raiseAlert(let draft):
            try raise(draft, now: now)
            return .done
        case .alertDelivery(let id, let delivery):
            try store.setDelivery(delivery, ofAlert: id)
            return .done
        case .checkGaps:
            try checkGaps(now: now)
            try takeOverOrphanedAlerts(now: now)
            return .done
        case .erase(let request):
            guard let rows = try store.erase(request, at: now) else { return .refused(.erasureAlreadyConfirmed) }
            erasedInGroup = true
            erasedKeys.append(contentsOf: request.identities)
            return .erased(rows)
        }
    }

    /// What of the unverified deliveries this hour the webhook log has kept.
    private var unverifiedBudget = UnverifiedBudget()
    /// The people erased by the transaction being written (announced to the other nodes).
    private var erasedKeys: [PersonKey] = []
    /// Balances and seqs of the users written lately, so a write reads nothing back: a
    /// cache (cleared after a rollback, and when it grows past `maxCachedWallets`).
    private var wallets: [String: (balance: Money, lastSeq: Int64)] = [:]
    /// Cluster mode: every hub on the database hears what this transaction changed for its
    /// rooms: each user's new balance (the last seq), that the open problems changed, the
    /// alerts raised. PostgreSQL delivers a NOTIFY after the COMMIT, in commit order, and
    /// not at all if it rolls back (README "Cluster"); the hubs read the rows themselves.
    private func announce(as node: String) throws(Failure) {
        var latest: [String: Int64] = [:]
        var notices: [(channel: String, payload: String)] = []
        for effect in pendingEffects {
            switch effect {
            case .balanceChanged(let t): latest[t.userId] = max(latest[t.userId] ?? 0, t.userSeq)
            case .alertRaised(let alert, _, true): notices.append((NotifyChannel.alert, "\(node):\(alert.id)"))
            default: break
            }
        }
        notices += latest.sorted { $0.key < $1.key }.map { (NotifyChannel.balance, "\($0.value):\($0.key)") }
        if problemsChanged { notices.append((NotifyChannel.problems, node)) }
        notices += erasedKeys.map { (NotifyChannel.erasure, "\(node)\t\($0.kind)\t\($0.value)") }
        guard !notices.isEmpty else { return }
        _ = try store.db.pipelined(notices.map { (sql: "SELECT pg_notify($1, $2)", values: [.text($0.channel), .text($0.payload)]) })
    }

    /// Webhook payloads received before this have been emptied (0 at start: the first pass
    /// looks at them all, later ones only at what aged since).
    private var lastPayloadCutoff: Int64 = 0
    /// The group being committed holds an erasure (scrubbed after its COMMIT).
    private var erasedInGroup = false
    static let maxCachedWallets = 100_000

    private func wallet(_ userId: String) throws(Failure) -> (balance: Money, lastSeq: Int64) {
        if let cached = wallets[userId] { return cached }
        let stored = try store.wallet(userId)
        if wallets.count >= Self.maxCachedWallets { wallets.removeAll(keepingCapacity: true) }
        wallets[userId] = stored
        return stored
    }

    /// A retry, or a reference used for something else, decided from the stored original.
    private func original(_ entry: LedgerEntry) throws(Failure) -> MoneyReply? {
        guard let original = try store.transaction(reference: entry.reference) else { return nil }
        return original.sameRequest(userId: entry.userId, amount: entry.amount, kind: entry.kind)
            ? .transaction(original, created: false) : .refused(.referenceConflict(original: original))
    }

    func ledger(_ entry: LedgerEntry, now: Int64) throws(Failure) -> MoneyReply {
        var credited: Payment?
        if let reference = entry.paymentReference {
            guard let payment = try store.payment(reference) else { return .refused(.unknownPayment(reference: reference)) }
            credited = payment
        }
        let wallet = try wallet(entry.userId)
        // Decided as new; the reference's uniqueness is the insert's to check (one
        // statement, not a lookup first).
        switch LedgerRule.decide(existing: nil, balance: wallet.balance, lastSeq: wallet.lastSeq, nextID: nextTransactionID,
                                userId: entry.userId, amount: entry.amount, kind: entry.kind, description: entry.description,
                                service: entry.service, reference: entry.reference, paymentReference: entry.paymentReference, now: now) {
        case .outOfRange:
            return try original(entry) ?? .refused(.balanceOutOfRange)
        case .existing(let original):
            return .transaction(original, created: false)
        case .conflict(let original):
            return .refused(.referenceConflict(original: original))
        case .new(let t):
            guard try store.insertIfNew(t) else {
                if let answer = try original(entry) { return answer }
                throw Failure("transaction \(t.id) for \(t.userId) (seq \(t.userSeq)) collides with a stored one")
            }
            nextTransactionID += 1
            wallets[t.userId] = (t.balanceAfter, t.userSeq)
            if var payment = credited {
                let wasProblem = payment.problem != nil
                let wasCredited = payment.status == .credited
                payment.record(PaymentEvent(reference: payment.reference, provider: payment.provider, stage: .credited,
                                            userId: t.userId, receivedAt: t.createdAt))
                try store.save(payment)
                if wasProblem { problemsChanged = true }
                if !wasCredited, payment.status == .credited, let draft = alertRules.credited(payment) { try raise(draft, now: now) }
            }
            pendingEffects.append(.balanceChanged(t))
            for draft in alertRules.transactionApplied(t) { try raise(draft, now: now) }
            return .transaction(t, created: true)
        }
    }

    /// A group of ledger writes that credit no payment, decided from the wallets as if each
    /// were new and written together (`RecordsStore.insertAllNew`: one pipeline on
    /// PostgreSQL, multi-row statements on SQLite). A reference seen before (a row that did
    /// not go in), or one out of range, has the whole group decided again, the careful way.
    private func ledgerBatch(_ entries: [LedgerEntry]) throws(Failure) -> [MoneyReply] {
        let now = clock.nowMilliseconds
        var decided: [String: (balance: Money, lastSeq: Int64)] = [:]
        var transactions: [LedgerTransaction] = []
        var nextID = nextTransactionID
        for entry in entries {
            let before: (balance: Money, lastSeq: Int64)
            if let known = decided[entry.userId] { before = known } else { before = try wallet(entry.userId) }
            guard case .new(let t) = LedgerRule.decide(existing: nil, balance: before.balance, lastSeq: before.lastSeq, nextID: nextID,
                                                         userId: entry.userId, amount: entry.amount, kind: entry.kind,
                                                         description: entry.description, service: entry.service,
                                                         reference: entry.reference, paymentReference: nil, now: now) else {
                throw decideAgain("a write in the batch is out of range")
            }
            transactions.append(t)
            decided[entry.userId] = (t.balanceAfter, t.userSeq)
            nextID += 1
        }
        guard try store.insertAllNew(transactions) else { throw decideAgain("a reference in the batch was seen before") }
        nextTransactionID = nextID
        for (user, wallet) in decided { wallets[user] = wallet }
        for t in transactions {
            pendingEffects.append(.balanceChanged(t))
            for draft in alertRules.transactionApplied(t) { try raise(draft, now: now) }
        }
        return transactions.map { .transaction($0, created: true) }
    }

    /// What `ledgerBatch` writes: a ledger write that credits no payment.
    private static func plainLedger(_ write: MoneyWrite) -> LedgerEntry? {
        if case .ledger(let entry) = write, entry.paymentReference == nil { return entry }
        return nil
    }

    /// A batch that cannot be written together: rolled back and decided one write at a time.
    private func decideAgain(_ reason: String) -> Failure {
        var again = Failure(reason)
        again.decideAgain = true
        return again
    }

    /// A stage report applied to its payment (created by its first report).
    @discardableResult
    private func record(_ event: PaymentEvent) throws(Failure) -> Payment {
        try store.insert(event, lsn: nextEventLSN)
        nextEventLSN += 1
        let existing = try store.payment(event.reference)
        var payment = existing ?? Payment(first: event)
        let wasProblem = payment.problem != nil
        let wasCredited = payment.status == .credited
        let wasMismatched = payment.isMismatched
        payment.record(event)
        try store.save(payment, seq: existing == nil ? nextPaymentSeq : nil)
        if existing == nil { nextPaymentSeq += 1 }
        if wasProblem || payment.problem != nil { problemsChanged = true }
        if !wasCredited, payment.status == .credited, let draft = alertRules.credited(payment) { try raise(draft, now: event.receivedAt) }
        if !wasMismatched, payment.isMismatched { try raise(alertRules.amountMismatch(payment), now: event.receivedAt) }
        return payment
    }

    private func webhook(_ received: WebhookLogEntry, meaning: WebhookOutcome?, now: Int64) throws(Failure) -> MoneyReply {
        var entry = received
        entry.id = nextWebhookID
        entry.receivedAt = now
        func log() throws(Failure) -> MoneyReply {
            if !entry.signatureValid,
               !unverifiedBudget.take(provider: entry.provider, bytes: entry.payload.utf8.count + entry.headers.reduce(0) { $0 + $1.utf8.count }, now: now) {
                entry.stored = false
                return .webhook(entry, paymentStatus: nil, unmatched: false)
            }
            try store.insert(entry)
            nextWebhookID += 1
            if let draft = alertRules.webhookFailed(entry, at: now) { try raise(draft, now: now) }
            return .webhook(entry, paymentStatus: nil, unmatched: false)
        }
        guard let meaning else { return try log() }
        entry.reference = meaning.reference
        entry.deliveryKey = meaning.deliveryKey
        if try store.isProcessedDelivery(meaning.deliveryKey) {
            entry.status = .duplicate
            return try log()
        }
        let known = try store.payment(meaning.reference)
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
            payment = try record(event)
        }
        if unmatched, var p = payment {
            p.unmatchedSince = now
            try store.save(p)
            payment = p
            problemsChanged = true
            entry.errorMessage = "unmatched: no payment was initialized with this reference"
            try raise(alertRules.unmatched(p), now: now)
        }
        entry.status = .processed
        try store.insert(entry)
        nextWebhookID += 1
        return .webhook(entry, paymentStatus: payment?.status, unmatched: unmatched)
    }

    /// An alert committed with the write that raised it: the outbox row is `pending` until
    /// the webhook takes it.
    private func raise(_ draft: AlertRules.Draft, now: Int64) throws(Failure) {
        let alert = Alert(id: nextAlertID, kind: draft.kind, title: draft.title, message: draft.message,
                          userId: draft.userId, reference: draft.reference, createdAt: now)
        try store.insert(alert, deliveryStatus: configuration.deliversAlerts ? AlertDelivery.Status.pending.rawValue : AlertDelivery.Status.notConfigured.rawValue,
                         lease: configuration.deliversAlerts ? (deliveryNode, now + Self.alertLease) : nil)
        nextAlertID += 1
        pendingEffects.append(.alertRaised(alert, deliver: configuration.deliversAlerts, announce: true))
    }

    /// How long an alert's delivery is a node's before another may take it over. The node
    /// renews its leases every 10 s while it lives (`takeOverOrphanedAlerts`), so a delivery
    /// with all its retries stays its own, and one whose node died is taken over within
    /// 30–40 s.
    static let alertLease: Int64 = 30_000
    /// Who delivers this engine's alerts: the node, or (one hub) "local".
    private var deliveryNode: String { configuration.announcer ?? "local" }
    private var nextOrphanCheck: Int64 = 0

    /// Cluster mode, every 10 s: this node's leases are renewed, and alerts whose node died
    /// mid-delivery (their lease ran out) are delivered from here. Committed with the gap
    /// sweep; delivered after the COMMIT.
    private func takeOverOrphanedAlerts(now: Int64) throws(Failure) {
        guard configuration.announcer != nil, configuration.deliversAlerts, now >= nextOrphanCheck else { return }
        nextOrphanCheck = now + 10_000
        try store.renewAlertLeases(node: deliveryNode, until: now + Self.alertLease)
        let orphans = try store.claimPendingAlerts(node: deliveryNode, until: now + Self.alertLease, now: now, own: false)
        for row in orphans { pendingEffects.append(.alertRaised(row.alert, deliver: true, announce: false)) }
        if !orphans.isEmpty { RecordsLog.logger.notice("taking over alert deliveries", metadata: ["alerts": "\(orphans.count)"]) }
    }

    private func checkGaps(now: Int64) throws(Failure) {
        for var payment in try store.paymentsBecomingGaps(confirmedBefore: now - configuration.gapGrace) {
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

    // MARK: reads

    private func read(_ command: MoneyRead) throws(Failure) -> MoneyReply {
        if let reply = try store.answer(command, now: clock.nowMilliseconds) { return reply }
        switch command {
        case .announcedElsewhere(let problems, let alertIDs, let paymentErrors):
            var news: [MoneyEffect] = problems ? [.openProblems(try store.openProblems())] : []
            for id in alertIDs {
                if let row = try store.alert(id: id) { news.append(.alertRaised(row.alert, deliver: false, announce: true)) }
            }
            if paymentErrors, let node = configuration.announcer {
                if var after = lastClusterError {
                    // All of them, 5,000 at a time: the next announcement may never come.
                    while true {
                        let rows = try store.clusterPaymentErrors(after: after, notFrom: node, limit: 5000)
                        guard let last = rows.last else { break }
                        after = last.seq
                        lastClusterError = after
                        news.append(.paymentErrorsElsewhere(rows.map(\.record)))
                        if rows.count < 5000 { break }
                    }
                } else {
                    lastClusterError = try store.lastClusterPaymentError()
                }
            }
            if !news.isEmpty { effects(news) }
            return .done
        case .balanceReplay(let userId, let since):
            let wallet = try store.wallet(userId)
            let updates = try since.map { since throws(Failure) in try store.transactions(of: userId, after: since, limit: 10_000) } ?? []
            return .balanceReplay(balance: wallet.balance, lastSeq: wallet.lastSeq, updates: updates)
        default:
            return .unavailable("not a read of the writer's")
        }
    }
}
