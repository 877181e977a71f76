import Testing
@testable import Hub

@Suite("Bounded presence")
struct BoundedPresenceTests {
    private func makeHub(maxSessions: Int = 1_000_000, maxTrackedKeys: Int = 100) -> (PresenceHub, ManualClock) {
        let clock = ManualClock()
        var configuration = PresenceHub.Configuration()
        configuration.maxSessions = maxSessions
        configuration.maxTrackedKeys = maxTrackedKeys
        return (PresenceHub(clock: clock, configuration: configuration), clock)
    }

    @Test func aFullTableForgetsEndedSessionsOldestFirstThenRefuses() throws {
        let (hub, clock) = makeHub(maxSessions: 3)
        for id in ["a", "b", "c"] {
            try hub.startSession(id: id)
            clock.advance(milliseconds: 10)
        }
        hub.endSession("b")
        clock.advance(milliseconds: 10)
        hub.endSession("a")
        // Full: the first to have ended ("b") makes room.
        try hub.startSession(id: "d")
        #expect(hub.session("b") == nil)
        #expect(hub.session("a") != nil)
        #expect(hub.sessionsEvicted == 1)
        try hub.startSession(id: "e")
        #expect(hub.session("a") == nil)
        // Now every place holds a live session: a new one is refused, an existing one is not.
        #expect(throws: PresenceHub.TableFull.self) { try hub.pageVisit(sessionId: "f", pageType: "homepage") }
        #expect(hub.sessionsRefused == 1)
        #expect(hub.sessionCount == 3)
        #expect(hub.counters.totalActive == 3)
        try hub.pageVisit(sessionId: "c", pageType: "homepage")
        #expect(hub.counters.homepage == 1)
    }

    @Test func mapsKeepAtMostTheirKeysAndCountTheRestAsOther() throws {
        let (hub, _) = makeHub(maxTrackedKeys: 4)
        for i in 0..<10 {
            try hub.pageVisit(sessionId: "s\(i)", pageType: "category", identifier: "cat\(i)")
            try hub.pageVisit(sessionId: "p\(i)", pageType: PageType(rawValue: "type\(i)"))
        }
        let counters = hub.counters
        // Three names and "other"; the tile page type keeps its own entry besides.
        #expect(counters.categories.count == 4)
        #expect(counters.categories["other"] == 7)
        #expect(counters.categories.values.reduce(0, +) == 10)
        #expect(counters.pages["category"] == 10)
        #expect(counters.pages.count <= 4 + 1)
        #expect(counters.pages.values.reduce(0, +) == 20)
        #expect(counters.totalActive == 20)
        // Everyone leaves, in another order than they came: nothing goes negative, all empty.
        for i in (0..<10).reversed() {
            hub.endSession("s\(i)")
            hub.endSession("p\(i)")
            #expect(hub.counters.categories.values.allSatisfy { $0 > 0 })
            #expect(hub.counters.pages.values.allSatisfy { $0 > 0 })
        }
        #expect(hub.counters.categories.isEmpty)
        #expect(hub.counters.pages.isEmpty)
    }

    @Test func aFreedNameCanBeTrackedAgainWithExactTotals() throws {
        let (hub, _) = makeHub(maxTrackedKeys: 2)
        try hub.pageVisit(sessionId: "a", pageType: "offer", identifier: "x")
        try hub.pageVisit(sessionId: "b", pageType: "offer", identifier: "y")  // no room: other
        #expect(hub.counters.offers == ["x": 1, "other": 1])
        hub.endSession("a")
        try hub.pageVisit(sessionId: "c", pageType: "offer", identifier: "y")  // room again
        #expect(hub.counters.offers == ["y": 1, "other": 1])
        hub.endSession("b")  // counted under "other" or "y": the total stays right
        #expect(hub.counters.offers.values.reduce(0, +) == 1)
        hub.endSession("c")
        #expect(hub.counters.offers.isEmpty)
    }
}

@Suite("Bounded logs")
struct BoundedLogTests {
    @Test func anUnverifiedDeliveryIsCutAtACharacterBoundary() {
        var entry = WebhookLogEntry(id: 1, provider: "p", receivedAt: 0, signatureValid: false, status: .rejected, errorMessage: nil,
                                    reference: nil, payload: String(repeating: "é", count: 5_000), headers: [String(repeating: "h", count: 10_000)],
                                    deliveryKey: nil)
        entry.truncateUnverified()
        #expect(entry.payloadTruncated)
        #expect(entry.payload.utf8.count <= WebhookLogEntry.unverifiedPayloadLimit)
        #expect(entry.payload.allSatisfy { $0 == "é" })
        #expect(entry.headers.reduce(0) { $0 + $1.utf8.count } <= WebhookLogEntry.unverifiedHeadersLimit)
    }
}

@Suite("Bounded log")
struct BoundedLogCoreTests {
    @Test func countAndBytesBothBoundIt() {
        var log = BoundedLog<Int>(maxCount: 8, maxBytes: 1_000) { $0 }
        for _ in 1...100 { log.append(10) }
        #expect(log.entries.count <= 10, "count bound (plus the batch slack)")
        var heavy = BoundedLog<Int>(maxCount: 1_000, maxBytes: 1_000) { $0 }
        for _ in 0..<100 { heavy.append(100) }
        #expect(heavy.byteCount <= 1_000 && heavy.byteCount == heavy.entries.reduce(0, +))
        heavy.append(5_000)  // one entry over the whole budget is still kept, alone
        #expect(heavy.entries == [5_000])
    }
}
