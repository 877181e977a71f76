import Cluster
import Hub
import Money

/// Support's lookup and the checkout funnel read sessions, and in cluster mode each session
/// lives on the node the balancer hashed it to. The node asked puts the question to every
/// fresh node (`ClusterLink.ask`) and replies with its own part and theirs, waiting as
/// `ClusterQuestions` says (at most its deadline for a node that is slow or dying: the
/// reply then names it, or says `unknown` when the database has been away too long to
/// know which nodes are up). Outside cluster mode, the node's own part is the reply.
typealias ClusterAnswersWaiter = (_ answers: [String: [UInt8]], _ silent: [String]) -> Void

extension ClusterPresence {
    /// The most sessions `GET /api/sessions` answers, newest first.
    static let sessionsAnswered = 50

    /// `GET /api/sessions`: the person's sessions on every node, newest first.
    func lookUp(_ person: PersonKey, replyTo: ReplyAddress) {
        let mine = sessions(of: person).map { (node: link?.nodeID, session: $0) }
        ask(.sessions(person)) { answers, silent in
            var found: [(node: String?, session: Session)] = mine
            for (node, body) in answers {
                guard let sessions = Session.decoded(body, limit: Self.sessionsAnswered) else { continue }
                found += sessions.map { (node, $0) }
            }
            found.sort { $0.session.startedAt > $1.session.startedAt }
            replyTo.send(.sessions(SessionsFound(sessions: Array(found.prefix(Self.sessionsAnswered)), unanswered: silent)))
        }
    }

    /// `GET /api/funnels`: the checkout steps from every node's sessions (a node that does not
    /// answer in time is left out), then the registration and payment steps from the records
    /// database; the reply goes straight from the money engine to the caller's loop.
    func funnels(since: Int64, replyTo: ReplyAddress) {
        ask(.checkoutFunnel(since: since)) { [unowned self] answers, _ in
            var checkout = checkoutFunnel(since: since)
            for body in answers.values {
                guard let counts = ClusterQuery.counts(body, steps: checkout.count) else { continue }
                for step in checkout.indices { checkout[step] += counts[step] }
            }
            presence.money.submit(ReadFunnels(since: since, registration: Funnels.registration)) { [checkout] result in
                replyTo.send(.funnels(FunnelsFound(since: since, checkout: checkout, records: result)))
            }
        }
    }

    /// Asks the other fresh nodes; `finish` gets their answers by node and the nodes that
    /// did not answer in time (at once, with none, outside cluster mode or alone in it).
    func ask(_ query: ClusterQuery, finish: @escaping ClusterAnswersWaiter) {
        guard let link else { return finish([:], []) }
        switch questions.ask(others: others, waiter: finish) {
        case .finished(let done):
            finish(done.answers, done.silent)
        case .ask(let id):
            link.ask(id, query)
            context.loop.schedule(afterNanoseconds: ClusterQuestions<ClusterAnswersWaiter>.deadline) { [unowned self] in
                if let done = questions.deadlinePassed(id) { done.waiter(done.answers, done.silent) }
            }
        }
    }

    /// Other nodes answered; one that answers late finds nobody waiting.
    func answered(_ answers: [ClusterQuery.Answer]) {
        for done in questions.answered(answers) { done.waiter(done.answers, done.silent) }
    }

    /// Other nodes ask about the sessions this one holds.
    func asked(_ asked: [ClusterQuery.Asked]) {
        for question in asked {
            let body: [UInt8]
            switch question.query {
            case .sessions(let person):
                body = Session.encoded(sessions(of: person))
            case .checkoutFunnel(let since):
                body = ClusterQuery.encoded(counts: checkoutFunnel(since: since))
            }
            link?.answer(question, body: body)
        }
    }

    /// The person's sessions this node keeps, newest first, at most `sessionsAnswered`.
    /// Read through the person index: only their sessions are touched, however many there are.
    func sessions(of person: PersonKey) -> ArraySlice<Session> {
        hub.sessions(matching: [person], limit: Self.sessionsAnswered)[...]
    }

    /// The checkout funnel as this node counts it while sessions move
    /// (`PresenceHub.checkoutFunnel`), from the start of `since`'s minute: no session is read.
    func checkoutFunnel(since: Int64) -> [Int] {
        hub.checkoutFunnel(since: since)
    }
}
