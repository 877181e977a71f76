import Cluster
import HTTP1
import Hub
import Reactor

/// Cluster mode: support's lookup and the checkout funnel read sessions, and each session
/// lives on the node the balancer hashed it to. The node asked puts the question to every
/// fresh node (`ClusterLink.ask`) and answers with its own part and theirs, waiting at most
/// `clusterQueryTimeout` for a node that is slow or dying (the answer then names it, or
/// says `unknown` when the database has been away too long to know which nodes are up).
struct PendingClusterQuery {
    var waitingFor: Set<String>
    var answers: [String: [UInt8]] = [:]
    let finish: (_ answers: [String: [UInt8]], _ silent: [String]) -> Void
}

extension HubService {
    /// Long enough for a node's link to hear, answer and be read (milliseconds when the
    /// database is near); short enough for a person at a console.
    static let clusterQueryTimeout: UInt64 = 1_000_000_000
    /// Questions in flight at once; beyond them the answer is this node's part alone.
    static let maxPendingClusterQueries = 64

    /// Asks the other fresh nodes; `finish` gets their answers by node and the nodes that
    /// did not answer in time (at once, with none, outside cluster mode or alone in it;
    /// `["unknown"]` while which nodes are up is not known).
    func askCluster(_ query: ClusterQuery, finish: @escaping (_ answers: [String: [UInt8]], _ silent: [String]) -> Void) {
        let nodes = Set(others?.nodes ?? [])
        guard let cluster else { return finish([:], []) }
        guard others?.known ?? true else { return finish([:], ["unknown"]) }
        guard !nodes.isEmpty else { return finish([:], []) }
        guard pendingQueries.count < Self.maxPendingClusterQueries else { return finish([:], nodes.sorted()) }
        nextQueryID &+= 1
        let id = nextQueryID
        pendingQueries[id] = PendingClusterQuery(waitingFor: nodes, finish: finish)
        cluster.ask(id, query)
        context.loop.schedule(afterNanoseconds: Self.clusterQueryTimeout) { [unowned self] in finishQuery(id) }
    }

    /// Other nodes answered; one that answers late finds nobody waiting.
    func answered(_ answers: [ClusterQuery.Answer]) {
        for answer in answers {
            guard var pending = pendingQueries[answer.queryID] else { continue }
            pending.answers[answer.node] = answer.body
            pending.waitingFor.remove(answer.node)
            pendingQueries[answer.queryID] = pending
            if pending.waitingFor.isEmpty { finishQuery(answer.queryID) }
        }
    }

    private func finishQuery(_ id: UInt64) {
        guard let pending = pendingQueries.removeValue(forKey: id) else { return }
        pending.finish(pending.answers, pending.waitingFor.sorted())
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
    func lookUp(_ person: PersonKey, token: UInt64, to origin: EventLoopHandle) {
        let mine = sessions(of: person).map { (node: cluster?.nodeID, session: $0) }
        askCluster(.sessions(person)) { answers, silent in
            var found: [(node: String?, session: Session)] = mine
            for (node, body) in answers {
                guard let sessions = Session.decoded(body, limit: Self.sessionsAnswered) else { continue }
                found += sessions.map { (node, $0) }
            }
            found.sort { $0.session.startedAt > $1.session.startedAt }
            var headers = HTTPHeaders([("Content-Type", "application/json")])
            if !silent.isEmpty {
                // Node ids come from the database: only one `--node-id` could be (printable, no
                // space, no comma) goes into the header as it is.
                let named = silent.map { id in
                    (1...64).contains(id.utf8.count) && id.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") }) ? id : "(invalid node id)"
                }
                headers.add(name: "LiveHub-Unanswered-Nodes", value: named.joined(separator: ","))
            }
            let response = HTTPResponse(status: .ok, headers: headers, body: HubMessages.sessions(found.prefix(Self.sessionsAnswered)))
            origin.execute { loop in (loop.context as? LoopContext)?.hubClient.deliver([(token, response)]) }
        }
    }

    /// The person's sessions this node keeps, newest first, at most `sessionsAnswered`.
    /// Read through the person index: only their sessions are touched, however many there are.
    func sessions(of person: PersonKey) -> ArraySlice<Session> {
        hub.sessions(matching: [person], limit: Self.sessionsAnswered)[...]
    }
}
