import Testing
@testable import Hub

@Suite("Minute-by-minute history")
struct MetricsHistoryTests {
    /// A clock at the start of a minute, so the tests say which minute each step is in.
    private func makeHub() -> (PresenceHub, ManualClock) {
        let clock = ManualClock(1_795_000_020_000 - 1_795_000_020_000 % 60_000)
        return (PresenceHub(clock: clock), clock)
    }

    @Test func eachMinuteKeepsItsEndStateAndItsEvents() throws {
        let (hub, clock) = makeHub()
        let first = MetricsHistory.minute(of: clock.nowMilliseconds)
        try hub.startSession(id: "a")
        try hub.pageVisit(sessionId: "a", pageType: "homepage")
        try hub.startSession(id: "b")
        try hub.pageVisit(sessionId: "b", pageType: "checkout")
        clock.advance(seconds: 61)
        try hub.paymentError(sessionId: "b", code: "declined", message: "no", details: nil, email: nil, phone: nil)
        try hub.paymentSuccess(sessionId: "b", reference: nil, amount: nil)
        try hub.paymentSuccess(sessionId: "b", reference: nil, amount: nil)  // the same session paid once
        clock.advance(seconds: 120)  // two quiet minutes
        hub.endSession("a")

        let points = hub.historyPoints(minutes: 60)
        #expect(points.map(\.minute) == [first, first + 1, first + 2, first + 3], "one point per minute from the first known")
        #expect(points[0].totalActive == 2 && points[0].pages == ["homepage": 1, "checkout": 1] && points[0].sessionsStarted == 2)
        #expect(points[1].paymentErrors == 1 && points[1].paid == 1 && points[1].pages == ["homepage": 1, "payment_success": 1])
        #expect(points[2] == MetricsHistory.Point(minute: first + 2, totalActive: 2, pages: ["homepage": 1, "payment_success": 1]),
                "a quiet minute carries the state forward with no events")
        #expect(points[3].totalActive == 1 && points[3].pages == ["payment_success": 1], "the open minute shows the counts now")
        #expect(hub.historyPoints(minutes: 2).map(\.minute) == [first + 2, first + 3])
    }

    @Test func theSweepsExpiriesCountInTheMinuteTheyHappen() throws {
        let (hub, clock) = makeHub()
        try hub.startSession(id: "a")
        clock.advance(milliseconds: 31 * 60_000)
        #expect(hub.sweep() == 1)
        let points = hub.historyPoints(minutes: 60)
        #expect(points.count == 32)
        #expect(points[30].totalActive == 1, "live until the minute the sweep ended it")
        #expect(points[31].totalActive == 0)
    }

    @Test func aDayIsKeptAndNoMore() throws {
        let (hub, clock) = makeHub()
        for i in 0..<(MetricsHistory.defaultCapacity + 100) {
            try hub.startSession(id: "s\(i)")
            clock.advance(seconds: 60)
        }
        let points = hub.historyPoints(minutes: .max)
        #expect(points.count == MetricsHistory.defaultCapacity)
        #expect(points.dropLast().allSatisfy { $0.sessionsStarted == 1 } && points.last?.sessionsStarted == 0)
        #expect(hub.history.finished.count < MetricsHistory.defaultCapacity)
    }

    @Test func theHistorySurvivesASnapshotAndTheDowntimeShowsNobody() throws {
        let (hub, clock) = makeHub()
        let first = MetricsHistory.minute(of: clock.nowMilliseconds)
        try hub.startSession(id: "a")
        try hub.paymentError(sessionId: "a", code: "x", message: "y", details: nil, email: nil, phone: nil)
        clock.advance(seconds: 60)
        try hub.startSession(id: "b")
        let saved = try HubSnapshot.decode(hub.snapshot().encoded())
        #expect(saved.history.count == 2)

        clock.advance(seconds: 5 * 60)  // down for five minutes
        let restarted = PresenceHub(clock: clock)
        restarted.restore(saved)
        let points = restarted.historyPoints(minutes: 60)
        #expect(points.first?.minute == first && points.first?.paymentErrors == 1)
        #expect(points[1].totalActive == 2 && points[1].sessionsStarted == 1)
        #expect(points[2].totalActive == 0, "the minutes the hub was down are not the last state carried forward")
        #expect(points.last?.minute == first + 6 && points.last?.totalActive == 2, "the restored sessions are live again")
    }
}
