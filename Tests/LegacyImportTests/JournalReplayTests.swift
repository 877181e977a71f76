import Testing
@testable import Hub
@testable import LegacyImport

/// The journal era's state, rebuilt record by record: what the import writes as rows and
/// `snapshot inspect` counts.
@Suite("Replaying the journal era's money")
struct JournalReplayTests {
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

    @Test func anUnmatchedPaymentIsMatchedByTheShopsOwnInitializedOrCredit() {
        for stage in [Payment.Stage.initialized, .credited] {
            let book = JournalReplay()
            book.apply(.paymentEvent(PaymentEvent(reference: "x", provider: "paystack", stage: .webhookReceived, receivedAt: 1)))
            book.apply(.paymentUnmatched(reference: "x", at: 1))
            #expect(book.openGaps.map(\.problem) == [.unmatched])
            book.apply(.paymentEvent(PaymentEvent(reference: "x", provider: "shop", stage: stage, receivedAt: 2)))
            #expect(book.payment("x")?.isUnmatched == false, "\(stage)")
        }
    }

    private func delivery(_ id: Int64, payloadBytes: Int) -> JournalRecord {
        .webhookDelivery(WebhookLogEntry(id: id, provider: "paystack", receivedAt: id, signatureValid: true, status: .processed,
                                         errorMessage: nil, reference: "r\(id)", payload: String(repeating: "x", count: payloadBytes),
                                         headers: ["a: b"], deliveryKey: "k\(id)"))
    }

    @Test func theWebhookLogKeepsToItsByteBudgetNewestFirst() {
        let book = JournalReplay()
        book.webhookLog.maxBytes = 100_000
        for id in 1...200 { book.apply(delivery(Int64(id), payloadBytes: 5_000)) }
        let bytes = book.webhookLog.entries.reduce(0) { $0 + $1.byteCost }
        #expect(bytes <= 100_000 && bytes == book.webhookLog.byteCount)
        #expect(book.webhookLog.entries.count >= 14, "at least three quarters of the budget stays in use")
        #expect(book.webhookLog.entries.last?.id == 200)
        // Duplicates stay known after their entries are dropped.
        #expect(book.isDuplicateDelivery("k1"))
    }
}
