import Testing
@testable import Hub

/// The checkout funnel kept per minute equals the scan the server made of every session.
@Suite("Checkout funnel counts")
struct CheckoutFunnelTests {
    /// A minute boundary, so that minute-aligned `since` values are easy to name.
    static let start: Int64 = 29_916_666 * 60_000

    static func makeHub(clock: ManualClock, maxSessions: Int = 1_000_000, idleMinutes: Int64 = 10, retentionMinutes: Int64 = 60) -> PresenceHub {
        var configuration = PresenceHub.Configuration()
        configuration.idleTimeout = idleMinutes * 60_000
        configuration.endedRetention = retentionMinutes * 60_000
        configuration.maxSessions = maxSessions
        return PresenceHub(clock: clock, configuration: configuration)
    }

    /// Minute-aligned values from a minute before `from` to a minute after `to`.
    static func minutes(from: Int64, to: Int64, every step: Int64 = 1) -> [Int64] {
        Array(stride(from: from - 60_000, through: to + 60_000, by: Int(step * 60_000)))
    }

    @Test func aSessionCountsAtEveryStepItReached() throws {
        let clock = ManualClock(Self.start)
        let hub = Self.makeHub(clock: clock)
        try hub.pageVisit(sessionId: "a", pageType: .homepage)
        #expect(hub.checkoutFunnel(since: Self.start) == [1, 0, 0, 0, 0])
        try hub.pageVisit(sessionId: "a", pageType: .offer, identifier: "o")
        #expect(hub.checkoutFunnel(since: Self.start) == [1, 1, 0, 0, 0])
        try hub.checkoutStart(sessionId: "b", items: nil, totalAmount: nil, paymentMethod: nil)
        #expect(hub.checkoutFunnel(since: Self.start) == [2, 2, 1, 0, 0], "a checkout counts as browsing")
        try hub.paymentStart(sessionId: "b", paymentMethod: nil, amount: nil)
        try hub.paymentError(sessionId: "c", code: "x", message: "x", details: nil, email: nil, phone: nil)
        #expect(hub.checkoutFunnel(since: Self.start) == [3, 3, 2, 2, 0])
        try hub.paymentSuccess(sessionId: "b", reference: nil, amount: nil)
        #expect(hub.checkoutFunnel(since: Self.start) == [3, 3, 2, 2, 1])
        hub.endSession("b")
        #expect(hub.checkoutFunnel(since: Self.start) == [3, 3, 2, 2, 1], "ended sessions count while kept")
        #expect(hub.checkoutFunnel(since: Self.start + 60_000) == [0, 0, 0, 0, 0])
        PresenceScans.expectFunnelExact(hub, since: Self.minutes(from: Self.start, to: Self.start))
    }

    @Test func aStepTheSessionsStateNoLongerShowsIsLost() throws {
        let clock = ManualClock(Self.start)
        let hub = Self.makeHub(clock: clock)
        // The product visit falls out of the bounded visit history: no longer browsed.
        try hub.pageVisit(sessionId: "a", pageType: .product, identifier: "p")
        for i in 0..<Session.historyLimit {
            try hub.pageVisit(sessionId: "a", pageType: .homepage, identifier: "\(i)")
            #expect(hub.checkoutFunnel(since: Self.start) == [1, 1, 0, 0, 0])
        }
        try hub.pageVisit(sessionId: "a", pageType: .homepage, identifier: "last")
        #expect(hub.checkoutFunnel(since: Self.start) == [1, 0, 0, 0, 0])
        PresenceScans.expectFunnelExact(hub, since: [Self.start])
        // Paid, then a new checkout: back at its first step; a failed payment after paying unpays.
        try hub.paymentSuccess(sessionId: "b", reference: nil, amount: nil)
        try hub.paymentSuccess(sessionId: "c", reference: nil, amount: nil)
        #expect(hub.checkoutFunnel(since: Self.start) == [3, 2, 2, 2, 2])
        try hub.checkoutStart(sessionId: "b", items: nil, totalAmount: nil, paymentMethod: nil)
        try hub.paymentError(sessionId: "c", code: "x", message: "x", details: nil, email: nil, phone: nil)
        #expect(hub.checkoutFunnel(since: Self.start) == [3, 2, 2, 1, 0])
        PresenceScans.expectFunnelExact(hub, since: [Self.start])
    }

    @Test func aRevivedSessionCountsInTheMinuteItStartedAgain() throws {
        let clock = ManualClock(Self.start)
        let hub = Self.makeHub(clock: clock)
        try hub.checkoutStart(sessionId: "a", items: nil, totalAmount: nil, paymentMethod: nil)
        hub.endSession("a")
        clock.advance(seconds: 5 * 60)
        try hub.heartbeat(sessionId: "a")
        #expect(hub.session("a")?.startedAt == Self.start + 5 * 60_000)
        #expect(hub.checkoutFunnel(since: Self.start) == [1, 1, 1, 0, 0])
        #expect(hub.checkoutFunnel(since: Self.start + 5 * 60_000) == [1, 1, 1, 0, 0])
        #expect(hub.table.settledFunnel().minuteCount == 1, "the minute it left is gone")
        PresenceScans.expectFunnelExact(hub, since: Self.minutes(from: Self.start, to: clock.nowMilliseconds))
    }

    @Test func sinceCountsFromTheStartOfItsMinute() throws {
        let clock = ManualClock(Self.start)
        let hub = Self.makeHub(clock: clock)
        clock.advance(seconds: 10)
        try hub.startSession(id: "a")
        clock.advance(seconds: 40)
        try hub.startSession(id: "b")
        clock.advance(seconds: 20)
        try hub.startSession(id: "c")  // the next minute
        #expect(hub.checkoutFunnel(since: Self.start + 30_000) == [2 + 1, 0, 0, 0, 0], "a started in since's minute, before it")
        #expect(hub.checkoutFunnel(since: Self.start + 30_000) == PresenceScans.checkoutFunnel(hub, since: Self.start))
        #expect(hub.checkoutFunnel(since: Self.start + 60_000) == [1, 0, 0, 0, 0])
        #expect(hub.checkoutFunnel(since: 0) == [3, 0, 0, 0, 0])
        #expect(hub.checkoutFunnel(since: -90_000) == [3, 0, 0, 0, 0])
        #expect(CheckoutFunnelCounts.minute(of: -1) == -1 && CheckoutFunnelCounts.minute(of: -60_000) == -1)
        #expect(CheckoutFunnelCounts.minute(of: 59_999) == 0 && CheckoutFunnelCounts.minute(of: Int64.min) == Int64.min / 60_000 - 1)
    }

    @Test func sessionsLeavingTheTableLeaveTheirCounts() throws {
        let clock = ManualClock(Self.start)
        let hub = Self.makeHub(clock: clock, maxSessions: 3, retentionMinutes: 30)
        // Retention: ended sessions forgotten at the sweep.
        try hub.paymentSuccess(sessionId: "a", reference: nil, amount: nil)
        try hub.pageVisit(sessionId: "b", pageType: .category)
        hub.endSession("a")
        clock.advance(seconds: 31 * 60)
        try hub.heartbeat(sessionId: "b")
        hub.sweep()
        #expect(hub.session("a") == nil && hub.session("b") != nil)
        PresenceScans.expectFunnelExact(hub, since: Self.minutes(from: Self.start, to: clock.nowMilliseconds, every: 10))
        #expect(hub.checkoutFunnel(since: Self.start) == [1, 1, 0, 0, 0])
        // Eviction: the table is full, the session that ended first makes room.
        try hub.checkoutStart(sessionId: "c", items: nil, totalAmount: nil, paymentMethod: nil)
        try hub.paymentStart(sessionId: "d", paymentMethod: nil, amount: nil)
        hub.endSession("c")
        try hub.startSession(id: "e")
        #expect(hub.session("c") == nil && hub.sessionsEvicted == 1)
        #expect(hub.checkoutFunnel(since: Self.start) == [3, 2, 1, 1, 0])
        // Erasure and release.
        #expect(hub.erase([.sessionId("d")]).sessions == 1)
        #expect(hub.checkoutFunnel(since: Self.start) == [2, 1, 0, 0, 0])
        #expect(hub.release(["b", "e"]) == 2)
        #expect(hub.checkoutFunnel(since: .min) == [0, 0, 0, 0, 0])
        #expect(hub.table.settledFunnel().minuteCount == 0, "no minute is kept once its sessions are gone")
    }

    @Test func aRestoredHubCountsTheSnapshotsSessions() throws {
        let clock = ManualClock(Self.start)
        let hub = Self.makeHub(clock: clock)
        try hub.pageVisit(sessionId: "a", pageType: .product)
        clock.advance(seconds: 90)
        try hub.paymentStart(sessionId: "b", paymentMethod: nil, amount: nil)
        hub.endSession("b")
        let restored = Self.makeHub(clock: clock)
        try restored.paymentSuccess(sessionId: "gone", reference: nil, amount: nil)
        restored.restore(try HubSnapshot.decode(hub.snapshot().encoded()))
        #expect(restored.checkoutFunnel(since: Self.start) == [2, 2, 1, 1, 0])
        PresenceScans.expectFunnelExact(restored, since: Self.minutes(from: Self.start, to: clock.nowMilliseconds))
        #expect(restored.table.settledFunnel() == CheckoutFunnelCounts(of: PresenceScans.allSessions(restored)))
    }

    /// A simple linear congruential generator (Knuth's MMIX constants): the same run every time.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        mutating func pick<T>(_ values: [T]) -> T { values[next(values.count)] }
        mutating func maybe<T>(_ values: [T]) -> T? { next(3) == 0 ? pick(values) : nil }
    }

    @Test func aLongRandomRunKeepsTheFunnelAndTheLookupsExact() throws {
        var random = Generator(state: 20_240_601)
        let clock = ManualClock(Self.start)
        var hub = Self.makeHub(clock: clock, maxSessions: 150, idleMinutes: 3, retentionMinutes: 30)
        let ids = (0..<300).map { "s\($0)" }
        let emails = ["ann@example.com", "ANN@example.com", "\u{E9}lodie@x.io", "e\u{301}lodie@X.io", "bob@x.io", "cy@x.io"]
        let phones = ["+1 (555) 010-0001", "15550100001", "+44 20 7946 0000", "n/a", "0612"]
        let userIds = ["u1", "u2", "U1", "u3"]
        let pages: [PageType] = [.homepage, .category, .offer, .product, .checkout, "blog", "account"]
        let keys: [PersonKey] = emails.map(PersonKey.email) + phones.filter { !PhoneNumber.digits($0).isEmpty }.map(PersonKey.phone)
            + userIds.map(PersonKey.userId) + ["s1", "s2", "s150", "nobody"].map(PersonKey.sessionId)
        var evicted = 0, erased = 0, released = 0, restores = 0
        for step in 1...4_000 {
            clock.advance(milliseconds: Int64(random.next(4_000)))
            // A few sessions get half the beacons: their visit histories overflow.
            let id = random.next(2) == 0 ? ids[random.next(5)] : random.pick(ids)
            do {
                switch random.next(100) {
                case ..<10: try hub.startSession(id: id, userId: random.maybe(userIds), email: random.maybe(emails), phone: random.maybe(phones))
                case ..<42: try hub.pageVisit(sessionId: id, pageType: random.pick(pages), identifier: random.maybe(["x", "y"]))
                case ..<50: try hub.checkoutStart(sessionId: id, items: nil, totalAmount: nil, paymentMethod: nil)
                case ..<56: try hub.paymentStart(sessionId: id, paymentMethod: nil, amount: nil)
                case ..<61: try hub.paymentError(sessionId: id, code: "c", message: "m", details: nil, email: random.maybe(emails), phone: random.maybe(phones))
                case ..<66: try hub.paymentSuccess(sessionId: id, reference: nil, amount: nil)
                case ..<73: try hub.heartbeat(sessionId: id)
                case ..<79: hub.endSession(id)
                case ..<83: try hub.tabOpened(sessionId: id)
                case ..<87: hub.tabClosed(sessionId: id)
                case ..<93: hub.sweep()
                case ..<94: erased += hub.erase([random.pick(keys)]).sessions
                case ..<97: released += hub.release([id])
                case 97 where random.next(4) == 0:
                    evicted += hub.sessionsEvicted
                    let restored = Self.makeHub(clock: clock, maxSessions: 150, idleMinutes: 3, retentionMinutes: 30)
                    restored.restore(try HubSnapshot.decode(hub.snapshot().encoded()))
                    hub = restored
                    restores += 1
                default: hub.tabClosed(sessionId: id)
                }
            } catch is PresenceHub.TableFull {
                // Every place holds a live session: refused, as it should be.
            }
            if step % 250 == 0 {
                PresenceScans.expectFunnelExact(hub, since: Self.minutes(from: Self.start, to: clock.nowMilliseconds, every: 7))
                PresenceScans.expectLookupsExact(hub, keys: keys)
            }
        }
        evicted += hub.sessionsEvicted
        PresenceScans.expectFunnelExact(hub, since: Self.minutes(from: Self.start, to: clock.nowMilliseconds))
        PresenceScans.expectLookupsExact(hub, keys: keys)
        #expect(hub.table.settledFunnel().minuteCount <= hub.sessionCount)
        // The run went through every path it is meant to test.
        #expect(evicted > 0 && erased > 0 && released > 0 && restores > 0)
        let all = PresenceScans.allSessions(hub)
        #expect(all.contains { !$0.isActive } && all.contains { $0.history.count == Session.historyLimit })
    }
}
