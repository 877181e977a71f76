import HTTP1
import Hub
import Money
import Reactor
import Records

/// A loop's way to the hub and to the money engine. Presence commands apply at once on
/// the hub's own loop; from another loop they are batched and cross once per loop turn
/// (one lock for the batch, not one per beacon). Money requests go straight to the money
/// engine as typed operations, batched the same way (one submit per loop turn). Either
/// side replies with values, which become HTTP answers here, on this loop.
final class HubClient {
    unowned let context: LoopContext
    private var outgoing: [(HubTask, UInt64)] = []
    private var outgoingMoney = MoneyBatch<MoneyRequest.Answer>()
    private var waiting: [UInt64: HTTPConnection] = [:]
    private var waitingReplays: [UInt64: WebSocketEndpointConnection] = [:]
    /// Reads whose answers release a permit of their credential's read limits.
    private var permits: [UInt64: ReadPermit] = [:]
    /// Answers that, if they succeed, first write these audit entries.
    private var auditOnSuccess: [UInt64: AuditEntry] = [:]
    /// Replies the edge itself waits for (`ask`), to join them into one answer.
    private var joins: [UInt64: (HubReply) -> Void] = [:]
    private var nextToken: UInt64 = 1

    init(context: LoopContext) {
        self.context = context
    }

    /// A token for a request's answer (`submit` takes it back).
    func nextReplyToken() -> UInt64 {
        defer { nextToken += 1 }
        return nextToken
    }

    /// Returns the answer now if the hub is on this loop and the command is for presence;
    /// otherwise nil, and `replyTo.hubReplied(_:token:)` is called later (if the connection
    /// is still there).
    func submit(_ command: HubCommand, replyTo: HTTPConnection?, token given: UInt64? = nil) -> HTTPResponse? {
        let task: HubTask
        switch command {
        case .limited(let inner, let permit):
            let token = given ?? nextReplyToken()
            permits[token] = permit
            if let response = submit(inner, replyTo: replyTo, token: token) {
                answer(token, response)
            }
            return nil
        case .audited(let inner, let entry):
            let token = given ?? nextReplyToken()
            auditOnSuccess[token] = entry
            if let response = submit(inner, replyTo: replyTo, token: token) {
                // Answered at once (presence): the audit entry still goes first, after this
                // turn (the connection registers the answer once this call has returned).
                context.loop.atEndOfTurn { [unowned self] in answer(token, response) }
            }
            return nil
        case .money(let request):
            let token = register(replyTo, token: given)
            if outgoingMoney.isEmpty { context.loop.atEndOfTurn { [unowned self] in sendMoney() } }
            request.add(to: &outgoingMoney, token: token)
            return nil
        case .supportTimeline(let read):
            SupportTimelineJoin.start(read, client: self, token: register(replyTo, token: given))
            return nil
        case .providerCheck(let reference):
            let token = register(replyTo, token: given)
            let origin = context.loop.handle, contexts = context.shared.contexts
            let asked = context.shared.reconcile.on { reconciler in
                reconciler.checkNow(reference) { result in
                    origin.execute { loop in
                        switch result {
                        case .success(let reply): contexts[loop]?.hubClient.answer(token, Router.json(ProviderCheckMessages.reply(reply)))
                        case .failure(let refusal): contexts[loop]?.hubClient.answer(token, ProviderCheckMessages.refusal(refusal, reference: reference))
                        }
                    }
                }
            }
            // Answered after this turn, as the asked path is: the connection registers the
            // answer it waits for only once this call has returned (an answer now was lost,
            // and the request, and any pipelined behind it, waited forever).
            if !asked {
                context.loop.atEndOfTurn { [unowned self] in
                    answer(token, ProviderCheckMessages.refusal(.notConfigured("any provider"), reference: reference))
                }
            }
            return nil
        case .accounts(let call):
            let token = register(replyTo, token: given)
            let origin = context.loop.handle, contexts = context.shared.contexts
            context.shared.accounts.submit(call) { result in
                origin.execute { loop in
                    guard let client = contexts[loop]?.hubClient else { return }
                    let configuration = client.context.configuration
                    client.answer(token, AccountAnswers.response(result, secret: configuration.secret,
                                                                 secure: configuration.tlsCertificatePath != nil))
                }
            }
            return nil
        case .presence(let presence):
            if let presenceHere = context.hub?.presence {
                let reply = presenceHere.apply(presence)
                // A `/ws/track` beacon: nobody waits, nothing is written.
                return replyTo == nil ? nil : HubAnswers.presence(reply)
            }
            task = .presence(presence)
        case .funnels(let window):
            task = .funnels(windowMilliseconds: window)
        case .erasePreview(let key):
            task = .erasePreview(key)
        case .erase(let call):
            task = .erase(call)
        case .sessions(let person):
            task = .sessions(person)
        }
        let token = replyTo == nil ? 0 : register(replyTo, token: given)
        if outgoing.isEmpty { context.loop.atEndOfTurn { [unowned self] in send() } }
        outgoing.append((task, token))
        return nil
    }

    /// Asks the hub's loop for `task` as a connection would; its reply, a value, goes to
    /// `reply`, on this loop (a join of several replies into one answer, `SupportTimelineJoin`).
    func ask(_ task: HubTask, reply: @escaping (HubReply) -> Void) {
        let token = nextReplyToken()
        joins[token] = reply
        if outgoing.isEmpty { context.loop.atEndOfTurn { [unowned self] in send() } }
        outgoing.append((task, token))
    }

    private func register(_ connection: HTTPConnection?, token given: UInt64?) -> UInt64 {
        let token = given ?? nextReplyToken()
        waiting[token] = connection
        return token
    }

    /// Asks the money engine for what a balance socket missed after `since` (the `first`
    /// replay starts with the balance message). The answer is read after the commits it
    /// covers; the socket sends each seq once, in order (`BalanceSocket`).
    func requestBalanceReplay(userId: String, since: Int64?, first: Bool, for socket: WebSocketEndpointConnection) {
        let token = nextReplyToken()
        waitingReplays[token] = socket
        let origin = context.loop.handle, contexts = context.shared.contexts
        context.shared.money.submit(ReplayBalance(userId: userId, since: since)) { result in
            origin.execute { loop in
                guard let client = contexts[loop]?.hubClient,
                      let socket = client.waitingReplays.removeValue(forKey: token) else { return }
                let replay: BalanceReplay
                switch result {
                case .success(let read): replay = read
                case .failure:
                    (socket.role as? BalanceSocket)?.replayFailed(on: socket)
                    return
                }
                // The first message is the balance the replay starts from: at `since` when
                // there is a replay (so its seq is below every update's, and a client that
                // drops seq ≤ the last it saw keeps them all), else now.
                var opening = (balance: replay.balance, seq: replay.lastSeq)
                if let since, let earliest = replay.updates.first {
                    opening = (earliest.balanceAfter - Money(minorUnits: earliest.kind.sign * earliest.amount.minorUnits), since)
                }
                let linkBase = client.context.configuration.publicURL
                // The opening says the unseen count as it is now; a replayed update carries its
                // notification, not a count of then.
                let frames = (first ? [MoneyMessages.balance(userId: userId, balance: opening.balance, seq: opening.seq, unseen: replay.unseen)] : [])
                    + replay.updates.map { t in
                        // The last one says the unseen count as the replay read it (in cluster
                        // mode a node's own writes can reach its sockets this way too).
                        MoneyMessages.balanceUpdate(t, notification: replay.notifications[t.userSeq],
                                                    unseen: t.userSeq == replay.updates.last?.userSeq ? replay.unseen : nil, linkBase: linkBase)
                    }
                (socket.role as? BalanceSocket)?.replayArrived(frames: frames, lastSeq: replay.updates.last?.userSeq ?? replay.lastSeq, on: socket)
            }
        }
    }

    func forget(_ connection: HTTPConnection) {
        for (token, waiter) in waiting where waiter === connection {
            // An audited answer still comes, and its entry is written: the act was done.
            waiting[token] = nil
        }
    }

    private func send() {
        let batch = outgoing
        outgoing = []
        context.shared.hubInbox.tasks(batch, from: context.loop.handle)
    }

    /// The loop turn's money requests, in one submit; their answers come back in one task
    /// per part (the writer's, a reader's) and are made here.
    private func sendMoney() {
        let batch = outgoingMoney
        outgoingMoney = MoneyBatch()
        let origin = context.loop.handle, contexts = context.shared.contexts
        context.shared.money.submit(batch) { answers in
            origin.execute { loop in
                contexts[loop]?.hubClient.deliverMoney(answers)
            }
        }
    }

    private func deliverMoney(_ answers: [MoneyAnswer<MoneyRequest.Answer>]) {
        for made in answers {
            let (token, response) = made()
            answer(token, response)
        }
    }

    /// The hub's replies, each made its answer here (or handed to the join that asked).
    func deliver(_ replies: [(UInt64, HubReply)]) {
        for (token, reply) in replies {
            if let join = joins.removeValue(forKey: token) {
                join(reply)
                continue
            }
            answer(token, HubAnswers.response(reply))
        }
    }

    /// The answer to the request with `token`: its read permit is released, and an audited
    /// act that succeeded has its entry written before the answer leaves.
    func answer(_ token: UInt64, _ response: HTTPResponse) {
        permits.removeValue(forKey: token)?.release()
        if let entry = auditOnSuccess.removeValue(forKey: token), (200..<300).contains(response.status.code) {
            let origin = context.loop.handle, contexts = context.shared.contexts
            context.shared.accounts.audit(entry) {
                origin.execute { loop in contexts[loop]?.hubClient.waiting.removeValue(forKey: token)?.hubReplied(response, token: token) }
            }
            return
        }
        waiting.removeValue(forKey: token)?.hubReplied(response, token: token)
    }
}
