import Glibc
import Synchronization
import Testing
@testable import Hub
@testable import Money
@testable import Records

/// A provider's answer applied as a webhook would be (`RecordProviderCheck`), on a real
/// SQLite file: paid confirms (a gap at once past the grace), failed fails, money for a
/// reference we never saw is unmatched, an answer given twice moves nothing the second
/// time, and the reconciliation schedule (`next_check_at`) is kept and cleared.
@Suite("Provider checks")
struct ProviderCheckTests {
    private func engine(_ clock: ManualClock) throws -> (MoneyEngine, RecordsStore) {
        var template = Array("/tmp/livehub-checks-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let store = try RecordsStore(path: dir + "/livehub.db")
        var configuration = MoneyEngine.Configuration()
        configuration.gapGrace = 60_000
        configuration.reconcileAfter = 600_000
        return (try MoneyEngine(store: store, clock: clock, configuration: configuration) { _ in }, store)
    }

    private func run<Operation: MoneyOperation>(_ engine: MoneyEngine, _ operation: Operation) throws -> Operation.Reply {
        let answer = Mutex<MoneyResult<Operation.Reply>?>(nil)
        engine.submit(operation) { result in answer.withLock { $0 = result } }
        engine.flush()
        guard let result = answer.withLock({ $0 }) else { throw Unanswered() }
        return try result.get()
    }

    struct Unanswered: Error {}

    private func initialized(_ reference: String, at clock: ManualClock) -> RecordPaymentEvent {
        RecordPaymentEvent(PaymentEvent(reference: reference, provider: "paystack", stage: .initialized, amount: Money(minorUnits: 500_000),
                                        currency: "NGN", userId: "u1", receivedAt: clock.nowMilliseconds))
    }

    private func answer(_ reference: String, _ outcome: ProviderCheck.Outcome, amount: Int64 = 500_000, at clock: ManualClock) -> ProviderCheck {
        ProviderCheck(reference: reference, provider: "paystack", askedAt: clock.nowMilliseconds, asker: .reconcile, outcome: outcome,
                      detail: outcome == .failed ? "Declined" : nil, amount: Money(minorUnits: amount), currency: "NGN", providerReference: "3001")
    }

    @Test func paidConfirmsAndPastTheGraceIsAGapAtOnceAndTwiceMovesNothing() throws {
        let clock = ManualClock()
        let (engine, store) = try engine(clock)
        _ = try run(engine, initialized("p1", at: clock))
        #expect(try store.paymentsToCheck(now: clock.nowMilliseconds + 600_000, providers: ["paystack"], limit: 10).map(\.payment.reference) == ["p1"])
        #expect(try store.paymentsToCheck(now: clock.nowMilliseconds + 600_000, providers: ["stripe"], limit: 10).isEmpty)
        clock.advance(milliseconds: 600_000)
        let first = try run(engine, RecordProviderCheck(answer("p1", .paid, at: clock), next: (1, clock.nowMilliseconds + 1_200_000)))
        #expect(first.check.moved == "paid" && first.payment?.confirmedAt != nil && first.payment?.isGap == true)
        #expect(first.payment?.providerReference == "3001")
        let again = try run(engine, RecordProviderCheck(answer("p1", .paid, at: clock)))
        #expect(again.check.moved == nil)
        #expect(try store.providerChecks(references: ["p1"], limit: 10).map(\.moved) == [nil, "paid"])
        // Confirmed by the provider: not in doubt, not asked again.
        #expect(try store.paymentsToCheck(now: clock.nowMilliseconds + 1_200_000, providers: ["paystack"], limit: 10).isEmpty)
    }

    @Test func failedFailsAndClearsTheSchedule() throws {
        let clock = ManualClock()
        let (engine, store) = try engine(clock)
        _ = try run(engine, initialized("p2", at: clock))
        let reply = try run(engine, RecordProviderCheck(answer("p2", .failed, at: clock)))
        #expect(reply.check.moved == "failed" && reply.payment?.status == .failed && reply.payment?.errorMessage == "Declined")
        #expect(try store.paymentsToCheck(now: .max / 2, providers: ["paystack"], limit: 10).isEmpty)
    }

    /// A question read while the payment was in doubt, answered after a webhook confirmed
    /// it: the payment is not asked about again.
    @Test func aPaymentConfirmedWhileItsQuestionWaitedIsNotScheduledAgain() throws {
        let clock = ManualClock()
        let (engine, store) = try engine(clock)
        _ = try run(engine, initialized("p5", at: clock))
        var webhook = PaymentEvent(reference: "p5", provider: "paystack", stage: .webhookReceived, amount: Money(minorUnits: 500_000),
                                   currency: "NGN", userId: "u1", receivedAt: clock.nowMilliseconds)
        webhook.fromProvider = true
        _ = try run(engine, RecordPaymentEvent(webhook))
        let reply = try run(engine, RecordProviderCheck(answer("p5", .paid, at: clock), next: (1, clock.nowMilliseconds + 1_200_000)))
        #expect(reply.check.moved == nil)
        #expect(try store.paymentsToCheck(now: .max / 2, providers: ["paystack"], limit: 10).isEmpty)
    }

    @Test func moneyForAReferenceNobodyInitializedIsUnmatchedAndAListingOfKnownOnesKeepsNothing() throws {
        let clock = ManualClock()
        let (engine, store) = try engine(clock)
        let stranger = try run(engine, RecordProviderCheck(answer("p3", .paid, at: clock), onlyIfMoved: true))
        #expect(stranger.check.moved == "unmatched" && stranger.payment?.isUnmatched == true)
        let known = try run(engine, RecordProviderCheck(answer("p3", .paid, at: clock), onlyIfMoved: true))
        #expect(known.check.moved == nil)
        #expect(try store.providerChecks(references: ["p3"], limit: 10).count == 1)
    }

    @Test func anotherAmountIsAMismatchAndPendingOrNoAnswerMovesNothing() throws {
        let clock = ManualClock()
        let (engine, _) = try engine(clock)
        _ = try run(engine, initialized("p4", at: clock))
        #expect(try run(engine, RecordProviderCheck(answer("p4", .pending, at: clock))).check.moved == nil)
        #expect(try run(engine, RecordProviderCheck(answer("p4", .error, at: clock))).check.moved == nil)
        let reply = try run(engine, RecordProviderCheck(answer("p4", .paid, amount: 100_000, at: clock)))
        #expect(reply.payment?.isMismatched == true)
    }

    @Test func theScheduleIsTheDelayThenThreeTwelveAndSeventyTwoTimesIt() {
        #expect((0...4).map { ProviderCheck.nextCheck(after: $0, since: 1000, delay: 10) } == [1010, 1030, 1120, 1720, nil])
    }
}
