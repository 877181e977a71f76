import Hub

extension MoneyRead {
    /// Whether any connection may answer it (`MoneyReaders`), not only the writer's: reads of
    /// what is committed, with no state of the engine's. A balance socket's replay and the
    /// cluster's announcements stay with the writer (they are ordered with its effects).
    public var isPlain: Bool {
        switch self {
        case .balanceReplay, .announcedElsewhere: return false
        default: return true
        }
    }
}

extension RecordsStore {
    /// The answer to a plain read (`MoneyRead.isPlain`) from what is committed; nil for one
    /// only the writer answers. `now` in milliseconds.
    func answer(_ read: MoneyRead, now: Int64) throws(Failure) -> MoneyReply? {
        switch read {
        case .transactions(let filter):
            return .transactions(try transactions(filter))
        case .balance(let userId):
            return .balance(userId: userId, try wallet(userId).balance)
        case .monitor(let window):
            return .monitor(try monitor(since: now - window))
        case .payments(let filter):
            return .payments(try payments(filter, limit: 500))
        case .paymentStats(let window):
            return .paymentStats(try paymentStats(since: now - window))
        case .openProblems:
            return .payments(try openProblems())
        case .journey(let userId, let email):
            return .activity(try journey(userId: userId, email: email))
        case .funnels(let since, let steps):
            return .funnels(registration: try activityFunnel(since: since, steps: steps), payment: try paymentFunnel(since: since))
        case .alerts(let limit):
            return .alerts(try alerts(limit: limit))
        case .webhookLog(let provider, let reference, let limit, let before):
            return .webhookLog(try webhookLog(provider: provider, reference: reference, limit: limit, before: before))
        case .erasurePlan(let key):
            return .erasurePlan(try erasurePlan(key))
        case .balanceReplay, .announcedElsewhere:
            return nil
        }
    }
}
