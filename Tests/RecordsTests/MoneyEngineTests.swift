import Glibc
import Synchronization
import Testing
@testable import Hub
@testable import Records

/// The money engine against a real SQLite file, with a clock the test moves.
@Suite("Money engine")
struct MoneyEngineTests {
    final class Collected: @unchecked Sendable {
        private let lock = Mutex<([MoneyEffect], [(UInt64, MoneyReply)])>(([], []))
        func effects(_ new: [MoneyEffect]) { lock.withLock { $0.0 += new } }
        func replies(_ new: [(token: UInt64, reply: MoneyReply)]) { lock.withLock { $0.1 += new.map { ($0.token, $0.reply) } } }
        var allEffects: [MoneyEffect] { lock.withLock { $0.0 } }
        var allReplies: [(UInt64, MoneyReply)] { lock.withLock { $0.1 } }
    }

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

    private func entry(_ user: String, _ cents: Int64, _ kind: LedgerTransaction.Kind = .credit, reference: String, payment: String? = nil) -> MoneyCommand {
        .ledger(LedgerEntry(userId: user, amount: Money(minorUnits: cents), kind: kind, description: "d", service: nil,
                            reference: reference, paymentReference: payment))
    }

    @Test func oneBatchIsOneCommitAndItsAnswersComeAfterIt() throws {
        let (engine, store, collected) = try engine()
        engine.submit([(entry("u", 500, reference: "a"), 1), (entry("u", 200, .debit, reference: "b"), 2),
                       (entry("u", 500, reference: "a"), 3), (entry("v", 100, reference: "a"), 4), (.balance(userId: "u"), 5)],
                      replies: collected.replies)
        engine.flush()
        let replies = collected.allReplies
        #expect(replies.map(\.0) == [1, 2, 3, 4, 5])
        guard case .transaction(let first, true) = replies[0].1, case .transaction(let second, true) = replies[1].1,
              case .transaction(let retry, false) = replies[2].1, case .refused(.referenceConflict) = replies[3].1,
              case .balance(_, let balance) = replies[4].1 else {
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
        var commands: [(MoneyCommand, UInt64)] = []
        for k in 0..<150 {
            commands.append((entry("user\(k % 7)", Int64(100 + k), k % 5 == 0 ? .debit : .credit, reference: "r\(k)"), UInt64(k + 1)))
            if k == 90 {
                commands.append((.activity(ActivityEvent(id: 0, userId: "user1", email: nil, action: "x", status: "success",
                                                         details: nil, errorMessage: nil, createdAt: 0)), 1000))
            }
        }
        engine.submit(commands, replies: collected.replies)
        engine.flush()
        // A second group: a run, a write of another kind, and a run whose last write repeats
        // a reference of the first group (so the first run had gone in before it failed).
        let activity = MoneyCommand.activity(ActivityEvent(id: 0, userId: "user2", email: nil, action: "y", status: "success",
                                                           details: nil, errorMessage: nil, createdAt: 0))
        engine.submit((150..<190).map { k in (entry("user\(k % 7)", 100, reference: "r\(k)"), UInt64(k + 1)) } + [(activity, 1001)]
                      + (190..<230).map { k in (entry("user\(k % 7)", 100, reference: "r\(k)"), UInt64(k + 1)) }
                      + [(entry("user3", 103, reference: "r3"), 999)], replies: collected.replies)
        engine.flush()
        let replies = collected.allReplies
        #expect(replies.count == 233)
        guard case .transaction(let retried, false) = replies.last?.1 else {
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
        engine.submit([(entry("u", 500, reference: "a"), 1)], replies: collected.replies)
        engine.flush()
        try store.db.execute("PRAGMA query_only = ON")  // every write now fails in SQLite
        engine.submit([(entry("u", 100, reference: "b"), 2), (.activity(ActivityEvent(id: 0, userId: "u", email: nil, action: "x", status: "success",
                                                                                          details: nil, errorMessage: nil, createdAt: 0)), 3)],
                      replies: collected.replies)
        engine.flush()
        for (_, reply) in collected.allReplies.dropFirst() {
            guard case .unavailable = reply else {
                Issue.record("expected unavailable, got \(reply)")
                continue
            }
        }
        try store.db.execute("PRAGMA query_only = OFF")
        engine.submit([(entry("u", 100, reference: "c"), 4), (.balance(userId: "u"), 5)], replies: collected.replies)
        engine.flush()
        guard case .transaction(let t, true) = collected.allReplies[3].1, case .balance(_, let balance) = collected.allReplies[4].1 else {
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
        engine.submit([(.paymentEvent(PaymentEvent(reference: "p", provider: "stripe", stage: .completed, amount: Money(minorUnits: 900),
                                                   receivedAt: 0)), 1)], replies: collected.replies)
        engine.submit(.checkGaps)
        engine.flush()
        #expect(try store.openProblems().isEmpty)  // within the grace
        clock.advance(seconds: 61)
        engine.submit(.checkGaps)
        engine.submit(.checkGaps)
        engine.flush()
        let problems = try store.openProblems()
        #expect(problems.map(\.reference) == ["p"] && problems.first?.gapSince == clock.nowMilliseconds)
        let pending = try store.pendingAlerts()
        #expect(pending.map(\.alert.kind) == [.paymentGap])
        // Credited: no longer a gap.
        engine.submit([(entry("u", 900, reference: "credit-p", payment: "p"), 2)], replies: collected.replies)
        engine.flush()
        #expect(try store.openProblems().isEmpty)
        #expect(try store.payment("p")?.status == .credited)
    }

    @Test func aReplayIsTheUpdatesAfterSinceAndTheSeqTheyReach() throws {
        let (engine, _, collected) = try engine()
        engine.submit((1...5).map { (entry("u", 100, reference: "r\($0)"), UInt64($0)) }, replies: collected.replies)
        engine.submit([(.balanceReplay(userId: "u", since: 2), 9), (.balanceReplay(userId: "nobody", since: 0), 10)], replies: collected.replies)
        engine.flush()
        guard case .balanceReplay(let balance, let lastSeq, let updates) = collected.allReplies[5].1,
              case .balanceReplay(let none, 0, let nothing) = collected.allReplies[6].1 else {
            Issue.record("unexpected \(collected.allReplies)")
            return
        }
        #expect(balance == Money(minorUnits: 500) && lastSeq == 5 && updates.map(\.userSeq) == [3, 4, 5])
        #expect(none == .zero && nothing.isEmpty)
    }
}
