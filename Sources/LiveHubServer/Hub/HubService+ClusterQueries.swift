import Cluster
import Hub
import Reactor

/// Cluster mode: support's lookup and the checkout funnel read sessions, and each session
/// lives on the node the balancer hashed it to. The node asked puts the question to every
/// fresh node (`ClusterLink.ask`) and answers with its own part and theirs, waiting as
/// `ClusterQuestions` says (at most its deadline for a node that is slow or dying: the
/// answer then names it, or says `unknown` when the database has been away too long to
/// know which nodes are up).
typealias ClusterAnswersWaiter = (_ answers: [String: [UInt8]], _ silent: [String]) -> Void

extension HubService {
    /// Asks the other fresh nodes; `finish` gets their answers by node and the nodes that
    /// did not answer in time (at once, with none, outside cluster mode or alone in it).
    func askCluster(_ query: ClusterQuery, finish: @escaping ClusterAnswersWaiter) {
        guard let cluster else { return finish([:], []) }
        switch clusterQuestions.ask(others: others, waiter: finish) {
        case .finished(let done):
            finish(done.answers, done.silent)
        case .ask(let id):
            cluster.ask(id, query)
            context.loop.schedule(afterNanoseconds: ClusterQuestions<ClusterAnswersWaiter>.deadline) { [unowned self] in
                if let done = clusterQuestions.deadlinePassed(id) { done.waiter(done.answers, done.silent) }
            }
        }
    }

    /// Other nodes answered; one that answers late finds nobody waiting.
    func answered(_ answers: [ClusterQuery.Answer]) {
        for done in clusterQuestions.answered(answers) { done.waiter(done.answers, done.silent) }
    }

    /// Other nodes ask about the sessions this one holds.
    func asked(_ questions: [ClusterQuery.Asked]) {
        for asked in questions {
            let body: [UInt8]
            switch asked.query {
            case .sessions(let person):
                body = Session.encoded(sessions(of: person))
            case .checkoutFunnel(let since):
                body = ClusterQuery.encoded(counts: checkoutFunnel(since: since))
            }
            cluster?.answer(asked, body: body)
        }
    }

    /// `GET /api/sessions`: the person's sessions on every node, newest first.
    func lookUp(_ person: PersonKey, replyTo: ReplyAddress) {
        let mine = sessions(of: person).map { (node: cluster?.nodeID, session: $0) }
        askCluster(.sessions(person)) { answers, silent in
            var found: [(node: String?, session: Session)] = mine
            for (node, body) in answers {
                guard let sessions = Session.decoded(body, limit: Self.sessionsAnswered) else { continue }
                found += sessions.map { (node, $0) }
            }
            found.sort { $0.session.startedAt > $1.session.startedAt }
            replyTo.send(.sessions(SessionsFound(sessions: Array(found.prefix(Self.sessionsAnswered)), unanswered: silent)))
        }
    }

    /// The person's sessions this node keeps, newest first, at most `sessionsAnswered`.
    /// Read through the person index: only their sessions are touched, however many there are.
    func sessions(of person: PersonKey) -> ArraySlice<Session> {
        hub.sessions(matching: [person], limit: Self.sessionsAnswered)[...]
    }
}
