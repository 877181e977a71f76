import Testing
@testable import Cluster
import Hub

@Suite("Questions waiting for the other nodes")
struct ClusterQuestionsTests {
    private func others(_ nodes: [String], known: Bool = true) -> ClusterLink.Others {
        ClusterLink.Others(counters: PresenceCounters(), nodes: nodes, updatedAt: 0, known: known)
    }

    @Test func aNodeAloneOrOutsideAClusterAsksNobodyAndWaitsForNothing() {
        var questions = ClusterQuestions<Int>(firstID: 0)
        for alone in [nil, others([])] {
            guard case .finished(let done) = questions.ask(others: alone, waiter: 1) else { Issue.record("asked nobody"); continue }
            #expect(done.silent.isEmpty && done.answers.isEmpty)
        }
    }

    @Test func pastTheQuestionsInFlightTheAnswerIsTheAskersPartAloneNamingEveryNode() {
        var questions = ClusterQuestions<Int>(firstID: 0)
        for waiter in 0..<ClusterQuestions<Int>.maxPending {
            guard case .ask = questions.ask(others: others(["b", "c"]), waiter: waiter) else { Issue.record("not asked"); return }
        }
        guard case .finished(let done) = questions.ask(others: others(["c", "b"]), waiter: -1) else { Issue.record("asked past the limit"); return }
        #expect(done.waiter == -1 && done.silent == ["b", "c"])
        // One finished makes room again.
        _ = questions.deadlinePassed(1)
        guard case .ask = questions.ask(others: others(["b"]), waiter: 0) else { Issue.record("no room made"); return }
    }

    @Test func idsFollowTheFirstSoARestartedNodeNeverMeetsItsLastLifesAnswers() {
        var questions = ClusterQuestions<Int>(firstID: 5_000)
        guard case .ask(let id) = questions.ask(others: others(["b"]), waiter: 0) else { Issue.record("not asked"); return }
        #expect(id > 5_000)
        #expect(questions.answered([ClusterQuery.Answer(queryID: 4_999, node: "b", body: [])]).isEmpty && questions.inFlight == 1)
    }
}
