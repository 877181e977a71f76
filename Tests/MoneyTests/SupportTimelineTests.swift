import Glibc
import Testing
@testable import Hub
@testable import Money
@testable import Records

/// `ReadSupportTimeline`'s rules on a real SQLite file, its rows written by the engine: who
/// the person is (the key asked, widened through the links payments and activity make),
/// whose rows are theirs, and the bounds.
@Suite("Support timeline")
struct SupportTimelineTests {
    private func engine() throws -> (MoneyEngine, RecordsStore) {
        var template = Array("/tmp/livehub-timeline-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let store = try RecordsStore(path: dir + "/livehub.db")
        return (try MoneyEngine(store: store, clock: ManualClock(), configuration: MoneyEngine.Configuration()) { _ in }, store)
    }

    private func write(_ engine: MoneyEngine, _ build: (inout TestBatch) -> Void) {
        var batch = TestBatch()
        build(&batch)
        engine.submit(batch, to: Collected())
        engine.flush()
    }

    private func activity(_ batch: inout TestBatch, user: String?, email: String?, action: String) {
        batch.batch.add(RecordActivity(ActivityEvent(id: 0, userId: user, email: email, action: action, status: "success",
                                                     details: nil, errorMessage: nil, createdAt: 0))) { (0, .activity($0)) }
    }

    private func payment(_ batch: inout TestBatch, _ reference: String, user: String?, email: String?, phone: String?) {
        batch.paymentEvent(PaymentEvent(reference: reference, provider: "paystack", stage: .initialized, amount: Money(minorUnits: 1000),
                                        currency: "NGN", userId: user, email: email, phone: phone, receivedAt: 0), token: 0)
    }

    /// Ann: an event under her email alone, her user id tied to it by a later event, a payment
    /// under her phone and user id, a ledger. Bob: his own, with nothing in common.
    private func twoPeople() throws -> (MoneyEngine, RecordsStore) {
        let (engine, store) = try engine()
        write(engine) { batch in
            activity(&batch, user: nil, email: "Ann@Shop.test", action: "registration_started")
            activity(&batch, user: "u-ann", email: "ann@shop.test", action: "registration_completed")
            payment(&batch, "ann-pay", user: "u-ann", email: nil, phone: "+254700000001")
            batch.ledger("u-ann", 500, reference: "ann-led", payment: "ann-pay", token: 0)
            activity(&batch, user: "u-bob", email: "bob@shop.test", action: "registration_completed")
            payment(&batch, "bob-pay", user: "u-bob", email: "bob@shop.test", phone: "+254700000002")
            batch.ledger("u-bob", 700, reference: "bob-led", token: 0)
        }
        return (engine, store)
    }

    @Test func everyKeyFindsTheSamePersonAndOnlyThem() throws {
        let (_, store) = try twoPeople()
        let keys: [ReadSupportTimeline.Key] = [.email("ANN@shop.test"), .phone("+254 700 000 001"), .userId("u-ann"), .reference("ann-pay"),
                                               .reference("ann-led")]
        for key in keys {
            let story = try ReadSupportTimeline(key).read(from: store, now: 0)
            #expect(Set(story.person.userIds) == ["u-ann"], "\(key)")
            #expect(story.person.emails.map(EmailKey.of) == ["ann@shop.test"], "\(key)")
            #expect(story.person.phones.map(PhoneNumber.digits) == ["254700000001"], "\(key)")
            #expect(story.person.references == ["ann-pay"], "\(key)")
            #expect(Set(story.activity.map(\.action)) == ["registration_started", "registration_completed"], "\(key)")
            #expect(story.payments.map(\.reference) == ["ann-pay"] && story.paymentEvents.map(\.reference) == ["ann-pay"], "\(key)")
            #expect(story.transactions.map(\.reference) == ["ann-led"], "\(key)")
            #expect(story.balances == [SupportTimeline.Balance(userId: "u-ann", balance: Money(minorUnits: 500))], "\(key)")
            #expect(story.truncated == SupportTimeline.Truncated(), "\(key)")
        }
    }

    /// Without the widening, the email finds only the event under it: the rule is what makes
    /// the user id (and through it the payment, the phone and the ledger) hers.
    @Test func theEmailLeadsToTheUserAndTheUserToThePhone() throws {
        let (_, store) = try twoPeople()
        let story = try ReadSupportTimeline(.email("ann@shop.test")).read(from: store, now: 0)
        #expect(story.person.keyCount == 3 && story.person.presenceKeys.contains(.phone("+254700000001")))
        #expect(story.payments.count == 1 && story.transactions.count == 1)
    }

    @Test func aKeyNothingNamesIsAnEmptyStoryWithoutABalance() throws {
        let (_, store) = try twoPeople()
        let story = try ReadSupportTimeline(.userId("u-nobody")).read(from: store, now: 0)
        #expect(story.person.userIds == ["u-nobody"] && story.balances.isEmpty && story.payments.isEmpty && story.activity.isEmpty)
        let unknown = try ReadSupportTimeline(.reference("nothing")).read(from: store, now: 0)
        #expect(unknown.person.keyCount == 0 && unknown.person.references.isEmpty && unknown.transactions.isEmpty)
    }

    @Test func aUserTheRecordsNameWithoutALedgerHasABalanceOfZero() throws {
        let (engine, store) = try engine()
        write(engine) { activity(&$0, user: "u-new", email: nil, action: "registration_completed") }
        let story = try ReadSupportTimeline(.userId("u-new")).read(from: store, now: 0)
        #expect(story.balances == [SupportTimeline.Balance(userId: "u-new", balance: .zero)])
    }

    @Test func eachSectionKeepsItsNewestAndSaysWhenThereWereMore() throws {
        let (engine, store) = try engine()
        write(engine) { batch in
            for i in 0..<5 {
                batch.ledger("u-many", 100, reference: "led-\(i)", token: 0)
                activity(&batch, user: "u-many", email: "many@shop.test", action: "a\(i)")
                payment(&batch, "pay-\(i)", user: "u-many", email: nil, phone: nil)
            }
        }
        let story = try ReadSupportTimeline(.userId("u-many"), limit: 3).read(from: store, now: 0)
        #expect(story.transactions.map(\.reference) == ["led-4", "led-3", "led-2"])
        #expect(story.activity.map(\.action) == ["a4", "a3", "a2"])
        #expect(story.payments.map(\.reference) == ["pay-4", "pay-3", "pay-2"])
        #expect(story.truncated.transactions && story.truncated.activity && story.truncated.payments)
        // The events are those of the payments shown.
        #expect(story.paymentEvents.map(\.reference) == ["pay-4", "pay-3", "pay-2"] && !story.truncated.paymentEvents)
        #expect(!story.truncated.person && !story.truncated.alerts && !story.truncated.webhookDeliveries)
        let whole = try ReadSupportTimeline(.userId("u-many"), limit: 5).read(from: store, now: 0)
        #expect(whole.truncated == SupportTimeline.Truncated() && whole.transactions.count == 5)
    }

    /// An email many user ids share (a test account) stops widening at `maxKeys`, and says so.
    @Test func aPersonKnownByTooManyKeysIsCutThere() throws {
        let (engine, store) = try engine()
        write(engine) { batch in
            for i in 0..<40 { payment(&batch, "shared-\(i)", user: "u-\(i)", email: "test@shop.test", phone: nil) }
        }
        let story = try ReadSupportTimeline(.email("test@shop.test")).read(from: store, now: 0)
        #expect(story.person.keyCount == ReadSupportTimeline.maxKeys && story.person.overflowed && story.truncated.person)
        #expect(story.person.emails == ["test@shop.test"])
    }
}
