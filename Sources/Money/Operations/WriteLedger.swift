import Hub
import Records

/// `POST /api/wallet/transactions`: one ledger entry, new (201) or the original of a retry
/// (200). A run of plain ones (crediting no payment) queued together is decided and written
/// together (`MoneyWriter.ledgerRun`).
public struct WriteLedger: MoneyWriteOperation {
    public typealias Reply = LedgerReply

    public var entry: LedgerEntry

    public init(_ entry: LedgerEntry) { self.entry = entry }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<LedgerReply, MoneyRefusal> {
        try writer.ledger(entry, now: writer.clock.nowMilliseconds)
    }

    public func job() -> MoneyJob<LedgerReply> { MoneyJob(write: LedgerJob(self)) }
}

/// A ledger write's answer: its transaction, and whether this write made it (false: a
/// retry, answered with the original).
public struct LedgerReply: Sendable, Equatable {
    public var transaction: LedgerTransaction
    public var created: Bool
}

/// A ledger entry, checked.
public struct LedgerEntry: Sendable, Equatable {
    public var userId: String
    public var amount: Money
    public var kind: LedgerTransaction.Kind
    public var description: String
    public var service: String?
    public var reference: String
    /// A payment this entry credits (marked `credited` by the same write).
    public var paymentReference: String?
    /// The user's address for notification emails, given with the write (checked).
    public var email: String?

    public init(userId: String, amount: Money, kind: LedgerTransaction.Kind, description: String, service: String?,
                reference: String, paymentReference: String?) {
        self.userId = userId
        self.amount = amount
        self.kind = kind
        self.description = description
        self.service = service
        self.reference = reference
        self.paymentReference = paymentReference
    }
}

final class LedgerJob: ResultBox<LedgerReply>, WriteJob, @unchecked Sendable {
    let operation: WriteLedger
    init(_ operation: WriteLedger) { self.operation = operation }

    var plainLedger: LedgerEntry? { operation.entry.paymentReference == nil ? operation.entry : nil }
    var walletUser: String? { operation.entry.userId }
    func write(in writer: MoneyWriter) throws(RecordsFailure) {
        result = try operation.write(in: writer).mapError { .refused($0) }
    }
    func wroteTogether(_ transaction: LedgerTransaction) { result = .success(LedgerReply(transaction: transaction, created: true)) }
    func fail(_ failure: MoneyFailure) { result = .failure(failure) }
}

extension MoneyWriter {
    /// One ledger write, decided from the user's wallet; a payment it credits is marked so
    /// by the same write.
    func ledger(_ entry: LedgerEntry, now: Int64) throws(RecordsFailure) -> Result<LedgerReply, MoneyRefusal> {
        var credited: Payment?
        if let reference = entry.paymentReference {
            guard let payment = try paymentForUpdate(reference) else { return .failure(.unknownPayment(reference: reference)) }
            credited = payment
        }
        try rememberAddress(of: entry)
        let wallet = try wallet(entry.userId)
        // Decided as new; the reference's uniqueness is the insert's to check (one
        // statement, not a lookup first).
        switch LedgerRule.decide(existing: nil, balance: wallet.balance, lastSeq: wallet.lastSeq, nextID: try nextID(.transaction),
                                userId: entry.userId, amount: entry.amount, kind: entry.kind, description: entry.description,
                                service: entry.service, reference: entry.reference, paymentReference: entry.paymentReference, now: now) {
        case .outOfRange:
            return try original(entry) ?? .failure(.balanceOutOfRange)
        case .existing(let original):
            return .success(LedgerReply(transaction: original, created: false))
        case .conflict(let original):
            return .failure(.referenceConflict(original: original))
        case .new(let t):
            guard try store.insertIfNew(t) else {
                // Its reference was seen before (a retry, answered from the original), or
                // the wallet moved since it was read (another node wrote for this user): the
                // group is decided again from the row.
                if let answer = try original(entry, notWrittenAs: t.id) { return answer }
                throw decideAgain("the wallet of \(t.userId) moved past seq \(t.userSeq - 1)")
            }
            used(.transaction)
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
            try balanceEffects([t], try notify([t]))
            try raiseAlerts(of: [t], now: now)
            return .success(LedgerReply(transaction: t, created: true))
        }
    }

    /// A retry, or a reference used for something else, decided from the stored original.
    private func original(_ entry: LedgerEntry, notWrittenAs id: Int64? = nil) throws(RecordsFailure) -> Result<LedgerReply, MoneyRefusal>? {
        guard let original = try store.transaction(reference: entry.reference), original.id != id else { return nil }
        return original.sameRequest(userId: entry.userId, amount: entry.amount, kind: entry.kind)
            ? .success(LedgerReply(transaction: original, created: false)) : .failure(.referenceConflict(original: original))
    }

    /// A run of ledger writes that credit no payment, decided from the wallets as if each
    /// were new and written together (`RecordsStore.insertAllNew`: one pipeline on
    /// PostgreSQL, multi-row statements on SQLite). A reference seen before (a row that did
    /// not go in), or one out of range, has the whole group decided again, the careful way.
    func ledgerRun(_ entries: [LedgerEntry]) throws(RecordsFailure) -> [LedgerTransaction] {
        let now = clock.nowMilliseconds
        var decided: [String: (balance: Money, lastSeq: Int64)] = [:]
        var transactions: [LedgerTransaction] = []
        for entry in entries where entry.email != nil { try rememberAddress(of: entry) }
        let ids = try takeIDs(.transaction, count: entries.count)
        for (entry, id) in zip(entries, ids) {
            let before: (balance: Money, lastSeq: Int64)
            if let known = decided[entry.userId] { before = known } else { before = try wallet(entry.userId) }
            guard case .new(let t) = LedgerRule.decide(existing: nil, balance: before.balance, lastSeq: before.lastSeq, nextID: id,
                                                         userId: entry.userId, amount: entry.amount, kind: entry.kind,
                                                         description: entry.description, service: entry.service,
                                                         reference: entry.reference, paymentReference: nil, now: now) else {
                throw decideAgain("a write in the batch is out of range")
            }
            transactions.append(t)
            decided[entry.userId] = (t.balanceAfter, t.userSeq)
        }
        guard try store.insertAllNew(transactions) else {
            throw decideAgain("a reference in the batch was seen before, or a wallet moved on another node")
        }
        for (user, wallet) in decided { wallets[user] = wallet }
        try balanceEffects(transactions, try notify(transactions))
        try raiseAlerts(of: transactions, now: now)
        return transactions
    }

    /// The alert rules on new transactions. In cluster mode the velocity rule reads the
    /// users' transactions from the records, in this transaction (every node's, under the
    /// wallet locks this one holds), not from this node's memory.
    private func raiseAlerts(of transactions: [LedgerTransaction], now: Int64) throws(RecordsFailure) {
        let clustered = configuration.announcer != nil
        for t in transactions {
            for draft in alertRules.transactionApplied(t, countingVelocity: !clustered) { try raise(draft, now: now) }
        }
        guard clustered else { return }
        let times = try store.transactionTimes(transactions.flatMap { t in alertRules.velocitySeqs(t).map { (t.userId, $0) } })
        for t in transactions {
            if let draft = alertRules.velocityFromRecords(t, createdAt: { times[t.userId]?[$0] }) { try raise(draft, now: now) }
        }
    }

    /// A run that cannot be written together: the group is rolled back and decided one
    /// write at a time.
    private func decideAgain(_ reason: String) -> RecordsFailure {
        decidingAgain = true
        return RecordsFailure(reason)
    }
}
