import HTTP1
import Hub
import Money
import Reactor
import Records

/// A loop's way to the hub and to the money engine. Presence commands apply at once on
/// the hub's own loop; from another loop they are batched and cross once per loop turn
/// (one lock for the batch, not one per beacon). Money requests go straight to the money
/// engine as typed operations, batched the same way (one submit per loop turn), and their
/// typed replies become HTTP answers here, on this loop.
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
    /// Answers the edge itself waits for (`ask`), to join them into one.
    private var joins: [UInt64: (HTTPResponse) -> Void] = [:]
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
                deliver([(token, response)])
            }
            return nil
        case .audited(let inner, let entry):
            let token = given ?? nextReplyToken()
            auditOnSuccess[token] = entry
            if let response = submit(inner, replyTo: replyTo, token: token) {
                // Answered at once (presence): the audit entry still goes first.
                deliver([(token, response)])
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
        case .accounts(let call):
            let token = register(replyTo, token: given)
            let origin = context.loop.handle
            context.shared.accounts.submit(call) { response in
                origin.execute { loop in (loop.context as? LoopContext)?.hubClient.deliver([(token, response)]) }
            }
            return nil
        case .presence(let presence):
            if let service = context.hubService { return service.apply(presence) }
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
        let token = replyTo == nil && given == nil ? 0 : register(replyTo, token: given)
        if outgoing.isEmpty { context.loop.atEndOfTurn { [unowned self] in send() } }
        outgoing.append((task, token))
        return nil
    }

    /// Submits a command as a connection would; its answer goes to `answer`, on this loop
    /// (a join of several answers into one, `SupportTimelineJoin`).
    func ask(_ command: HubCommand, answer: @escaping (HTTPResponse) -> Void) {
        let token = nextReplyToken()
        joins[token] = answer
        if let response = submit(command, replyTo: nil, token: token) { deliver([(token, response)]) }
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
        let origin = context.loop.handle
        context.shared.money.submit(ReplayBalance(userId: userId, since: since)) { result in
            origin.execute { loop in
                guard let client = (loop.context as? LoopContext)?.hubClient,
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
                let frames = (first ? [MoneyMessages.balance(userId: userId, balance: opening.balance, seq: opening.seq)] : [])
                    + replay.updates.map { MoneyMessages.balanceUpdate($0, linkBase: client.context.configuration.publicURL) }
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
        let origin = context.loop.handle
        context.shared.hubHandle.execute { hubLoop in
            guard let service = (hubLoop.context as? LoopContext)?.hubService else { return }
            let replies = service.apply(batch: batch, from: origin)
            guard !replies.isEmpty else { return }
            origin.execute { loop in
                (loop.context as? LoopContext)?.hubClient.deliver(replies)
            }
        }
    }

    /// The loop turn's money requests, in one submit; their answers come back in one task
    /// per part (the writer's, a reader's) and are made here.
    private func sendMoney() {
        let batch = outgoingMoney
        outgoingMoney = MoneyBatch()
        let origin = context.loop.handle
        context.shared.money.submit(batch) { answers in
            origin.execute { loop in
                (loop.context as? LoopContext)?.hubClient.deliverMoney(answers)
            }
        }
    }

    private func deliverMoney(_ answers: [MoneyAnswer<MoneyRequest.Answer>]) {
        for answer in answers {
            let (token, response) = answer()
            deliver([(token, response)])
        }
    }

    func deliver(_ replies: [(UInt64, HTTPResponse)]) {
        for (token, response) in replies {
            permits.removeValue(forKey: token)?.release()
            if let entry = auditOnSuccess.removeValue(forKey: token), (200..<300).contains(response.status.code) {
                let origin = context.loop.handle
                context.shared.accounts.audit(entry) {
                    origin.execute { loop in (loop.context as? LoopContext)?.hubClient.deliver([(token, response)]) }
                }
                continue
            }
            if let join = joins.removeValue(forKey: token) {
                join(response)
                continue
            }
            waiting.removeValue(forKey: token)?.hubReplied(response, token: token)
        }
    }
}
