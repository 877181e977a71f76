import Glibc
import Testing
@testable import Hub
@testable import Records

/// The funnels the records database sums (README "Activity and funnels"): an actor counts at
/// a step once it did that step's action successfully within the window, and every step
/// before it; a payment counts as confirmed once the provider confirmed it or it was
/// credited.
@Suite("Funnels in the records database")
struct FunnelTests {
    private func store() throws -> RecordsStore {
        var template = Array("/tmp/livehub-funnels-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        return try RecordsStore(path: dir + "/livehub.db")
    }

    static let steps = ["registration_started", "registration_completed", "email_verified", "first_login"]

    @Test func anActorCountsAtAStepOnlyWithEveryStepBeforeIt() throws {
        let store = try store()
        var id: Int64 = 0
        func did(_ action: String, user: String? = nil, email: String? = nil, status: String = "success", at time: Int64 = 5_000) throws {
            id += 1
            try store.insert(ActivityEvent(id: id, userId: user, email: email, action: action, status: status, details: nil,
                                           errorMessage: nil, createdAt: time))
        }
        // u1: the whole way, one step twice. u2: two steps. u3: skipped the first.
        for action in Self.steps + ["email_verified"] { try did(action, user: "u1") }
        try did("registration_started", user: "u2")
        try did("registration_completed", user: "u2")
        try did("registration_completed", user: "u3")
        try did("email_verified", user: "u3")
        // By email alone, case-blind: one actor across both spellings.
        try did("registration_started", email: "Ann@Example.com")
        try did("registration_completed", email: "ann@example.com")
        // Failed, or before the window: not counted.
        try did("registration_started", user: "u4", status: "failed")
        try did("registration_started", user: "u5", at: 500)
        #expect(try store.activityFunnel(since: 1_000, steps: Self.steps) == [3, 3, 1, 1])
        #expect(try store.activityFunnel(since: 0, steps: Self.steps) == [4, 3, 1, 1])
        #expect(try store.activityFunnel(since: 1_000, steps: []) == [])
    }

    @Test func paymentsCountAsCreatedConfirmedAndCredited() throws {
        let store = try store()
        func payment(_ reference: String, _ stages: [Payment.Stage], at time: Int64 = 5_000) throws {
            var payment: Payment?
            for (k, stage) in stages.enumerated() {
                let event = PaymentEvent(reference: reference, provider: "paystack", stage: stage, amount: Money(minorUnits: 100),
                                         receivedAt: time + Int64(k))
                if payment == nil { payment = Payment(first: event) } else { payment!.record(event) }
            }
            try store.save(try #require(payment), seq: Int64(reference.utf8.count))
        }
        try payment("a", [.initialized])
        try payment("b", [.initialized, .webhookReceived])
        try payment("c", [.initialized, .webhookReceived, .credited])
        try payment("d", [.initialized, .credited])  // credited with no webhook: confirmed too
        try payment("e", [.initialized, .failed])
        try payment("old", [.initialized, .webhookReceived, .credited], at: 10)
        #expect(try store.paymentFunnel(since: 1_000) == [5, 3, 2])
        #expect(try store.paymentFunnel(since: 0) == [6, 4, 3])
    }
}
