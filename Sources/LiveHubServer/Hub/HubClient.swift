import HTTP1
import Hub
import Reactor
import Records

/// A loop's way to the hub and to the money engine. Presence commands apply at once on
/// the hub's own loop; from another loop they are batched and cross once per loop turn
/// (one lock for the batch, not one per beacon). Money requests go straight to the money
/// engine, batched the same way, and its typed answers are encoded here, on this loop.
final class HubClient {
    unowned let context: LoopContext
    private var outgoing: [(HubTask, UInt64)] = []
    private var outgoingMoney: [(command: MoneyCommand, token: UInt64)] = []
    private var waiting: [UInt64: HTTPConnection] = [:]
    /// How each money answer becomes its HTTP answer.
    private var answers: [UInt64: (MoneyReply) -> HTTPResponse] = [:]
    private var waitingReplays: [UInt64: WebSocketEndpointConnection] = [:]
    /// Reads whose answers release a permit of their credential's read limits.
    private var permits: [UInt64: ReadPermit] = [:]
    /// Answers that, if they succeed, first write these audit entries.
    private var auditOnSuccess: [UInt64: AuditEntry] = [:]
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
        case .money(let call):
            let request = MoneyRequest(call, metrics: context.shared.hubMetrics)
            let token = register(replyTo, token: given)
            answers[token] = request.answer
            if outgoingMoney.isEmpty { context.loop.atEndOfTurn { [unowned self] in sendMoney() } }
            outgoingMoney.append((request.command, token))
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
        let token = replyTo == nil ? 0 : register(replyTo, token: given)
        if outgoing.isEmpty { context.loop.atEndOfTurn { [unowned self] in send() } }
        outgoing.append((task, token))
        return nil
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
        context.shared.money.submit([(.balanceReplay(userId: userId, since: since), token)]) { replies in
            origin.execute { loop in
                guard let client = (loop.context as? LoopContext)?.hubClient else { return }
                for (token, reply) in replies {
                    guard let socket = client.waitingReplays.removeValue(forKey: token) else { continue }
                    guard case .balanceReplay(let balance, let lastSeq, let updates) = reply else {
                        (socket.role as? BalanceSocket)?.replayFailed(on: socket)
                        continue
                    }
                    // The first message is the balance the replay starts from: at `since`
                    // when there is a replay (so its seq is below every update's, and a client
                    // that drops seq ≤ the last it saw keeps them all), else now.
                    var opening = (balance: balance, seq: lastSeq)
                    if let since, let earliest = updates.first {
                        opening = (earliest.balanceAfter - Money(minorUnits: earliest.kind.sign * earliest.amount.minorUnits), since)
                    }
                    let frames = (first ? [MoneyMessages.balance(userId: userId, balance: opening.balance, seq: opening.seq)] : [])
                        + updates.map { MoneyMessages.balanceUpdate($0, linkBase: client.context.configuration.publicURL) }
                    (socket.role as? BalanceSocket)?.replayArrived(frames: frames, lastSeq: updates.last?.userSeq ?? lastSeq, on: socket)
                }
            }
        }
    }

    func forget(_ connection: HTTPConnection) {
        for (token, waiter) in waiting where waiter === connection {
            waiting[token] = nil
            // An audited answer still comes, and its entry is written: the act was done.
            if auditOnSuccess[token] == nil { answers[token] = nil }
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

    private func sendMoney() {
        let batch = outgoingMoney
        outgoingMoney = []
        let origin = context.loop.handle
        context.shared.money.submit(batch) { replies in
            origin.execute { loop in
                (loop.context as? LoopContext)?.hubClient.deliverMoney(replies)
            }
        }
    }

    private func deliverMoney(_ replies: [(token: UInt64, reply: MoneyReply)]) {
        for (token, reply) in replies {
            permits.removeValue(forKey: token)?.release()
            guard let answer = answers.removeValue(forKey: token) else { continue }
            deliver([(token, answer(reply))])
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
            waiting.removeValue(forKey: token)?.hubReplied(response, token: token)
        }
    }
}
