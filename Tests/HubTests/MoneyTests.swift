import Testing
@testable import Hub

@Suite("Money and the ledger's rule")
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

    /// The ledger's rule itself (the engine and the journal-era replay both decide with
    /// it): a reference seen before is a retry or a conflict, never a second charge, and a
    /// balance never leaves ±`Money.limit`.
    @Test func aReferenceChargesOnceAndABalanceStaysInRange() {
        let original = LedgerTransaction(id: 1, userId: "u", amount: Money(minorUnits: 30), kind: .smsPurchase, description: "",
                                         service: nil, reference: "b", createdAt: 1, balanceAfter: Money(minorUnits: 970), userSeq: 2)
        func decide(existing: LedgerTransaction?, balance: Money = .zero, amount: Money, _ kind: LedgerTransaction.Kind, user: String = "u") -> LedgerOutcome {
            LedgerRule.decide(existing: existing, balance: balance, lastSeq: 2, nextID: 7, userId: user, amount: amount, kind: kind,
                              description: "", service: nil, reference: "b", paymentReference: nil, now: 5)
        }
        guard case .existing(let retry) = decide(existing: original, amount: Money(minorUnits: 30), .smsPurchase), retry == original else {
            Issue.record("the same request again is a retry, answered with the original")
            return
        }
        for (amount, kind, user) in [(Money(minorUnits: 99_900), LedgerTransaction.Kind.debit, "u"), (Money(minorUnits: 30), .smsPurchase, "v")] {
            guard case .conflict(let kept) = decide(existing: original, amount: amount, kind, user: user), kept == original else {
                Issue.record("another amount, type or user under a used reference is a conflict carrying the original")
                return
            }
        }
        guard case .new(let t) = decide(existing: nil, balance: Money(minorUnits: 1_000), amount: Money(minorUnits: 200), .debit) else {
            Issue.record("a new reference is a new transaction")
            return
        }
        #expect(t.id == 7 && t.userSeq == 3 && t.balanceAfter == Money(minorUnits: 800) && t.createdAt == 5)
        let huge = Money(decimal: "9999999999999.99")!
        guard case .new = decide(existing: nil, amount: huge, .credit), case .outOfRange = decide(existing: nil, balance: huge, amount: huge, .credit) else {
            Issue.record("the first large credit fits, the second would pass the limit")
            return
        }
        #expect((Money(minorUnits: .max) + Money(minorUnits: 1)).minorUnits == .max)
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

    /// Cluster mode: the velocity rule from the records (each node wrote some of the
    /// user's transactions) alerts where the memory rule does, for the same history.
    @Test func theVelocityRuleFromTheRecordsAlertsWhereTheMemoryRuleDoes() {
        let times: [Int64] = Array(0..<17) + [200_000, 290_000] + (0..<11).map { 600_000 + $0 } + (0..<30).map { 900_000 + $0 * 40_000 }
        let memory = AlertRules()
        let records = AlertRules()
        var written: [Int64: Int64] = [:]
        var fromMemory: [Int] = [], fromRecords: [Int] = []
        for (i, at) in times.enumerated() {
            var t = transaction("1", .credit, balanceAfter: "1", at: at)
            t.userSeq = Int64(i + 1)
            written[t.userSeq] = at
            if memory.transactionApplied(t).contains(where: { $0.kind == .highVelocity }) { fromMemory.append(i) }
            #expect(!records.transactionApplied(t, countingVelocity: false).contains { $0.kind == .highVelocity })
            #expect(records.velocitySeqs(t).allSatisfy { $0 < t.userSeq && $0 > 0 })
            if records.velocityFromRecords(t, createdAt: { written[$0] }) != nil { fromRecords.append(i) }
        }
        #expect(fromMemory == [10, 19 + 10])
        #expect(fromRecords == fromMemory)
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
