import Testing
@testable import Hub

@Suite("The shop's day: what each beacon counts")
struct ShopDayTests {
    private func makeHub(maxKeys: Int = 100) -> (PresenceHub, ManualClock) {
        let clock = ManualClock(1_795_000_020_000 - 1_795_000_020_000 % 86_400_000 + 3_600_000)
        var configuration = PresenceHub.Configuration()
        configuration.maxTrackedKeys = maxKeys
        return (PresenceHub(clock: clock, configuration: configuration), clock)
    }

    private let browser = ClientInfo(userAgent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/120")

    /// Every minute's counts summed, by "metric|key".
    private func totals(_ minutes: [RollupCounts.Minute]) -> [String: Int64] {
        var sums: [String: Int64] = [:]
        for minute in minutes { for count in minute.counts { sums["\(count.metric)|\(count.key)", default: 0] += count.value } }
        return sums
    }

    @Test func aVisitCountsPagesEventsSourcesAndTheDeviceOnce() throws {
        let (hub, clock) = makeHub()
        try hub.startSession(id: "a", client: browser, origin: .init(referrerHost: "news.example", utmSource: "mail", utmCampaign: "winter"))
        try hub.pageVisit(sessionId: "a", pageType: .homepage, url: "https://shop.example/?q=1", client: browser)
        try hub.pageVisit(sessionId: "a", pageType: .product, identifier: "sku-1", url: "https://shop.example/p/sku-1#top")
        try hub.pageVisit(sessionId: "a", pageType: .product, identifier: "sku-1", url: "https://shop.example/p/sku-1")  // a reload is a pageview
        try hub.event(sessionId: "a", name: "add_to_cart", props: [("sku", "sku-1")])
        clock.advance(seconds: 70)
        try hub.event(sessionId: "a", name: "add_to_cart", props: [("sku", "sku-2")])
        let minutes = hub.takeRollups()
        #expect(minutes.count == 2, "one batch per minute")
        let sums = totals(minutes)
        #expect(sums["visitors|"] == 1 && sums["sessions|"] == 1 && sums["pageviews|"] == 3)
        #expect(sums["pageviews_by_path|/"] == 1 && sums["pageviews_by_path|/p/sku-1"] == 2)
        #expect(sums["pageviews_by_type|product"] == 2 && sums["page_visitors|product"] == 1, "visitors of a page type count each session once")
        #expect(sums["events|add_to_cart"] == 2 && sums["event_sessions|add_to_cart"] == 1)
        #expect(sums["event_props|add_to_cart|sku=sku-1"] == 1 && sums["event_props|add_to_cart|sku=sku-2"] == 1)
        #expect(sums["sources|news.example"] == 1 && sums["utm_sources|mail"] == 1 && sums["utm_campaigns|winter"] == 1 && sums["utm_mediums|"] == nil)
        #expect(sums["devices|desktop"] == 1)
        #expect(hub.takeRollups().isEmpty, "taken counts are forgotten")
    }

    @Test func aBotIsCountedAsABotAndNothingElse() throws {
        let (hub, _) = makeHub()
        let bot = ClientInfo(userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
        try hub.startSession(id: "g", client: bot)
        try hub.pageVisit(sessionId: "g", pageType: .homepage, url: "https://shop.example/")
        try hub.event(sessionId: "g", name: "add_to_cart")
        try hub.heartbeat(sessionId: "g", engagedMilliseconds: 1_000)
        hub.endSession("g")
        #expect(totals(hub.takeRollups()) == ["bots|": 1, "devices|bot": 1])
        #expect(hub.counters.totalActive == 0, "presence still saw it (and saw it leave)")
    }

    @Test func engagedTimeIsCappedAtTheTimeSinceTheLastCreditAndGoesToTheCurrentPage() throws {
        let (hub, clock) = makeHub()
        try hub.startSession(id: "a", client: browser)
        try hub.pageVisit(sessionId: "a", pageType: .product)
        clock.advance(seconds: 15)
        try hub.heartbeat(sessionId: "a", engagedMilliseconds: 15_000)
        clock.advance(seconds: 15)
        try hub.heartbeat(sessionId: "a", engagedMilliseconds: 600_000)  // claims ten minutes in fifteen seconds
        clock.advance(seconds: 60)
        try hub.heartbeat(sessionId: "a", engagedMilliseconds: 0)  // a hidden tab reports nothing seen
        try hub.heartbeat(sessionId: "a")  // an older tracker says nothing
        let engaged = totals(hub.takeRollups())["engaged_ms|product"]
        #expect(engaged == Int64(31_000), "15 s, then at most the 15 s since plus a second of slack, then nothing")
    }

    @Test func exitsAndAbandonedCheckoutsCountWhereTheSessionEnded() throws {
        let (hub, clock) = makeHub()
        for id in ["p1", "p2", "p3"] {
            try hub.startSession(id: id, client: browser)
            try hub.checkoutStart(sessionId: id, items: "[]", totalAmount: "5", paymentMethod: nil)
            try hub.paymentStart(sessionId: id, paymentMethod: "card", amount: "5")
        }
        try hub.startSession(id: "paid", client: browser)
        try hub.checkoutStart(sessionId: "paid", items: "[]", totalAmount: "5", paymentMethod: nil)
        try hub.paymentSuccess(sessionId: "paid", reference: "r", amount: "5")
        try hub.startSession(id: "c", client: browser)
        try hub.checkoutStart(sessionId: "c", items: "[]", totalAmount: "5", paymentMethod: nil)
        hub.endSession("paid")
        clock.advance(milliseconds: hub.configuration.idleTimeout + 60_000)
        #expect(hub.sweep() == 4)
        let sums = totals(hub.takeRollups())
        #expect(sums["abandoned|payment"] == 3 && sums["abandoned|checkout"] == 1 && sums["abandoned|payment_error"] == nil)
        #expect(sums["exits|payment"] == 3 && sums["exits|checkout"] == 1 && sums["exits|payment_success"] == 1)
        #expect(sums["paid|"] == 1)
    }

    @Test func aSessionHandedToAnotherNodeIsNoExit() throws {
        let (hub, _) = makeHub()
        try hub.startSession(id: "a", client: browser)
        try hub.checkoutStart(sessionId: "a", items: "[]", totalAmount: "5", paymentMethod: nil)
        hub.release(["a"])
        let sums = totals(hub.takeRollups())
        #expect(sums["exits|checkout"] == nil && sums["abandoned|checkout"] == nil)
    }

    @Test func aSessionIsAVisitorOncePerDay() throws {
        let (hub, clock) = makeHub()
        try hub.startSession(id: "a", client: browser)
        try hub.pageVisit(sessionId: "a", pageType: .product)
        clock.advance(seconds: 3600)
        try hub.pageVisit(sessionId: "a", pageType: .homepage)
        try hub.pageVisit(sessionId: "a", pageType: .product)
        #expect(totals(hub.takeRollups())["visitors|"] == 1)
        clock.advance(milliseconds: 86_400_000)  // the next day (the session was idle: it ends and comes back)
        hub.sweep()
        try hub.pageVisit(sessionId: "a", pageType: .product)
        let next = totals(hub.takeRollups())
        #expect(next["visitors|"] == 1 && next["page_visitors|product"] == 1 && next["sessions|"] == 1)
    }

    @Test func aCustomFunnelCountsStepsReachedInOrder() throws {
        let (hub, _) = makeHub()
        hub.setFunnels([CustomFunnel(id: "buy", name: "Buy", steps: [
            .page(type: .homepage, identifier: nil), .page(type: .product, identifier: "sku-1"), .event(name: "add_to_cart"), .page(type: .checkout, identifier: nil),
        ])])
        // a: all four; b: home, another product (no), sku-1, then leaves; c: the cart before any page (out of order: nothing).
        try hub.startSession(id: "a", client: browser)
        try hub.pageVisit(sessionId: "a", pageType: .homepage)
        try hub.pageVisit(sessionId: "a", pageType: .product, identifier: "sku-1")
        try hub.event(sessionId: "a", name: "add_to_cart")
        try hub.checkoutStart(sessionId: "a", items: "[]", totalAmount: "1", paymentMethod: nil)
        try hub.checkoutStart(sessionId: "a", items: "[]", totalAmount: "1", paymentMethod: nil)  // counted once
        try hub.startSession(id: "b", client: browser)
        try hub.pageVisit(sessionId: "b", pageType: .homepage)
        try hub.pageVisit(sessionId: "b", pageType: .product, identifier: "sku-2")
        try hub.pageVisit(sessionId: "b", pageType: .product, identifier: "sku-1")
        try hub.startSession(id: "c", client: browser)
        try hub.event(sessionId: "c", name: "add_to_cart")
        try hub.checkoutStart(sessionId: "c", items: "[]", totalAmount: "1", paymentMethod: nil)
        let sums = totals(hub.takeRollups())
        #expect(sums["funnel:buy|1"] == 2 && sums["funnel:buy|2"] == 2 && sums["funnel:buy|3"] == 1 && sums["funnel:buy|4"] == 1)
        // New definitions: progress under the old ones starts again.
        hub.setFunnels([CustomFunnel(id: "two", name: "Two", steps: [.event(name: "add_to_cart"), .page(type: .checkout, identifier: nil)])])
        try hub.event(sessionId: "a", name: "add_to_cart")
        #expect(totals(hub.takeRollups()) == ["events|add_to_cart": 1, "funnel:two|1": 1])
    }

    @Test func namesFromBrowsersAreBoundedPerDay() throws {
        let (hub, _) = makeHub(maxKeys: 4)
        try hub.startSession(id: "a", client: browser)
        for n in 0..<10 { try hub.event(sessionId: "a", name: "e\(n)") }
        let events = totals(hub.takeRollups()).filter { $0.key.hasPrefix("events|") }
        #expect(events.count == 4, "three names of their own and other")
        #expect(events["events|other"] == 7)
        try hub.event(sessionId: "a", name: "e1")
        try hub.event(sessionId: "a", name: "e9")
        #expect(totals(hub.takeRollups()).filter { $0.key.hasPrefix("events|") } == ["events|e1": 1, "events|other": 1], "a name admitted today keeps its place")
    }

    @Test func countsGivenBackGoWithTheNext() throws {
        let (hub, _) = makeHub()
        try hub.startSession(id: "a", client: browser)
        let taken = hub.takeRollups()
        hub.giveBackRollups(taken)
        try hub.pageVisit(sessionId: "a", pageType: .homepage)
        let again = hub.takeRollups()
        #expect(totals(again)["visitors|"] == 1 && totals(again)["pageviews|"] == 1)
    }

    @Test(arguments: [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", DeviceClass.mobile),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36", .mobile),
        ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/120 Safari/537.36", .tablet),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", .tablet),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36", .desktop),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", .bot),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120 Safari/537.36", .bot),
        ("curl/8.5.0", .bot), ("python-requests/2.31", .bot), ("", .bot),
    ])
    func deviceClassFromTheUserAgent(_ agent: String, _ expected: DeviceClass) {
        #expect(DeviceClass(userAgent: agent) == expected)
    }

    @Test func pathsLeaveTheHostQueryAndFragment() {
        #expect(PresenceHub.path(of: "https://shop.example/a/b?x=1#y") == "/a/b")
        #expect(PresenceHub.path(of: "https://shop.example") == "/")
        #expect(PresenceHub.path(of: "/cart?x") == "/cart")
        #expect(PresenceHub.path(of: "https://s/" + String(repeating: "é", count: 300))!.utf8.count <= 256)
    }
}

@Suite("The shop's day across a restart")
struct ShopDaySnapshotTests {
    @Test func aRestoredSessionIsNotCountedAgainAndKeepsItsOriginAndFunnelProgress() throws {
        let clock = ManualClock(1_795_000_020_000 - 1_795_000_020_000 % 86_400_000 + 3_600_000)
        let funnel = CustomFunnel(id: "f", name: "F", steps: [.page(type: .homepage, identifier: nil), .event(name: "buy")])
        let hub = PresenceHub(clock: clock)
        hub.setFunnels([funnel])
        try hub.startSession(id: "a", client: ClientInfo(userAgent: "Mozilla/5.0 (iPhone) Mobile"), origin: .init(referrerHost: "ref.example"))
        try hub.pageVisit(sessionId: "a", pageType: .homepage)
        _ = hub.takeRollups()

        let restored = PresenceHub(clock: clock)
        restored.restore(try HubSnapshot.decode(hub.snapshot().encoded()))
        restored.setFunnels([funnel])
        #expect(restored.session("a")?.day == hub.session("a")?.day)
        #expect(restored.session("a")?.day.device == .mobile && restored.session("a")?.day.source == "ref.example")
        try restored.pageVisit(sessionId: "a", pageType: .homepage)
        try restored.event(sessionId: "a", name: "buy")
        var sums: [String: Int64] = [:]
        for minute in restored.takeRollups() { for count in minute.counts { sums["\(count.metric)|\(count.key)", default: 0] += count.value } }
        #expect(sums["visitors|"] == nil && sums["page_visitors|homepage"] == nil, "counted once today, before the restart")
        #expect(sums["funnel:f|2"] == 1 && sums["funnel:f|1"] == nil, "the funnel goes on from the step reached")
    }
}

@Suite("A navigation is not an exit")
struct TabCloseGraceTests {
    @Test func theNextPagesSocketBeforeTheGraceKeepsTheSessionAndCountsNoExit() throws {
        let clock = ManualClock(1_795_000_020_000)
        let hub = PresenceHub(clock: clock)
        try hub.tabOpened(sessionId: "s", client: ClientInfo(userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/120"))
        try hub.checkoutStart(sessionId: "s", items: "[]", totalAmount: "1", paymentMethod: nil)
        clock.advance(milliseconds: 500)
        let closed = try #require(hub.tabClosing(sessionId: "s"), "its only tab")
        clock.advance(milliseconds: 300)
        try hub.tabOpened(sessionId: "s")  // the payment page's socket
        try hub.paymentStart(sessionId: "s", paymentMethod: "card", amount: "1")
        clock.advance(seconds: 3)
        hub.endAfterLastTab(sessionId: "s", closedAt: closed)
        #expect(hub.counters.totalActive == 1)
        // The last tab closes for good: the session ends where the tab closed, at payment.
        let last = try #require(hub.tabClosing(sessionId: "s"))
        clock.advance(seconds: 3)
        hub.endAfterLastTab(sessionId: "s", closedAt: last)
        #expect(hub.counters.totalActive == 0 && hub.session("s")?.endedAt == last)
        var sums: [String: Int64] = [:]
        for minute in hub.takeRollups() { for c in minute.counts { sums["\(c.metric)|\(c.key)", default: 0] += c.value } }
        #expect(sums["sessions|"] == 1 && sums["exits|checkout"] == nil && sums["exits|payment"] == 1 && sums["abandoned|payment"] == 1)
    }
}
