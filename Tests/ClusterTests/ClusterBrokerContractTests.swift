import Glibc
import Testing
@testable import Cluster
@testable import Hub
import Records

/// What every `ClusterBroker` promises, run on each medium: memory always, PostgreSQL
/// when `LIVEHUB_TEST_CLUSTER_DATABASE` names a database these tests may empty the
/// cluster's tables of (`postgresql://postgres@/livehub_test?host=/tmp/pg`). The rules
/// tests run on memory alone; this is what lets them speak for PostgreSQL too.
@Suite("The broker contract", .serialized)
struct ClusterBrokerContractTests {
    /// One medium and the time on it: memory's moves when told, PostgreSQL's by sleeping.
    final class Medium {
        let name: String
        private let memory: InMemoryCluster?
        private let time = TestTime()
        private let databaseURL: String?

        init(_ name: String) throws {
            self.name = name
            if name == "postgres" {
                let url = try #require(ClusterBrokerContractTests.databaseURL)
                databaseURL = url
                memory = nil
                // The tables are the cluster's to make: the first broker to attach makes them.
                _ = try PostgresClusterBroker(databaseURL: url, node: "setup").attach()
                try PostgresConnection(url: url).execute("TRUNCATE cluster_nodes, session_claims, cluster_minutes, cluster_answers")
            } else {
                databaseURL = nil
                let time = time
                memory = InMemoryCluster(clock: { time.nowMilliseconds })
            }
        }

        /// A node's broker, attached.
        func broker(_ node: String) throws -> any ClusterBroker {
            let broker: any ClusterBroker = if let memory { memory.broker(for: node) } else { PostgresClusterBroker(databaseURL: databaseURL!, node: node) }
            #expect(try broker.attach(), "the first attach listens anew")
            return broker
        }

        /// The medium's minute now: the one its clock is in.
        var minute: Int64 {
            MetricsHistory.minute(of: memory != nil ? time.nowMilliseconds : Int64(Glibc.time(nil)) * 1000)
        }

        func pass(_ milliseconds: Int64) {
            if memory != nil { time.advance(milliseconds) } else { usleep(UInt32(milliseconds) * 1000) }
        }

        /// The news `broker` has heard once `until` holds of it (PostgreSQL delivers after
        /// COMMIT, a moment later), or all it heard in two seconds.
        func news(_ broker: any ClusterBroker, until: ([ClusterNews]) -> Bool) throws -> [ClusterNews] {
            var heard: [ClusterNews] = []
            for _ in 0..<200 {
                heard += try broker.news()
                if until(heard) || memory != nil { break }
                usleep(10_000)
            }
            return heard
        }
    }

    static let databaseURL = getenv("LIVEHUB_TEST_CLUSTER_DATABASE").map { String(cString: $0) }
    static let media = ["memory"] + (databaseURL == nil ? [] : ["postgres"])

    @Test(arguments: media)
    func aLaterClaimReplacesAnEarlierOneAndEachNodeReadsTheOthersInOrder(_ name: String) throws {
        let medium = try Medium(name)
        let a = try medium.broker("a"), b = try medium.broker("b")
        try a.claim(["s1", "s2"])
        try b.claim(["s2", "s3"])
        let readByA = try a.claims(after: 0, limit: 10)
        #expect(readByA.map(\.session) == ["s2", "s3"])
        #expect(readByA.map(\.seq) == readByA.map(\.seq).sorted())
        #expect(try b.claims(after: 0, limit: 10).map(\.session) == ["s1"], "s2 is b's now, and b never reads its own")
        #expect(try a.claims(after: readByA.last!.seq, limit: 10).isEmpty)
        #expect(try a.claims(after: 0, limit: 1).map(\.session) == ["s2"])
    }

    @Test(arguments: media)
    func aRewrittenMinuteIsReadAgainAndANodeNeverReadsItsOwn(_ name: String) throws {
        let medium = try Medium(name)
        let a = try medium.broker("a"), b = try medium.broker("b")
        let now = medium.minute
        let first = MetricsHistory.Point(minute: now - 1, totalActive: 1, pages: ["homepage": 1], paid: 1)
        let second = MetricsHistory.Point(minute: now, totalActive: 2, pages: ["checkout": 2])
        try a.record([first, second])
        let read = try b.minutes(after: 0, limit: 10)
        #expect(read.map(\.node) == ["a", "a"] && read.map(\.point) == [first, second])
        #expect(try a.minutes(after: 0, limit: 10).isEmpty)
        var rewritten = first
        rewritten.paid = 3
        try a.record([rewritten])
        #expect(try b.minutes(after: read.last!.seq, limit: 10).map(\.point) == [rewritten])
    }

    @Test(arguments: media)
    func eachNodeReadsTheOthersRowsWithTheirAgeByTheBrokersClock(_ name: String) throws {
        let medium = try Medium(name)
        let a = try medium.broker("a"), b = try medium.broker("b")
        var counters = PresenceCounters()
        counters.sessionStarted()
        try a.refresh(ClusterNodeRow(node: "a", counters: counters.encoded(), changedAt: 42), announce: false)
        #expect(try a.rows().isEmpty)
        let fresh = try #require(try b.rows().first)
        #expect(fresh.node == "a" && fresh.counters == counters.encoded() && fresh.changedAt == 42 && fresh.age < 1_000)
        medium.pass(300)
        let older = try #require(try b.rows().first)
        #expect(older.age >= 290 && older.age < 2_000)
        try a.refresh(ClusterNodeRow(node: "a", counters: counters.encoded(), changedAt: 42), announce: false)
        #expect(try b.rows().first!.age < older.age, "a refresh makes the row young again")
        a.leave()
        #expect(try b.rows().isEmpty)
    }

    @Test(arguments: media)
    func newsReachesEveryListeningNodeItsSenderToo(_ name: String) throws {
        let medium = try Medium(name)
        let a = try medium.broker("a"), b = try medium.broker("b")
        try a.refresh(ClusterNodeRow(node: "a", counters: PresenceCounters().encoded(), changedAt: 1), announce: true)
        try a.claim(["s"])
        try a.ask(7, .checkoutFunnel(since: 5))
        let said: [ClusterNews] = [.presence(node: "a"), .claims(node: "a"),
                                   .asked(ClusterQuery.Asked(asker: "a", id: 7, query: .checkoutFunnel(since: 5)))]
        #expect(try medium.news(b) { $0.count >= 3 } == said)
        #expect(try medium.news(a) { $0.count >= 3 } == said)
        #expect(try b.news().isEmpty, "heard once")
    }

    @Test(arguments: media)
    func answersAreKeptForTheirAskerAndTakenOnce(_ name: String) throws {
        let medium = try Medium(name)
        let a = try medium.broker("a"), b = try medium.broker("b")
        let asked = ClusterQuery.Asked(asker: "a", id: 9, query: .sessions(.email("ann@shop.test")))
        try b.answer([(asked, [0, 1, 2])])
        #expect(try medium.news(a) { !$0.isEmpty } == [.answers(asker: "a")])
        #expect(try b.takeAnswers().isEmpty, "not b's")
        #expect(try a.takeAnswers() == [ClusterQuery.Answer(queryID: 9, node: "b", body: [0, 1, 2])])
        #expect(try a.takeAnswers().isEmpty)
    }

    @Test(arguments: media)
    func claimsAndMinutesPastWhatIsKeptAreForgotten(_ name: String) throws {
        let medium = try Medium(name)
        let a = try medium.broker("a"), b = try medium.broker("b")
        let now = medium.minute
        try a.claim(["old"])
        try a.record([MetricsHistory.Point(minute: now - 30, totalActive: 1, pages: [:]), MetricsHistory.Point(minute: now, totalActive: 1, pages: [:])])
        medium.pass(100)
        try a.claim(["new"])
        try b.forget(claimsKept: 50, answersKept: 50, minutesKept: 10)
        #expect(try b.claims(after: 0, limit: 10).map(\.session) == ["new"])
        #expect(try b.minutes(after: 0, limit: 10).map(\.point.minute) == [now])
    }

    @Test(arguments: media)
    func aBrokerDetachedListensAnewWhenItAttachesAgain(_ name: String) throws {
        let medium = try Medium(name)
        let a = try medium.broker("a")
        #expect(try a.attach() == false, "still listening: nothing was missed")
        a.detach()
        #expect(a.descriptor == nil)
        #expect(try a.attach() == true)
        #expect(a.descriptor != nil)
    }

    @Test func anUnreachableMemoryCutsEveryNodeOffUntilItAttachesAgain() throws {
        let time = TestTime()
        let cluster = InMemoryCluster(clock: { time.nowMilliseconds })
        let a = cluster.broker(for: "a"), b = cluster.broker(for: "b")
        _ = try a.attach()
        _ = try b.attach()
        cluster.isReachable = false
        #expect(throws: ClusterBrokerFailure.self) { try a.claim(["s"]) }
        #expect(throws: ClusterBrokerFailure.self) { try a.attach() }
        cluster.isReachable = true
        // A call before attaching again still fails: the connection was lost, not paused.
        #expect(throws: ClusterBrokerFailure.self) { try a.news() }
        #expect(try a.attach() && b.attach())
        try a.claim(["s"])
        #expect(try b.news() == [.claims(node: "a")], "news sent while b was cut off never reaches it; this does")
    }
}
