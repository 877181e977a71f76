import Testing
@testable import Hub

/// After every path that adds a session, writes its contact fields or removes it, a lookup
/// through the person index finds exactly what a scan with `PersonKey.matches` finds.
@Suite("Person index")
struct PersonIndexTests {
    static func makeHub(clock: ManualClock, maxSessions: Int = 1_000_000) -> PresenceHub {
        var configuration = PresenceHub.Configuration()
        configuration.idleTimeout = 10 * 60_000
        configuration.endedRetention = 60 * 60_000
        configuration.maxSessions = maxSessions
        return PresenceHub(clock: clock, configuration: configuration)
    }

    /// Every key the tests write, in the spellings that must find each other (case, NFC and
    /// NFD, phone punctuation), and ones that name nobody.
    static let keys: [PersonKey] = [
        .email("ann@example.com"), .email("ANN@Example.COM"), .email("\u{E9}lodie@x.io"), .email("E\u{301}LODIE@x.io"),
        .email("bob@x.io"), .email("nobody@x.io"),
        .phone("+1 (555) 010-0001"), .phone("15550100001"), .phone("+44 20 7946 0000"), .phone("999"),
        .userId("u1"), .userId("U1"), .userId("u2"), .userId("u3"),
        .sessionId("a"), .sessionId("b"), .sessionId("c"), .sessionId("d"), .sessionId("e"), .sessionId("zz"),
    ]

    /// a: Ann by email, phone and user id; b: Élodie (decomposed) and Ann's phone, spelled
    /// otherwise; c: user u2 and a phone without digits; d: nobody named.
    static func startPeople(_ hub: PresenceHub, clock: ManualClock) throws {
        try hub.startSession(id: "a", userId: "u1", email: "Ann@Example.com", phone: "+1 (555) 010-0001")
        clock.advance(seconds: 1)
        try hub.startSession(id: "b", email: "e\u{301}lodie@X.IO", phone: "1-555-010-0001")
        clock.advance(seconds: 1)
        try hub.startSession(id: "c", userId: "u2", phone: "n/a")
        clock.advance(seconds: 1)
        try hub.pageVisit(sessionId: "d", pageType: .product)
        clock.advance(seconds: 1)
    }

    @Test func startingSessionsIndexesWhoTheyName() throws {
        let clock = ManualClock()
        let hub = Self.makeHub(clock: clock)
        try Self.startPeople(hub, clock: clock)
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.sessions(matching: [.email("ANN@example.com")], limit: 10).map(\.id) == ["a"])
        #expect(hub.sessions(matching: [.phone("15550100001")], limit: 10).map(\.id) == ["b", "a"], "newest first")
        #expect(hub.sessions(matching: [.email("\u{C9}lodie@x.io")], limit: 10).map(\.id) == ["b"])
        #expect(hub.table.settledPeople().entryCount == 6, "a: 3 keys, b: 2, c: 1 (a phone without digits is not indexed)")
    }

    @Test func laterBeaconsNamingNewContactFieldsMoveTheSession() throws {
        let clock = ManualClock()
        let hub = Self.makeHub(clock: clock)
        try Self.startPeople(hub, clock: clock)
        // A second start for "a": another email and user id, the same phone spelled otherwise.
        try hub.startSession(id: "a", userId: "u3", email: "bob@x.io", phone: "15550100001")
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.sessions(matching: [.email("ann@example.com")], limit: 10).isEmpty)
        #expect(hub.sessions(matching: [.userId("u1")], limit: 10).isEmpty)
        #expect(hub.sessions(matching: [.userId("u3")], limit: 10).map(\.id) == ["a"])
        // A payment error names contact fields too; a beacon that names none keeps them.
        try hub.paymentError(sessionId: "c", code: "declined", message: "no", details: nil, email: "ann@example.com", phone: "+44 20 7946 0000")
        try hub.startSession(id: "c")
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.sessions(matching: [.email("ANN@example.com")], limit: 10).map(\.id) == ["c"])
        // A session that names nobody before its first contact field (started by a page visit).
        try hub.startSession(id: "d", email: "Bob@X.io")
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.sessions(matching: [.email("bob@x.io")], limit: 10).map(\.id) == ["d", "a"])
    }

    @Test func endedAndSweptSessionsStayFindableWhileKept() throws {
        let clock = ManualClock()
        let hub = Self.makeHub(clock: clock)
        try Self.startPeople(hub, clock: clock)
        hub.endSession("a")
        try hub.tabOpened(sessionId: "b")
        hub.tabClosed(sessionId: "b")
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.sessions(matching: [.userId("u1")], limit: 10).map(\.id) == ["a"])
        // Idle past the timeout: the sweep ends the rest.
        clock.advance(milliseconds: hub.configuration.idleTimeout + 1)
        #expect(hub.sweep() == 2)
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.sessions(matching: [.userId("u2")], limit: 10).map(\.id) == ["c"])
    }

    @Test func sessionsPastTheirRetentionLeaveTheIndex() throws {
        let clock = ManualClock()
        let hub = Self.makeHub(clock: clock)
        try Self.startPeople(hub, clock: clock)
        hub.endSession("a")
        hub.endSession("b")
        clock.advance(milliseconds: hub.configuration.endedRetention + 1)
        try hub.heartbeat(sessionId: "c")
        hub.sweep()
        #expect(hub.session("a") == nil && hub.session("b") == nil && hub.session("c") != nil)
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        // The same ids again, naming nobody: nothing of the removed sessions finds them.
        try hub.startSession(id: "a")
        try hub.startSession(id: "b", userId: "u2")
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.sessions(matching: [.email("ann@example.com"), .phone("15550100001")], limit: 10).isEmpty)
        #expect(hub.table.settledPeople().entryCount == 2)
    }

    @Test func aSessionEvictedFromAFullTableLeavesTheIndex() throws {
        let clock = ManualClock()
        let hub = Self.makeHub(clock: clock, maxSessions: 4)
        try Self.startPeople(hub, clock: clock)
        hub.endSession("b")
        try hub.startSession(id: "e", email: "ann@example.com")
        #expect(hub.sessionsEvicted == 1 && hub.session("b") == nil)
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        hub.endSession("e")
        try hub.startSession(id: "b", userId: "u1")  // the evicted id comes back, naming another, and evicts e
        #expect(hub.sessionsEvicted == 2 && hub.session("e") == nil)
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.sessions(matching: [.email("Ann@example.com")], limit: 10).map(\.id) == ["a"])
    }

    @Test func erasureAndReleaseTakeTheirSessionsOutOfTheIndex() throws {
        let clock = ManualClock()
        let hub = Self.makeHub(clock: clock)
        try Self.startPeople(hub, clock: clock)
        #expect(hub.count(matching: [.phone("1 555 010 0001")]).sessions == 2)
        let erased = hub.erase([.phone("1 555 010 0001")])
        #expect(erased.sessionIds == ["a", "b"])
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.release(["c"]) == 1)
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.table.settledPeople().isEmpty, "d names nobody")
        try hub.startSession(id: "a", email: "bob@x.io")
        PresenceScans.expectLookupsExact(hub, keys: Self.keys)
        #expect(hub.sessions(matching: [.userId("u1"), .email("ann@example.com")], limit: 10).isEmpty)
    }

    @Test func aRestoredHubIndexesTheSnapshotsSessions() throws {
        let clock = ManualClock()
        let hub = Self.makeHub(clock: clock)
        try Self.startPeople(hub, clock: clock)
        hub.endSession("a")
        let saved = try HubSnapshot.decode(hub.snapshot().encoded())
        // Restored into a hub that held other sessions: the snapshot's replace them.
        let restored = Self.makeHub(clock: clock)
        try restored.startSession(id: "old", userId: "u1", email: "bob@x.io")
        restored.restore(saved)
        #expect(restored.session("old") == nil)
        PresenceScans.expectLookupsExact(restored, keys: Self.keys + [.sessionId("old")])
        #expect(restored.sessions(matching: [.userId("u1")], limit: 10).map(\.id) == ["a"])
        #expect(restored.sessions(matching: [.email("bob@x.io")], limit: 10).isEmpty)
    }

    @Test func aPhoneWithoutDigitsNamesNobody() throws {
        let clock = ManualClock()
        let hub = Self.makeHub(clock: clock)
        try Self.startPeople(hub, clock: clock)
        // `PersonKey.matches` would name "c" (its phone has no digits either); the API
        // refuses such a key, and the index does not hold phones without digits.
        #expect(hub.sessions(matching: [.phone("n/a")], limit: 10).isEmpty)
        #expect(hub.count(matching: [.phone("")]).sessions == 0)
        #expect(hub.erase([.phone("unknown")]).sessions == 0)
        #expect(hub.sessionCount == 4)
    }
}
