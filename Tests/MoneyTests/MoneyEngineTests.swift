import Glibc
import Synchronization
import Testing
@testable import Hub
@testable import Money
@testable import Records

/// What a test reads of an answer: the operation's typed result, by kind.
enum Outcome: Sendable {
    case ledger(MoneyResult<LedgerReply>)
    case balance(MoneyResult<Money>)
    case activity(MoneyResult<ActivityEvent>)
    case payment(MoneyResult<Payment>)
    case replay(MoneyResult<BalanceReplay>)
    case alerts(MoneyResult<[AlertRow]>)
    case counted(MoneyResult<Void>)

    var transaction: (LedgerTransaction, created: Bool)? {
        guard case .ledger(.success(let reply)) = self else { return nil }
        return (reply.transaction, reply.created)
    }
    var refusal: MoneyRefusal? {
        guard case .ledger(.failure(.refused(let refusal))) = self else { return nil }
        return refusal
    }
    var balance: Money? {
        guard case .balance(.success(let balance)) = self else { return nil }
        return balance
    }
    var replay: BalanceReplay? {
        guard case .replay(.success(let replay)) = self else { return nil }
        return replay
    }
    var isUnavailable: Bool {
        switch self {
        case .ledger(.failure(.unavailable)), .balance(.failure(.unavailable)), .activity(.failure(.unavailable)),
             .payment(.failure(.unavailable)), .replay(.failure(.unavailable)), .alerts(.failure(.unavailable)): return true
        default: return false
        }
    }
}

/// A batch of operations as a test writes it: each with its token, its answer an `Outcome`.
struct TestBatch {
    var batch = MoneyBatch<(UInt64, Outcome)>()

    mutating func ledger(_ user: String, _ cents: Int64, _ kind: LedgerTransaction.Kind = .credit, reference: String,
                         payment: String? = nil, token: UInt64) {
        batch.add(WriteLedger(LedgerEntry(userId: user, amount: Money(minorUnits: cents), kind: kind, description: "d", service: nil,
                                          reference: reference, paymentReference: payment))) { (token, .ledger($0)) }
    }
    mutating func balance(_ user: String, token: UInt64) { batch.add(ReadBalance(userId: user)) { (token, .balance($0)) } }
    mutating func activity(_ user: String, action: String, token: UInt64) {
        batch.add(RecordActivity(ActivityEvent(id: 0, userId: user, email: nil, action: action, status: "success",
                                               details: nil, errorMessage: nil, createdAt: 0))) { (token, .activity($0)) }
    }
    mutating func paymentEvent(_ event: PaymentEvent, token: UInt64) { batch.add(RecordPaymentEvent(event)) { (token, .payment($0)) } }
    mutating func replay(_ user: String, since: Int64?, token: UInt64) {
        batch.add(ReplayBalance(userId: user, since: since)) { (token, .replay($0)) }
    }
    mutating func alerts(limit: Int, token: UInt64) { batch.add(ReadAlerts(limit: limit)) { (token, .alerts($0)) } }
    mutating func paymentErrors(at times: [Int64], token: UInt64) { batch.add(CountPaymentErrors(at: times)) { (token, .counted($0)) } }
}

final class Collected: @unchecked Sendable {
    private let lock = Mutex<([MoneyEffect], [(UInt64, Outcome)])>(([], []))
    func effects(_ new: [MoneyEffect]) { lock.withLock { $0.0 += new } }
    func answers(_ new: [MoneyAnswer<(UInt64, Outcome)>]) { lock.withLock { $0.1 += new.map { $0() } } }
    var allEffects: [MoneyEffect] { lock.withLock { $0.0 } }
    var allReplies: [(UInt64, Outcome)] { lock.withLock { $0.1 } }
}

extension MoneyEngine {
    func submit(_ test: TestBatch, to collected: Collected) { submit(test.batch) { collected.answers($0) } }
}

/// The money engine against a real SQLite file, with a clock the test moves.
@Suite("Money engine")
struct MoneyEngineTests {
    private func engine(clock: ManualClock = ManualClock(), configure: (inout MoneyEngine.Configuration) -> Void = { _ in })
        throws -> (MoneyEngine, RecordsStore, Collected) {
        var template = Array("/tmp/livehub-engine-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let store = try RecordsStore(path: dir + "/livehub.db")
        var configuration = MoneyEngine.Configuration()
        configure(&configuration)
        let collected = Collected()
        let engine = try MoneyEngine(store: store, clock: clock, configuration: configuration) { collected.effects($0) }
        return (engine, store, collected)
    }

    @Test func oneBatchIsOneCommitAndItsAnswersComeAfterIt() throws {
        let (engine, store, collected) = try engine()
        var batch = TestBatch()
        batch.ledger("u", 500, reference: "a", token: 1)
        batch.ledger("u", 200, .debit, reference: "b", token: 2)
        batch.ledger("u", 500, reference: "a", token: 3)
        batch.ledger("v", 100, reference: "a", token: 4)
        batch.balance("u", token: 5)
        engine.submit(batch, to: collected)
        engine.flush()
        let replies = collected.allReplies
        #expect(replies.map(\.0) == [1, 2, 3, 4, 5])
        guard case (let first, true)? = replies[0].1.transaction, case (let second, true)? = replies[1].1.transaction,
              case (let retry, false)? = replies[2].1.transaction, case .referenceConflict? = replies[3].1.refusal,
              let balance = replies[4].1.balance else {
            Issue.record("unexpected replies \(replies)")
            return
        }
        #expect(first.userSeq == 1 && second.userSeq == 2 && second.balanceAfter == Money(minorUnits: 300))
        #expect(retry == first)
        #expect(balance == Money(minorUnits: 300))  // the read saw the batch's writes
        // One transaction for the three writes, and the pushes after it.
        let commits = collected.allEffects.compactMap { effect -> Int? in
            if case .committed(let writes, _) = effect { return writes }
            return nil
        }
        #expect(commits == [4])
        #expect(try store.db.query("SELECT count(*) FROM transactions", []).first?.first?.integer == 2)
    }

    /// Runs of plain ledger writes go in as multi-row statements (64, 16, 4, 1 rows), split by
    /// the writes that are applied one at a time; a reference seen before anywhere in the
    /// group has the whole group decided again. Either way the rows are what one-at-a-time
    /// would have written.
    @Test func runsWrittenTogetherLeaveWhatOneAtATimeWould() throws {
        let (engine, store, collected) = try engine()
        var first = TestBatch()
        for k in 0..<150 {
            first.ledger("user\(k % 7)", Int64(100 + k), k % 5 == 0 ? .debit : .credit, reference: "r\(k)", token: UInt64(k + 1))
            if k == 90 { first.activity("user1", action: "x", token: 1000) }
        }
        engine.submit(first, to: collected)
        engine.flush()
        // A second group: a run, a write of another kind, and a run whose last write repeats
        // a reference of the first group (so the first run had gone in before it failed).
        var second = TestBatch()
        for k in 150..<190 { second.ledger("user\(k % 7)", 100, reference: "r\(k)", token: UInt64(k + 1)) }
        second.activity("user2", action: "y", token: 1001)
        for k in 190..<230 { second.ledger("user\(k % 7)", 100, reference: "r\(k)", token: UInt64(k + 1)) }
        second.ledger("user3", 103, reference: "r3", token: 999)
        engine.submit(second, to: collected)
        engine.flush()
        let replies = collected.allReplies
        #expect(replies.count == 233)
        guard case (let retried, false)? = replies.last?.1.transaction else {
            Issue.record("the repeated reference was not answered with its original: \(String(describing: replies.last))")
            return
        }
        #expect(retried.reference == "r3" && retried.id == 4)
        let rows = try store.db.query("SELECT user_id, amount_minor, type, user_seq, balance_after_minor FROM transactions ORDER BY id", [])
        #expect(rows.count == 230)
        // The group decided again took its ids from the database: no gap where the first try was.
        #expect(try store.db.query("SELECT min(id), max(id) FROM transactions", []).first?.map(\.integer) == [1, 230])
        var balances: [String: Int64] = [:]
        var seqs: [String: Int64] = [:]
        for row in rows {
            let user = row[0].text ?? ""
            let signed = (row[2].text == "debit" ? -1 : 1) * (row[1].integer ?? 0)
            balances[user, default: 0] += signed
            seqs[user, default: 0] += 1
            #expect(row[3].integer == seqs[user] && row[4].integer == balances[user], "\(row)")
        }
        for row in try store.db.query("SELECT user_id, balance_minor, last_seq FROM wallets", []) {
            let user = row[0].text ?? ""
            #expect(row[1].integer == balances[user] && row[2].integer == seqs[user], "\(row)")
        }
        #expect(try store.db.query("SELECT count(*) FROM wallets", []).first?.first?.integer == 7)
        #expect(try store.db.query("SELECT count(*) FROM activity", []).first?.first?.integer == 2)
    }

    @Test func aDatabaseThatRefusesChangesNothingAndTheNextBatchGoesIn() throws {
        let (engine, store, collected) = try engine()
        var first = TestBatch()
        first.ledger("u", 500, reference: "a", token: 1)
        engine.submit(first, to: collected)
        engine.flush()
        try store.db.execute("PRAGMA query_only = ON")  // every write now fails in SQLite
        var refused = TestBatch()
        refused.ledger("u", 100, reference: "b", token: 2)
        refused.activity("u", action: "x", token: 3)
        engine.submit(refused, to: collected)
        engine.flush()
        for (_, reply) in collected.allReplies.dropFirst() where !reply.isUnavailable {
            Issue.record("expected unavailable, got \(reply)")
        }
        try store.db.execute("PRAGMA query_only = OFF")
        var after = TestBatch()
        after.ledger("u", 100, reference: "c", token: 4)
        after.balance("u", token: 5)
        engine.submit(after, to: collected)
        engine.flush()
        guard case (let t, true)? = collected.allReplies[3].1.transaction, let balance = collected.allReplies[4].1.balance else {
            Issue.record("unexpected \(collected.allReplies)")
            return
        }
        // The refused write left no trace: not its id, not its seq, not its balance.
        #expect(t.id == 2 && t.userSeq == 2 && balance == Money(minorUnits: 600))
        #expect(try store.db.query("SELECT count(*) FROM activity", []).first?.first?.integer == 0)
    }

    @Test func aConfirmedPaymentWithoutACreditBecomesAGapOnceAndItsAlertIsInTheOutbox() throws {
        let clock = ManualClock()
        let (engine, store, collected) = try engine(clock: clock) {
            $0.gapGrace = 60_000
            $0.deliversAlerts = true
        }
        var event = TestBatch()
        event.paymentEvent(PaymentEvent(reference: "p", provider: "stripe", stage: .completed, amount: Money(minorUnits: 900),
                                        receivedAt: 0), token: 1)
        engine.submit(event, to: collected)
        engine.submit(CheckGaps())
        engine.flush()
        #expect(try store.openProblems().isEmpty)  // within the grace
        clock.advance(seconds: 61)
        engine.submit(CheckGaps())
        engine.submit(CheckGaps())
        engine.flush()
        let problems = try store.openProblems()
        #expect(problems.map(\.reference) == ["p"] && problems.first?.gapSince == clock.nowMilliseconds)
        let pending = try store.pendingAlerts()
        #expect(pending.map(\.alert.kind) == [.paymentGap])
        // Credited: no longer a gap.
        var credit = TestBatch()
        credit.ledger("u", 900, reference: "credit-p", payment: "p", token: 2)
        engine.submit(credit, to: collected)
        engine.flush()
        #expect(try store.openProblems().isEmpty)
        #expect(try store.payment("p")?.status == .credited)
    }

    /// The spike rule is the engine's, configured with the others; a group written again one
    /// write at a time (a reference seen before in a run) counts its payment errors once.
    @Test func paymentErrorsSpikeByTheConfiguredRuleCountedOnceWhateverTheRetries() throws {
        let (engine, store, collected) = try engine {
            $0.alertRules.spikeThreshold = 3
            $0.deliversAlerts = true
        }
        var first = TestBatch()
        first.ledger("u", 100, reference: "a", token: 1)
        engine.submit(first, to: collected)
        var retried = TestBatch()
        retried.paymentErrors(at: [1_000, 2_000], token: 2)
        retried.ledger("u", 100, reference: "b", token: 3)
        retried.ledger("u", 100, reference: "a", token: 4)
        engine.submit(retried, to: collected)
        engine.flush()
        #expect(collected.allReplies.last?.1.transaction?.created == false)  // decided again: a retry
        #expect(try store.pendingAlerts().isEmpty)  // two errors, not four
        var third = TestBatch()
        third.paymentErrors(at: [3_000], token: 5)
        engine.submit(third, to: collected)
        engine.flush()
        #expect(try store.pendingAlerts().map(\.alert.kind) == [.paymentErrorSpike])
    }

    @Test func aReplayIsTheUpdatesAfterSinceAndTheSeqTheyReach() throws {
        let (engine, _, collected) = try engine()
        var writes = TestBatch()
        for k in 1...5 { writes.ledger("u", 100, reference: "r\(k)", token: UInt64(k)) }
        engine.submit(writes, to: collected)
        var replays = TestBatch()
        replays.replay("u", since: 2, token: 9)
        replays.replay("nobody", since: 0, token: 10)
        engine.submit(replays, to: collected)
        engine.flush()
        guard let replay = collected.allReplies[5].1.replay, let none = collected.allReplies[6].1.replay else {
            Issue.record("unexpected \(collected.allReplies)")
            return
        }
        #expect(replay.balance == Money(minorUnits: 500) && replay.lastSeq == 5 && replay.updates.map(\.userSeq) == [3, 4, 5])
        #expect(none.balance == .zero && none.lastSeq == 0 && none.updates.isEmpty)
    }
}
