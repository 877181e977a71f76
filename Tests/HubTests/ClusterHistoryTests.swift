import Testing
@testable import Hub

@Suite("Cluster history: every node's minutes summed")
struct ClusterHistoryTests {
    private typealias Point = MetricsHistory.Point
    private let minute: Int64 = 29_916_667

    private func live(_ pages: [String: Int]) -> PresenceCounters {
        var counters = PresenceCounters()
        for (page, count) in pages {
            for _ in 0..<count {
                counters.sessionStarted()
                counters.enter(PageVisit(pageType: PageType(rawValue: page), identifier: nil, url: nil, enteredAt: 0))
            }
        }
        return counters
    }

    @Test func theOtherNodesMinutesAddToThisOnesAndAMinuteWithoutARowAddsNothing() {
        var history = ClusterHistory()
        let own = (0..<3).map { Point(minute: minute + $0, totalActive: 1, pages: ["homepage": 1], paymentErrors: $0 == 1 ? 1 : 0) }
        history.record(node: "b", Point(minute: minute, totalActive: 2, pages: ["checkout": 2], paid: 1))
        history.record(node: "b", Point(minute: minute + 1, totalActive: 4, pages: ["checkout": 4], paymentErrors: 2))
        history.record(node: "b", Point(minute: minute + 1, totalActive: 3, pages: ["checkout": 3], paymentErrors: 2))  // rewritten
        history.record(node: "c", Point(minute: minute + 1, totalActive: 5, pages: ["homepage": 5], sessionsStarted: 5))
        // b died during minute + 1: no row for minute + 2.
        let merged = history.merged(own, minutes: 60, live: live(["homepage": 6]))
        #expect(merged.map(\.minute) == [minute, minute + 1, minute + 2])
        #expect(merged[0] == Point(minute: minute, totalActive: 3, pages: ["homepage": 1, "checkout": 2], paid: 1))
        #expect(merged[1] == Point(minute: minute + 1, totalActive: 9, pages: ["homepage": 6, "checkout": 3], paymentErrors: 3,
                                   sessionsStarted: 5), "the newer write of a minute replaces the older")
        #expect(merged[2].totalActive == 6 && merged[2].pages == ["homepage": 6], "the open minute shows every node's live counts")
    }

    @Test func aNodeThatStartsLateShowsTheMinutesTheOthersHadBeforeIt() {
        var history = ClusterHistory()
        history.record(node: "b", Point(minute: minute - 10, totalActive: 7, pages: ["homepage": 7]))
        history.record(node: "b", Point(minute: minute - 100, totalActive: 1, pages: ["homepage": 1]))
        let own = [Point(minute: minute, totalActive: 1, pages: ["homepage": 1])]
        let merged = history.merged(own, minutes: 60, live: live(["homepage": 8]))
        #expect(merged.count == 11, "from the first minute any node knows within the hour asked for")
        #expect(merged.first == Point(minute: minute - 10, totalActive: 7, pages: ["homepage": 7]))
        #expect(merged[1] == Point(minute: minute - 9, totalActive: 0, pages: [:]), "b wrote no row: nobody there")
        #expect(merged.last?.totalActive == 8)
    }

    @Test func minutesOlderThanTheHistoryKeepsAreForgotten() {
        var history = ClusterHistory(capacity: 10)
        history.record(node: "b", Point(minute: minute - 10, totalActive: 7, pages: ["homepage": 7]))
        history.record(node: "b", Point(minute: minute - 9, totalActive: 2, pages: ["homepage": 2]))
        history.forget(before: minute)
        let merged = history.merged([Point(minute: minute, totalActive: 0, pages: [:])], minutes: 60, live: PresenceCounters())
        #expect(merged.first == Point(minute: minute - 9, totalActive: 2, pages: ["homepage": 2]))
        #expect(merged.count == 10)
    }

    @Test func aPointSurvivesItsEncodingAndABrokenOneIsRefused() {
        let point = Point(minute: minute, totalActive: 3, pages: ["homepage": 1, "category": 2], paymentErrors: 4, paid: 5, sessionsStarted: 6)
        #expect(Point(encoded: point.encoded) == point)
        #expect(Point(encoded: Array(point.encoded.dropLast())) == nil)
        #expect(Point(encoded: point.encoded + [0]) == nil)
    }

    @Test func paymentErrorsFromAnotherNodeAreNotCountedInThisNodesMinutes() throws {
        let hub = PresenceHub(clock: ManualClock())
        hub.paymentErrorsFromElsewhere([PaymentErrorRecord(id: 0, sessionId: "x", occurredAt: 0, email: nil, phone: nil, checkoutItems: nil, totalAmount: nil,
                                                            paymentMethod: nil, errorCode: "declined", errorMessage: "no", errorDetails: nil,
                                                            client: ClientInfo())])
        #expect(hub.historyPoints(minutes: 1).last?.paymentErrors == 0, "their node's minute counts them; summed, they would count twice")
        #expect(hub.recentPaymentErrors().count == 1)
    }
}

@Suite("Sessions handed between nodes")
struct SessionCodingTests {
    @Test func sessionsSurviveTheirEncodingAndTooManyOrABrokenOneAreRefused() throws {
        let clock = ManualClock()
        let hub = PresenceHub(clock: clock)
        try hub.startSession(id: "a", email: "ann@shop.test")
        try hub.pageVisit(sessionId: "a", pageType: "category", identifier: "shoes", url: "https://shop.test/shoes")
        try hub.startSession(id: "b", userId: "u1")
        let sessions = [try #require(hub.session("a")), try #require(hub.session("b"))]
        let bytes = Session.encoded(sessions)
        let decoded = try #require(Session.decoded(bytes, limit: 2))
        #expect(decoded.map(\.id) == ["a", "b"] && decoded.map(\.email) == ["ann@shop.test", nil] && decoded.map(\.userId) == [nil, "u1"])
        #expect(decoded.map(\.visits) == sessions.map(\.visits) && decoded[0].visits.first?.identifier == "shoes")
        #expect(decoded.map(\.startedAt) == sessions.map(\.startedAt))
        #expect(Session.decoded(bytes, limit: 1) == nil)
        #expect(Session.decoded(Array(bytes.dropLast()), limit: 2) == nil)
        #expect(Session.decoded([], limit: 2)?.isEmpty == true)
    }
}
