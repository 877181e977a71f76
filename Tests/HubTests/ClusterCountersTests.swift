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
