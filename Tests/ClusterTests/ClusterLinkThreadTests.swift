import Testing
@testable import Cluster
@testable import Hub

/// The link on its own thread, as the server runs it: what `publish` hands over reaches
/// the other link's handler by itself, the broker's descriptor waking the thread.
@Suite("Links on their threads")
struct ClusterLinkThreadTests {
    @Test func aNodesCountsReachTheOtherNodeWithoutAnyoneDrivingTheLinks() async throws {
        let time = TestTime()
        let cluster = InMemoryCluster(clock: { time.nowMilliseconds })
        let heardByA = Heard(), heardByB = Heard()
        // A long interval: only the news wakes the links, not their timers.
        func link(_ node: String, _ heard: Heard) -> ClusterLink {
            ClusterLink(configuration: ClusterLink.Configuration(nodeID: node, interval: 60_000, freshness: 120_000, maxKeys: 100),
                        handlers: heard.handlers) { cluster.broker(for: $0) }
        }
        let a = link("a", heardByA), b = link("b", heardByB)
        b.start()
        a.start()
        defer {
            a.stop()
            b.stop()
        }
        var counters = PresenceCounters()
        counters.sessionStarted()
        for _ in 0..<500 where heardByB.lastOthers?.nodes != ["a"] {
            a.publish(counters, updatedAt: 1)
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(heardByB.lastOthers?.nodes == ["a"] && heardByB.lastOthers?.counters.totalActive == 1)
    }
}
