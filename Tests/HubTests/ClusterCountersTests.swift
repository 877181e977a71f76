import Testing
@testable import Hub

@Suite("Counters across nodes")
struct ClusterCountersTests {
    private func node(_ visits: [(PageType, String?)], maxKeys: Int = 100) -> PresenceCounters {
        var counters = PresenceCounters(maxKeys: maxKeys)
        for (page, identifier) in visits {
            counters.sessionStarted()
            counters.enter(PageVisit(pageType: page, identifier: identifier, url: nil, enteredAt: 0))
        }
        return counters
    }

    @Test func theSumOfNodesIsTheirCountsAdded() {
        var sum = node([(.homepage, nil), (.category, "shoes")])
        sum.add(node([(.category, "shoes"), (.category, "hats"), (.offer, "x")]))
        #expect(sum.totalActive == 5)
        #expect(sum.homepage == 1)
        #expect(sum.pages == ["homepage": 1, "category": 3, "offer": 1])
        #expect(sum.categories == ["shoes": 2, "hats": 1])
        #expect(sum.offers == ["x": 1])
    }

    @Test func namesBeyondTheLimitAreFoldedIntoOtherKeepingTheTotals() {
        var sum = node([(.category, "a"), (.category, "a"), (.category, "b")], maxKeys: 3)
        sum.add(node([(.category, "c"), (.category, "d"), (.category, "d"), (.category, "d")], maxKeys: 3))
        // Three places: the two largest names and "other" for the rest.
        #expect(sum.categories == ["d": 3, "a": 2, "other": 2])
        #expect(sum.categories.values.reduce(0, +) == 7)
        #expect(sum.totalActive == 7)
    }

    @Test func tilePageTypesKeepTheirNamesWhenFolded() {
        var sum = node([("x1", nil), ("x2", nil), ("x3", nil)], maxKeys: 2)
        sum.add(node([(.checkout, nil), (.payment, nil)], maxKeys: 2))
        #expect(sum.checkout == 1)
        #expect(sum.payment == 1)
        #expect(sum.pages[PresenceCounters.otherKey] == 3)
    }

    @Test func aNodesCountsSurviveTheirRowEncoding() {
        let counters = node([(.homepage, nil), (.category, "Schuhe & Stiefel"), (.offer, "ü-42"), ("custom", nil)])
        let decoded = PresenceCounters(encoded: counters.encoded(), maxKeys: 100)
        #expect(decoded == counters)
    }

    @Test func aDamagedRowIsRefused() {
        let bytes = node([(.category, "shoes")]).encoded()
        #expect(PresenceCounters(encoded: Array(bytes.dropLast()), maxKeys: 100) == nil)
        #expect(PresenceCounters(encoded: bytes + [0], maxKeys: 100) == nil)
        #expect(PresenceCounters(encoded: [2] + bytes.dropFirst(), maxKeys: 100) == nil)
        #expect(PresenceCounters(encoded: [], maxKeys: 100) == nil)
    }
}

@Suite("Sessions claimed across nodes")
struct SessionClaimTests {
    private func makeHub() -> PresenceHub {
        let hub = PresenceHub(clock: ManualClock())
        hub.announcesClaims = true
        return hub
    }

    @Test func eachSessionIsClaimedOnItsFirstBeaconOnly() throws {
        let hub = makeHub()
        try hub.startSession(id: "a")
        try hub.pageVisit(sessionId: "a", pageType: .homepage)
        try hub.heartbeat(sessionId: "b")
        #expect(hub.takeClaims() == ["a", "b"])
        try hub.heartbeat(sessionId: "a")
        #expect(hub.takeClaims() == [])
    }

    @Test func aSingleHubClaimsNothing() throws {
        let hub = PresenceHub(clock: ManualClock())
        try hub.startSession(id: "a")
        #expect(hub.takeClaims() == [])
    }

    @Test func aReleasedSessionLeavesTheCountsAndTheTable() throws {
        let hub = makeHub()
        try hub.pageVisit(sessionId: "a", pageType: .category, identifier: "shoes")
        try hub.pageVisit(sessionId: "b", pageType: .homepage)
        #expect(hub.release(["a", "unknown"]) == 1)
        #expect(hub.counters.totalActive == 1)
        #expect(hub.counters.categories == [:])
        #expect(hub.session("a") == nil)
        // Back on this node later: a new session here, claimed again.
        _ = hub.takeClaims()
        try hub.heartbeat(sessionId: "a")
        #expect(hub.takeClaims() == ["a"])
        #expect(hub.counters.totalActive == 2)
    }

    @Test func aSessionClaimedAfterTheOthersClaimsWereReadStays() throws {
        let hub = makeHub()
        try hub.startSession(id: "a")
        #expect(hub.claimBatch == 1)
        #expect(hub.takeClaims() == ["a"])
        #expect(hub.claimBatch == 2)
        try hub.startSession(id: "b")  // in batch 2, not yet written
        // Another node's claims of both, read when batch 1 was in the database: a's claim
        // was older than theirs, b's will be newer (the other node lets b go instead).
        #expect(hub.release(["a", "b"], claimsWritten: 1) == 1)
        #expect(hub.session("a") == nil && hub.session("b") != nil && hub.counters.totalActive == 1)
        #expect(hub.takeClaims() == ["b"])
        #expect(hub.release(["b"], claimsWritten: 2) == 1)
        #expect(hub.takeClaims() == [] && hub.claimBatch == 3, "an empty hand-over is no batch")
    }

    @Test func aHubRestoredFromItsSnapshotClaimsItsSessionsAgain() throws {
        let hub = makeHub()
        try hub.startSession(id: "a")
        let restored = makeHub()
        restored.restore(hub.snapshot())
        #expect(restored.takeClaims() == [])
        try restored.heartbeat(sessionId: "a")
        #expect(restored.takeClaims() == ["a"])
    }
}
