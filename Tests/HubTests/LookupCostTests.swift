import Testing
@testable import Hub

/// What a lookup costs, counted rather than timed: the sessions the table hands out.
@Suite("Lookup cost")
struct LookupCostTests {
    @Test func aPersonAmongAHundredThousandSessionsCostsOnlyTheirSessions() throws {
        let clock = ManualClock()
        let hub = PresenceHub(clock: clock)
        for i in 0..<100_000 {
            try hub.startSession(id: "s\(i)", userId: "u\(i)", email: "p\(i % 50_000)@x.io", phone: "+1 555 \(i)")
            if i % 1_000 == 0 { clock.advance(seconds: 1) }
        }
        for id in ["ann-1", "ann-2", "ann-3"] {
            clock.advance(seconds: 1)
            try hub.pageVisit(sessionId: id, pageType: .product)
            try hub.startSession(id: id, email: "Ann@X.io")
        }
        #expect(hub.sessionCount == 100_003)

        var before = hub.table.reads
        #expect(hub.sessions(matching: [.email("ann@x.io")], limit: 10).map(\.id) == ["ann-3", "ann-2", "ann-1"])
        #expect(hub.table.reads - before == 3)

        before = hub.table.reads
        #expect(hub.sessions(matching: [.userId("u7"), .phone("1555 7"), .sessionId("s8")], limit: 10).map(\.id) == ["s7", "s8"], "started together: by id")
        #expect(hub.table.reads - before == 2)

        before = hub.table.reads
        #expect(hub.count(matching: [.email("p12@x.io")]).sessions == 2)
        #expect(hub.table.reads - before == 2)

        before = hub.table.reads
        #expect(hub.erase([.email("ANN@x.io")]).sessions == 3)
        #expect(hub.table.reads - before == 3)

        before = hub.table.reads
        #expect(hub.checkoutFunnel(since: 0) == [100_000, 0, 0, 0, 0])
        #expect(hub.table.reads == before, "the funnel reads no session")
        #expect(hub.table.settledFunnel().minuteCount < 5, "the counts are kept per minute, not per session")

        // What the scans these replace cost: every session.
        before = hub.table.reads
        #expect(PresenceScans.sessionIds(hub, matching: [.email("p12@x.io")]).count == 2)
        #expect(hub.table.reads - before == 100_000)
    }
}
