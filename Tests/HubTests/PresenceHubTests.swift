import Testing
@testable import Hub

private func makeHub(idleMinutes: Int64 = 30) -> (PresenceHub, ManualClock) {
    let clock = ManualClock()
    var configuration = PresenceHub.Configuration()
    configuration.idleTimeout = idleMinutes * 60_000
    return (PresenceHub(clock: clock, configuration: configuration), clock)
}

@Suite("Presence counts")
struct PresenceCountTests {
    @Test func everyKindOfEventMovesTheCounts() throws {
        let (hub, _) = makeHub()
        try hub.startSession(id: "a")
        #expect(hub.counters.totalActive == 1)
        #expect(hub.counters.pages.isEmpty, "a started session is on no page yet")

        try hub.pageVisit(sessionId: "a", pageType: "homepage")
        #expect(hub.counters.homepage == 1)

        try hub.pageVisit(sessionId: "a", pageType: "category", identifier: "electronics")
        #expect(hub.counters.homepage == 0)
        #expect(hub.counters.pages == ["category": 1])
        #expect(hub.counters.categories == ["electronics": 1])

        try hub.pageVisit(sessionId: "a", pageType: "offer", identifier: "black-friday")
        #expect(hub.counters.categories.isEmpty, "maps hold non-zero entries only")
        #expect(hub.counters.offers == ["black-friday": 1])

        try hub.checkoutStart(sessionId: "a", items: "[{\"sku\":\"x\"}]", totalAmount: "49.99", paymentMethod: "card")
        #expect(hub.counters.checkout == 1)
        #expect(hub.counters.offers.isEmpty)

        try hub.paymentStart(sessionId: "a", paymentMethod: nil, amount: nil)
        #expect(hub.counters.checkout == 0)
        #expect(hub.counters.payment == 1)

        try hub.paymentError(sessionId: "a", code: "card_declined", message: "Declined", details: nil, email: "a@x.io", phone: nil)
        #expect(hub.counters.payment == 0)
        #expect(hub.counters.paymentErrors == 1)
        #expect(hub.counters.pages["payment_error"] == 1)

        try hub.paymentSuccess(sessionId: "a", reference: "ref", amount: nil)
        #expect(hub.counters.paymentErrors == 0)
        #expect(hub.counters.pages == ["payment_success": 1])
        #expect(hub.session("a")?.checkoutStatus == .completed)

        try hub.heartbeat(sessionId: "a")
        #expect(hub.counters.pages == ["payment_success": 1])

        hub.endSession("a")
        #expect(hub.counters == PresenceCounters())
    }

    @Test func sessionsCountOnceWhateverTheirTabs() throws {
        let (hub, _) = makeHub()
        try hub.tabOpened(sessionId: "s")
        try hub.tabOpened(sessionId: "s")
        try hub.pageVisit(sessionId: "s", pageType: "homepage")
        #expect(hub.counters.totalActive == 1)
        #expect(hub.counters.homepage == 1)
        hub.tabClosed(sessionId: "s")
        #expect(hub.counters.totalActive == 1, "one tab still open")
        hub.tabClosed(sessionId: "s")
        #expect(hub.counters.totalActive == 0)
        #expect(hub.counters.homepage == 0)
    }

    @Test func endingTwiceChangesNothingAndABeaconRevives() throws {
        let (hub, _) = makeHub()
        try hub.pageVisit(sessionId: "s", pageType: "homepage")
        hub.endSession("s")
        hub.endSession("s")
        hub.endSession("never-seen")
        #expect(hub.counters.totalActive == 0)
        try hub.pageVisit(sessionId: "s", pageType: "product")
        #expect(hub.counters.totalActive == 1)
        #expect(hub.counters.pages == ["product": 1])
        #expect(hub.sessionCount == 1)
    }

    @Test func aVisitGetsItsExitAndDuration() throws {
        let (hub, clock) = makeHub()
        try hub.pageVisit(sessionId: "s", pageType: "homepage")
        clock.advance(seconds: 12)
        try hub.pageVisit(sessionId: "s", pageType: "product")
        clock.advance(milliseconds: 1500)
        hub.endSession("s")
        let visits = try #require(hub.session("s")).visits
        #expect(visits.map(\.pageType) == ["homepage", "product"])
        #expect(visits.map(\.durationSeconds) == [12, 1.5])
    }

    @Test func clientInfoIsRecorded() throws {
        let (hub, _) = makeHub()
        try hub.startSession(id: "s", userId: "u1", email: "e@x.io", client: ClientInfo(ip: "10.0.0.1", userAgent: "Firefox"))
        #expect(hub.session("s")?.client == ClientInfo(ip: "10.0.0.1", userAgent: "Firefox"))
        #expect(hub.session("s")?.userId == "u1")
    }
}

@Suite("The idle sweep")
struct SweepTests {
    @Test func expiresAtTheExactBoundaryAndNotBefore() throws {
        let (hub, clock) = makeHub(idleMinutes: 30)
        try hub.pageVisit(sessionId: "s", pageType: "homepage")
        clock.advance(milliseconds: 30 * 60_000)
        #expect(hub.sweep() == 0, "idle exactly the timeout: not longer, still live")
        #expect(hub.counters.homepage == 1)
        clock.advance(milliseconds: 1)
        #expect(hub.sweep() == 1)
        #expect(hub.counters.homepage == 0)
        #expect(hub.counters.totalActive == 0)
        // The visit ends when the session was last seen.
        #expect(hub.session("s")?.visits.last?.durationSeconds == 0)
    }

    @Test func activityPostponesExpiry() throws {
        let (hub, clock) = makeHub(idleMinutes: 1)
        try hub.pageVisit(sessionId: "a", pageType: "homepage")
        try hub.pageVisit(sessionId: "b", pageType: "homepage")
        clock.advance(seconds: 50)
        try hub.heartbeat(sessionId: "a")
        clock.advance(seconds: 20)
        #expect(hub.sweep() == 1)
        #expect(hub.session("a")?.isActive == true)
        #expect(hub.session("b")?.isActive == false)
    }

    @Test func endedSessionsAreForgottenAfterTheirRetention() throws {
        let clock = ManualClock()
        var configuration = PresenceHub.Configuration()
        configuration.endedRetention = 60_000
        let hub = PresenceHub(clock: clock, configuration: configuration)
        try hub.startSession(id: "s")
        hub.endSession("s")
        clock.advance(seconds: 61)
        hub.sweep()
        #expect(hub.sessionCount == 0)
    }
}

@Suite("Payment errors")
struct PaymentErrorTests {
    @Test func carryTheSessionsContextNewestFirst() throws {
        let (hub, clock) = makeHub()
        try hub.startSession(id: "s", email: "buyer@x.io", phone: "+254700000000", client: ClientInfo(ip: "1.2.3.4", userAgent: "UA"))
        try hub.checkoutStart(sessionId: "s", items: "[1]", totalAmount: "10.00", paymentMethod: "mpesa")
        try hub.paymentError(sessionId: "s", code: "e1", message: "first", details: nil, email: nil, phone: nil)
        clock.advance(seconds: 1)
        try hub.paymentError(sessionId: "s", code: "e2", message: "second", details: "{\"k\":1}", email: nil, phone: nil)
        let list = hub.recentPaymentErrors(limit: 10)
        #expect(list.map(\.errorCode) == ["e2", "e1"])
        let newest = try #require(list.first)
        #expect(newest.email == "buyer@x.io")
        #expect(newest.phone == "+254700000000")
        #expect(newest.checkoutItems == "[1]")
        #expect(newest.totalAmount == "10.00")
        #expect(newest.paymentMethod == "mpesa")
        #expect(newest.client.ip == "1.2.3.4")
        #expect(hub.recentPaymentErrors(limit: 1).count == 1)
        #expect(hub.recentPaymentErrors(limit: 10, since: list[1].occurredAt).map(\.errorCode) == ["e2"])
        #expect(hub.takeUnsentPaymentErrors().map(\.errorCode) == ["e1", "e2"])
        #expect(hub.takeUnsentPaymentErrors().isEmpty)
    }

    @Test func theListIsBounded() throws {
        let clock = ManualClock()
        var configuration = PresenceHub.Configuration()
        configuration.recentPaymentErrors = 3
        let hub = PresenceHub(clock: clock, configuration: configuration)
        for i in 0..<5 {
            try hub.paymentError(sessionId: "s", code: "e\(i)", message: "m", details: nil, email: nil, phone: nil)
        }
        #expect(hub.recentPaymentErrors(limit: 10).map(\.errorCode) == ["e4", "e3", "e2"])
    }
}

@Suite("Payment error retention")
struct PaymentErrorRetentionTests {
    @Test func errorsOlderThanTheRetentionAreForgottenAtTheSweep() throws {
        let clock = ManualClock()
        var configuration = PresenceHub.Configuration()
        configuration.paymentErrorRetention = 30 * 86_400_000
        let hub = PresenceHub(clock: clock, configuration: configuration)
        try hub.paymentError(sessionId: "a", code: "old", message: "m", details: nil, email: nil, phone: nil)
        clock.advance(milliseconds: 29 * 86_400_000)
        try hub.paymentError(sessionId: "b", code: "new", message: "m", details: nil, email: nil, phone: nil)
        hub.sweep()
        #expect(hub.recentPaymentErrors().map(\.errorCode) == ["new", "old"])
        clock.advance(milliseconds: 86_400_000 + 1)
        hub.sweep()
        #expect(hub.recentPaymentErrors().map(\.errorCode) == ["new"])
    }
}

@Suite("Erasure")
struct ErasureTests {
    @Test func aPersonsSessionsAndErrorsGoAndTheCountsStayExact() throws {
        let (hub, _) = makeHub()
        try hub.startSession(id: "a", userId: "u1", email: "Ann@Shop.test")
        try hub.pageVisit(sessionId: "a", pageType: "checkout")
        try hub.paymentError(sessionId: "a", code: "x", message: "y", details: nil, email: nil, phone: nil)
        try hub.startSession(id: "b", email: "bob@shop.test")
        try hub.paymentError(sessionId: "b", code: "x", message: "y", details: nil, email: nil, phone: "+1 555 0100")
        hub.endSession("b")
        try hub.startSession(id: "c")
        #expect(hub.count(matching: [.email("ann@shop.TEST")]) == (1, 1))
        let erased = hub.erase([.email("ann@shop.TEST")])
        #expect(erased.sessions == 1 && erased.paymentErrors == 1 && erased.sessionIds == ["a"])
        #expect(hub.session("a") == nil && hub.counters.totalActive == 1 && hub.counters.checkout == 0)
        #expect(hub.recentPaymentErrors().map(\.sessionId) == ["b"])
        #expect(hub.takeUnsentPaymentErrors().map(\.sessionId) == ["b"], "an erased error is not broadcast later")
        let byPhone = hub.erase([.phone("15550100")])
        #expect(byPhone.sessions == 1 && byPhone.paymentErrors == 1, "the phone an error gave is its session's too")
        #expect(hub.erase([.sessionId("b")]).sessions == 0 && hub.sessionCount == 1, "erasing twice finds nothing")
        #expect(hub.snapshot().sessions.map(\.id) == ["c"])
    }

    @Test func whatASessionClaimsBesidesTheKeyWidensNothing() throws {
        let (hub, _) = makeHub()
        // Anyone can start a session naming any user id: erasing that session's email must
        // not reach the user it claims.
        try hub.startSession(id: "mallory", userId: "victim", email: "mallory@evil.test")
        try hub.startSession(id: "victim-tab", userId: "victim", email: "victim@shop.test")
        try hub.paymentError(sessionId: "victim-tab", code: "x", message: "y", details: nil, email: nil, phone: nil)
        let erased = hub.erase([.email("mallory@evil.test")])
        #expect(erased.sessionIds == ["mallory"] && erased.paymentErrors == 0)
        #expect(hub.session("victim-tab") != nil && hub.recentPaymentErrors().count == 1)
    }
}
