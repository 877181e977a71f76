import Testing
@testable import Cluster
import Hub

/// The cluster's rules, on several nodes sharing one `InMemoryCluster`, pass by pass with
/// the time moved by hand: what the e2e cluster checked through three processes, nginx
/// and PostgreSQL, here in milliseconds. Each test names the rule it holds.
@Suite("The cluster's rules, on the in-memory broker")
struct ClusterRulesTests {
    let time = TestTime()
    let cluster: InMemoryCluster

    init() {
        let time = time
        cluster = InMemoryCluster(clock: { time.nowMilliseconds })
    }

    private func node(_ id: String) -> TestNode {
        TestNode(id, on: cluster, time: time)
    }

    // MARK: claims

    @Test func twoNodesTakingOneSessionLeaveItWithTheLaterClaim() {
        let a = node("a"), b = node("b")
        // The balancer changed its mind between two beacons: both nodes took the session.
        a.beacon("s")
        b.beacon("s")
        a.turn()
        b.turn()  // the later claim: the balancer sends the session here now
        turns([a, b], rounds: 2)
        a.applyReleases()
        b.applyReleases()
        #expect(!a.holds("s"), "the earlier claim gives way")
        #expect(b.holds("s"), "the later claim stands: one node counts the session, not none")
    }

    @Test func aSessionTakenWhileAnotherNodesClaimWasOnItsWayStaysWithTheNewerClaim() {
        let a = node("a"), b = node("b")
        turns([a, b])
        b.beacon("s")
        b.turn()
        a.turn()  // a reads b's claim: "let s go" is on its way to a's hub…
        a.beacon("s")  // …when the balancer sends s to a, which claims it anew
        a.applyReleases()
        #expect(a.holds("s"), "a claim newer than what the link had written when it read is kept")
        turns([a, b])
        b.applyReleases()
        #expect(a.holds("s") && !b.holds("s"), "and it is the other node that lets go")
    }

    @Test func aNodeBackAfterADeathLetsGoWhatAnotherTookMeanwhile() {
        let a = node("a"), b = node("b")
        a.beacon("s")
        turns([a, b])
        // a dies; the balancer sends s to b.
        b.beacon("s")
        b.turn()
        // a back on its snapshot: it holds s as it was, unannounced, and its link starts afresh.
        let restarted = TestNode("a", on: cluster, time: time)
        restarted.hub.restore(a.hub.snapshot())
        #expect(restarted.holds("s"))
        restarted.turn()
        restarted.applyReleases()
        #expect(!restarted.holds("s") && b.holds("s"), "a restarted node reads every claim, not only the new ones")
    }

    @Test func aNodeWhoseConnectionWasLostReadsTheClaimsItMissedWhenBack() {
        let a = node("a"), b = node("b")
        a.beacon("s")
        turns([a, b])
        cluster.cut("a")
        b.beacon("s")
        b.turn()  // b's claim is announced while a hears nothing
        a.turn()  // a finds its connection gone
        a.turn()  // and back, reads what it may have missed
        a.applyReleases()
        #expect(!a.holds("s") && b.holds("s"))
        #expect(a.heard.state.withLock(\.reconnected) == 1)
    }

    // MARK: presence

    @Test func aNodeWhoseRowIsNoLongerRefreshedLeavesTheOthersTotals() throws {
        let a = node("a"), b = node("b")
        a.beacon("s1")
        a.beacon("s2")
        turns([a, b], rounds: 2)
        #expect(b.heard.lastOthers?.nodes == ["a"] && b.heard.lastOthers?.counters.totalActive == 2)
        // Alive, a refreshes its row every interval, changed or not: it stays counted.
        for _ in 0..<5 {
            time.advance(TestNode.freshness / 2)
            turns([a, b])
        }
        #expect(b.heard.lastOthers?.nodes == ["a"])
        // Dead, it refreshes nothing: counted while its row is younger than the freshness…
        time.advance(TestNode.freshness - 1)
        b.turn()
        #expect(b.heard.lastOthers?.nodes == ["a"])
        // …and left out from b's next read on (every interval), its sessions with it.
        time.advance(TestNode.interval)
        b.turn()
        let others = try #require(b.heard.lastOthers)
        #expect(others.nodes.isEmpty && others.counters.totalActive == 0 && others.known)
    }

    @Test func whileTheMediumIsAwayLongerThanTheFreshnessWhichNodesAreUpIsUnknown() throws {
        let a = node("a"), b = node("b")
        a.beacon("s")
        turns([a, b], rounds: 2)
        #expect(b.heard.lastOthers?.nodes == ["a"])
        cluster.isReachable = false
        time.advance(TestNode.freshness / 2)
        turns([a, b])
        #expect(b.heard.lastOthers?.known == true, "a short outage: what was read is still fresh")
        time.advance(TestNode.freshness)
        turns([a, b])
        let away = try #require(b.heard.lastOthers)
        #expect(!away.known && away.nodes.isEmpty, "not known to be none: unknown")
        // A question asked meanwhile names no node, and says why.
        var questions = ClusterQuestions<Int>(firstID: 0)
        guard case .finished(let done) = questions.ask(others: away, waiter: 1) else { Issue.record("asked while nothing is known"); return }
        #expect(done.silent == ["unknown"] && done.answers.isEmpty)
        // Back: each node hears that it may have missed news, and the others are known again.
        cluster.isReachable = true
        time.advance(1_000)
        turns([a, b])
        #expect(a.heard.state.withLock(\.reconnected) == 1 && b.heard.state.withLock(\.reconnected) == 1)
        #expect(b.heard.lastOthers?.known == true && b.heard.lastOthers?.nodes == ["a"])
    }

    // MARK: questions

    @Test func aQuestionIsAnsweredByItsDeadlineWithoutASilentNodeAndNamesIt() throws {
        let a = node("a"), b = node("b"), c = node("c")
        turns([a, b, c], rounds: 2)
        #expect(a.heard.lastOthers?.nodes == ["b", "c"])
        // c stops (SIGSTOP): its row stays fresh, it answers nothing.
        var questions = ClusterQuestions<String>(firstID: 100)
        guard case .ask(let id) = questions.ask(others: a.heard.lastOthers, waiter: "lookup") else { Issue.record("not asked"); return }
        a.outbox.questions = [(id, .sessions(.email("ann@shop.test")))]
        a.turn()
        b.turn()
        let asked = b.heard.take(\.asked)
        #expect(asked.map(\.id) == [id] && asked.map(\.asker) == ["a"])
        b.outbox.answers = asked.map { ($0, [1, 2, 3]) }
        b.turn()
        a.turn()
        #expect(questions.answered(a.heard.take(\.answered)).isEmpty, "c has not answered: still waiting")
        // c's row is fresh past the deadline (the freshness is at least 2 s in production):
        // the deadline, not the freshness, ends the wait.
        time.advance(Int64(ClusterQuestions<String>.deadline / 1_000_000))
        #expect(Int64(ClusterQuestions<String>.deadline / 1_000_000) < 2_000)
        let finished = questions.deadlinePassed(id)
        let done = try #require(finished)
        #expect(done.waiter == "lookup" && done.answers == ["b": [1, 2, 3]] && done.silent == ["c"])
        // c's late answer finds nobody waiting.
        #expect(questions.answered([ClusterQuery.Answer(queryID: id, node: "c", body: [9])]).isEmpty && questions.inFlight == 0)
    }

    @Test func aQuestionEveryFreshNodeAnsweredIsDoneWithoutWaitingForItsDeadline() throws {
        let a = node("a"), b = node("b"), c = node("c")
        turns([a, b, c], rounds: 2)
        var questions = ClusterQuestions<String>(firstID: 0)
        guard case .ask(let id) = questions.ask(others: a.heard.lastOthers, waiter: "funnel") else { Issue.record("not asked"); return }
        a.outbox.questions = [(id, .checkoutFunnel(since: 0))]
        a.turn()
        for answering in [b, c] {
            answering.turn()
            answering.outbox.answers = answering.heard.take(\.asked).map { ($0, Array(answering.id.utf8)) }
            answering.turn()
        }
        a.turn()
        let done = questions.answered(a.heard.take(\.answered))
        #expect(done.map(\.waiter) == ["funnel"] && done.first?.silent == [])
        #expect(done.first?.answers == ["b": Array("b".utf8), "c": Array("c".utf8)])
        #expect(questions.deadlinePassed(id) == nil, "finished once")
    }

    // MARK: history

    @Test func everyNodesChartSumsTheOthersMinutesEachCountedOnce() {
        let a = node("a"), b = node("b"), c = node("c")
        let now = MetricsHistory.minute(of: time.nowMilliseconds)
        typealias Point = MetricsHistory.Point
        a.outbox.minutes = [now - 1: Point(minute: now - 1, totalActive: 2, pages: ["homepage": 2], paid: 1),
                            now: Point(minute: now, totalActive: 2, pages: ["homepage": 2])]
        b.outbox.minutes = [now - 1: Point(minute: now - 1, totalActive: 3, pages: ["checkout": 3], paid: 2)]
        let own = [Point(minute: now - 1, totalActive: 1, pages: ["homepage": 1], paid: 4), Point(minute: now, totalActive: 1, pages: ["homepage": 1])]
        c.outbox.minutes = [now - 1: own[0], now: own[1]]
        turns([a, b, c])
        var history = ClusterHistory()
        func chart() -> [Point] {
            for minute in c.heard.take(\.minutes) { history.record(node: minute.node, minute.point) }
            return history.merged(own, minutes: 60, live: PresenceCounters())
        }
        #expect(chart().first == Point(minute: now - 1, totalActive: 6, pages: ["homepage": 3, "checkout": 3], paid: 7),
                "a's, b's and c's own, each once")
        // a writes its closed minute again (a last version): c reads it anew, in place of the old.
        a.outbox.minutes = [now - 1: Point(minute: now - 1, totalActive: 2, pages: ["homepage": 2], paid: 5)]
        a.turn()
        time.advance(ClusterLink.Configuration(nodeID: "c", interval: 1, freshness: 1, maxKeys: 1).minutesInterval)
        c.turn()
        #expect(chart().first?.paid == 5 + 2 + 4)
    }

    // MARK: what the money engines announce

    @Test func whatANodeSaidComesBackToItAndIsLeftOutButBalancesReachEveryNode() {
        let a = node("a"), b = node("b")
        turns([a, b])
        cluster.announce(.alert(node: "a", id: 7))
        cluster.announce(.problems(node: "b"))
        cluster.announce(.balance(ClusterLink.BalanceNotice(userId: "u1", seq: 3)))
        cluster.announce(.erased(node: "a", .email("gone@shop.test")))
        turns([a, b])
        a.heard.state.withLock { heard in
            #expect(heard.alerts.isEmpty && heard.erased.isEmpty && heard.problems == 1)
            #expect(heard.balances == [ClusterLink.BalanceNotice(userId: "u1", seq: 3)])
        }
        b.heard.state.withLock { heard in
            #expect(heard.alerts == [7] && heard.erased == [.email("gone@shop.test")] && heard.problems == 0)
            #expect(heard.balances == [ClusterLink.BalanceNotice(userId: "u1", seq: 3)])
        }
    }

    @Test func aNodeThatStopsCleanlyLeavesTheOthersTotalsAtOnce() {
        let a = node("a"), b = node("b")
        a.beacon("s")
        turns([a, b], rounds: 2)
        #expect(b.heard.lastOthers?.nodes == ["a"])
        a.stop()
        time.advance(TestNode.interval)
        b.turn()
        #expect(b.heard.lastOthers?.nodes == [], "not after the freshness: its row is gone")
    }
}
