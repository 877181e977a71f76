import Glibc
import Testing
@testable import Hub

@Suite("Money, ledger, payments and the journal")
struct MoneyTests {
    @Test func decimalsBecomeExactCentsAndBack() {
        #expect(Money(decimal: "12.5")?.minorUnits == 1250)
        #expect(Money(decimal: "0.07")?.minorUnits == 7)
        #expect(Money(decimal: "1200")?.minorUnits == 120_000)
        #expect(Money(decimal: "1.500")?.minorUnits == 150)
        #expect(Money(decimal: "-3.10")?.minorUnits == -310)
        // 0.1 + 0.2 is 0.30 exactly, as money must be.
        #expect((Money(decimal: "0.1")! + Money(decimal: "0.2")!).description == "0.30")
        for bad in ["", ".", "1.005", "1e3", "12,5", "1.2.3", "--1", "99999999999999", "abc"] {
            #expect(Money(decimal: bad) == nil, "\(bad)")
        }
        #expect(Money(minorUnits: -7).description == "-0.07")
    }

    @Test func aLedgerBalanceIsTheSumOfItsTransactionsAndAReferenceChargesOnce() {
        let book = JournalReplay()
        func post(_ amount: String, _ kind: LedgerTransaction.Kind, _ reference: String, user: String = "u1") -> LedgerTransaction {
            switch book.prepareTransaction(userId: user, amount: Money(decimal: amount)!, kind: kind, description: "", service: nil, reference: reference, now: 1) {
            case .new(let t):
                book.apply(.transaction(t))
                return t
            case .existing(let t):
                return t
            case .conflict(let t):
                return t
            case .outOfRange:
                fatalError("not at these amounts")
            }
        }
        _ = post("10.00", .credit, "a")
        _ = post("0.30", .smsPurchase, "b")
        let retry = post("999", .debit, "b")  // same reference, other values: a conflict carrying the original, nothing charged
        #expect(retry.kind == .smsPurchase && retry.amount.description == "0.30")
        _ = post("2.00", .debit, "c")
        let refund = post("0.30", .refund, "d")
        _ = post("5.00", .credit, "e", user: "u2")
        #expect(refund.balanceAfter.description == "8.00" && refund.userSeq == 4)
        #expect(book.balance(of: "u1") == Money(decimal: "8.00"))
        let sum = book.transactions.filter { $0.userId == "u1" }.reduce(Money.zero) { $0 + $1.delta }
        #expect(sum == book.balance(of: "u1"))
        #expect(book.transactions(of: "u1", after: 2).map(\.reference) == ["c", "d"])
        #expect(book.transactions(of: "u1", after: 4).isEmpty)
        #expect(book.lastSeq(of: "u2") == 1)
        // A balance beyond the ledger's range is refused, never wrapped or trapped.
        let huge = Money(decimal: "9999999999999.99")!
        guard case .new(let first) = book.prepareTransaction(userId: "big", amount: huge, kind: .credit, description: "",
                                                             service: nil, reference: "big1", now: 1) else {
            Issue.record("the first large credit fits")
            return
        }
        book.apply(.transaction(first))
        guard case .outOfRange = book.prepareTransaction(userId: "big", amount: huge, kind: .credit, description: "",
                                                          service: nil, reference: "big2", now: 1) else {
            Issue.record("the second would pass the limit")
            return
        }
        #expect(book.balance(of: "big") == huge)
        #expect((Money(minorUnits: .max) + Money(minorUnits: 1)).minorUnits == .max)
    }

    @Test func paymentStagesOutOfOrderAndTwiceKeepTheFurthestAndGapsFollowTheGrace() {
        let book = JournalReplay()
        func event(_ stage: Payment.Stage, _ at: Int64, _ reference: String = "p1") {
            book.apply(.paymentEvent(PaymentEvent(reference: reference, provider: "paystack", stage: stage,
                                                  amount: Money(decimal: "20"), receivedAt: at)))
        }
        event(.webhookReceived, 1000)
        event(.initialized, 900)  // late and out of order
        event(.webhookReceived, 1100)  // twice
        #expect(book.payment("p1")?.status == .webhookReceived)
        #expect(book.paymentsBecomingGaps(now: 1000 + 299_999, grace: 300_000).isEmpty)
        #expect(book.paymentsBecomingGaps(now: 1000 + 300_000, grace: 300_000) == ["p1"])
        book.apply(.gapOpened(reference: "p1", at: 301_000))
        #expect(book.openGaps.map(\.reference) == ["p1"])
        #expect(book.paymentsBecomingGaps(now: 400_000, grace: 300_000).isEmpty)  // announced once
        event(.credited, 302_000)
        #expect(book.openGaps.isEmpty && book.payment("p1")?.status == .credited)
        event(.failed, 303_000)  // credited money stays credited
        #expect(book.payment("p1")?.status == .credited)
        event(.initialized, 1, "p2")
        event(.failed, 2, "p2")
        event(.completed, 3, "p2")
        #expect(book.payment("p2")?.status == .failed)
    }

    @Test func theJournalReplaysEveryRecordAndCutsATornTail() throws {
        let path = "/tmp/livehub-journal-test-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        defer { unlink(path) }
        var (journal, contents) = try Journal.open(path: path, policy: .always)
        #expect(contents.records.isEmpty)
        let records: [JournalRecord] = [
            .transaction(LedgerTransaction(id: 1, userId: "u", amount: Money(minorUnits: 5), kind: .credit, description: "d",
                                           service: "sms", reference: "r", createdAt: 7, balanceAfter: Money(minorUnits: 5), userSeq: 1)),
            .paymentEvent(PaymentEvent(reference: "p", provider: "stripe", stage: .completed, amount: nil, email: "e", receivedAt: 9)),
            .gapOpened(reference: "p", at: 10),
            .paymentResolved(reference: "p", note: nil, by: "api-key", at: 11),
        ]
        for record in records { try journal.append(record) }
        (journal, contents) = try Journal.open(path: path, policy: .batch)
        #expect(contents.records.map(\.record) == records)
        #expect(contents.records.map(\.lsn) == [1, 2, 3, 4])
        #expect(journal.lastLSN == 4)
        // A crash mid-append leaves half a record: it is cut off and reported, the rest stays.
        let fd = open(path, O_WRONLY | O_APPEND)
        _ = write(fd, [9, 0, 0, 0, 1, 2], 6)
        close(fd)
        (journal, contents) = try Journal.open(path: path, policy: .batch)
        #expect(contents.records.count == 4 && contents.damagedBytes == 6 && contents.damage != nil)
        try journal.append(.gapOpened(reference: "q", at: 12))
        try journal.sync()
        (journal, contents) = try Journal.open(path: path, policy: .batch)
        #expect(contents.records.count == 5 && contents.damage == nil && contents.records.last?.lsn == 5)
    }

    @Test func compactionKeepsWhatTheSnapshotBeforeTheNewestNeeds() throws {
        let path = "/tmp/livehub-journal-compact-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        defer { unlink(path) }
        let (journal, _) = try Journal.open(path: path, policy: .batch)
        try journal.append(.gapOpened(reference: "a", at: 1))
        try journal.snapshotSaved()  // snapshot 1 holds LSN 1
        try journal.append(.gapOpened(reference: "b", at: 2))
        try journal.snapshotSaved()  // snapshot 2 holds LSN 2; snapshot 1 becomes .prev
        try journal.append(.gapOpened(reference: "c", at: 3))
        try journal.sync()
        let (_, contents) = try Journal.open(path: path, policy: .batch)
        // LSN 1 is in both snapshots: dropped. LSN 2 is needed if the newest snapshot is lost.
        #expect(contents.records.map(\.lsn) == [2, 3])
    }

    @Test func aVersion2SnapshotCarriesTheMoneyRecords() throws {
        let records: [JournalRecord] = [.gapOpened(reference: "x", at: 5), .paymentResolved(reference: "x", note: "n", by: "support", at: 6), .paymentUnmatched(reference: "y", at: 7)]
        let snapshot = HubSnapshot(savedAt: 1, sessions: [], paymentErrors: [], nextErrorID: 1, money: records, journalLSN: 42)
        let decoded = try HubSnapshot.decode(snapshot.encoded())
        #expect(decoded.money == records && decoded.journalLSN == 42)
    }
}

@Suite("Alert rules")
struct AlertRuleTests {
    func transaction(_ amount: String, _ kind: LedgerTransaction.Kind, balanceAfter: String, at: Int64, user: String = "u") -> LedgerTransaction {
        LedgerTransaction(id: 1, userId: user, amount: Money(decimal: amount)!, kind: kind, description: "", service: nil,
                          reference: "r\(at)", createdAt: at, balanceAfter: Money(decimal: balanceAfter)!, userSeq: 1)
    }

    @Test func largeDeductionsNegativeBalancesAndBurstsAlertOnce() {
        let rules = AlertRules()
        #expect(rules.transactionApplied(transaction("50.00", .debit, balanceAfter: "10", at: 0)).isEmpty)  // at the limit: fine
        #expect(rules.transactionApplied(transaction("50.01", .smsPurchase, balanceAfter: "-0.01", at: 1)).map(\.kind) == [.largeDeduction, .negativeBalance])
        #expect(rules.transactionApplied(transaction("500", .credit, balanceAfter: "499", at: 2)).isEmpty)  // credits are not deductions
        var velocity = 0
        for i in 3..<20 { velocity += rules.transactionApplied(transaction("1", .credit, balanceAfter: "1", at: Int64(i))).filter { $0.kind == .highVelocity }.count }
        #expect(velocity == 1)
        // Five minutes later the burst is over; a new one alerts again.
        var later = 0
        for i in 0..<11 { later += rules.transactionApplied(transaction("1", .credit, balanceAfter: "1", at: 600_000 + Int64(i))).filter { $0.kind == .highVelocity }.count }
        #expect(later == 1)
    }

    @Test func aSpikeOfPaymentErrorsAlertsOncePerWindow() {
        let rules = AlertRules()
        let results = (0..<12).map { rules.paymentErrorRecorded(at: Int64($0) * 1000) }
        #expect(results.compactMap { $0?.kind } == [.paymentErrorSpike])
        #expect(results[4] != nil)
        // Still spiking: the next alert comes a full window after the first (at 4 s), not before.
        #expect([61_000, 62_000, 63_000, 64_000].map { rules.paymentErrorRecorded(at: $0) != nil } == [false, false, false, true])
    }
}

@Suite("A credit that pays a payment")
struct CreditingTransactionTests {
    @Test func theCreditAndThePaymentSurviveTheJournalAndASnapshotAlike() throws {
        let book = JournalReplay()
        book.apply(.paymentEvent(PaymentEvent(reference: "p1", provider: "paystack", stage: .completed, amount: Money(minorUnits: 500), receivedAt: 1)))
        guard case .new(let transaction) = book.prepareTransaction(userId: "u", amount: Money(minorUnits: 500), kind: .credit, description: "",
                                                                   service: nil, reference: "t1", paymentReference: "p1", now: 2) else {
            Issue.record("expected a new transaction")
            return
        }
        let record = JournalRecord.transaction(transaction)
        book.apply(record)
        #expect(book.payment("p1")?.status == .credited)
        // Through the journal's encoding: the record keeps its payment reference.
        var writer = ByteWriter()
        record.encode(into: &writer)
        var reader = ByteReader(writer.bytes)
        #expect(try JournalRecord.decode(from: &reader) == record)
        // Through a snapshot (transactions before payments): credited, provider kept.
        let restored = JournalReplay()
        for r in book.records { restored.apply(r) }
        #expect(restored.payment("p1")?.status == .credited)
        #expect(restored.payment("p1")?.provider == "paystack")
        #expect(restored.balance(of: "u") == Money(minorUnits: 500))
        // A reused reference with another amount is a conflict, with the same one a retry.
        if case .conflict = book.prepareTransaction(userId: "u", amount: Money(minorUnits: 1), kind: .credit, description: "", service: nil, reference: "t1", now: 3) {} else { Issue.record("expected a conflict") }
        if case .existing = book.prepareTransaction(userId: "u", amount: Money(minorUnits: 500), kind: .credit, description: "x", service: nil, reference: "t1", now: 3) {} else { Issue.record("expected a retry") }
    }
}

@Suite("Unmatched payments")
struct UnmatchedPaymentTests {
    @Test func theShopsOwnInitializedOrCreditMatchesIt() {
        for stage in [Payment.Stage.initialized, .credited] {
            let book = JournalReplay()
            book.apply(.paymentEvent(PaymentEvent(reference: "x", provider: "paystack", stage: .webhookReceived, receivedAt: 1)))
            book.apply(.paymentUnmatched(reference: "x", at: 1))
            #expect(book.openGaps.map(\.problem) == [.unmatched])
            book.apply(.paymentEvent(PaymentEvent(reference: "x", provider: "shop", stage: stage, receivedAt: 2)))
            #expect(book.payment("x")?.isUnmatched == false, "\(stage)")
        }
    }
}
