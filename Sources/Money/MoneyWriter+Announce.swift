import Hub
import Records

/// Cluster mode: what one node's transactions changed, told to the others, and what the
/// others told, read for this node's rooms.
extension MoneyWriter {
    /// Every hub on the database hears what this transaction changed for its rooms: each
    /// user's new balance (the last seq), that the open problems changed, the alerts raised,
    /// the people erased. PostgreSQL delivers a NOTIFY after the COMMIT, in commit order, and
    /// not at all if it rolls back (README "Cluster"); the hubs read the rows themselves.
    func announce(as node: String) throws(RecordsFailure) {
        var latest: [String: Int64] = [:]
        var notices: [(channel: String, payload: String)] = []
        for effect in pendingEffects {
            switch effect {
            case .balanceChanged(let t, _, _): latest[t.userId] = max(latest[t.userId] ?? 0, t.userSeq)
            case .alertRaised(let alert, _, true): notices.append((MoneyChannel.alert, "\(node):\(alert.id)"))
            case .alertRaised, .openProblems, .paymentErrorsElsewhere, .committed, .notified, .unseenChanged: break
            }
        }
        notices += latest.sorted { $0.key < $1.key }.map { (MoneyChannel.balance, "\($0.value):\($0.key)") }
        if problemsChanged { notices.append((MoneyChannel.problems, node)) }
        notices += erasedKeys.map { (MoneyChannel.erasure, "\(node)\t\($0.kind)\t\($0.value)") }
        try store.notify(notices)
    }

    /// Another node changed the open problems, raised alerts or recorded payment errors:
    /// they are read and given to this node's rooms as effects (`openProblems`,
    /// `alertRaised` to announce, `paymentErrorsElsewhere`).
    func readNews(problems: Bool, alertIDs: [Int64], paymentErrors: Bool) throws(RecordsFailure) {
        var news: [MoneyEffect] = problems ? [.openProblems(try store.openProblems())] : []
        for id in alertIDs {
            if let row = try store.alert(id: id) { news.append(.alertRaised(row.alert, deliver: false, announce: true)) }
        }
        if paymentErrors, let node = configuration.announcer {
            if var after = lastClusterError {
                // All of them, 5,000 at a time: the next announcement may never come.
                while true {
                    let rows = try store.clusterPaymentErrors(after: after, notFrom: node, limit: 5000)
                    guard let last = rows.last else { break }
                    after = last.seq
                    lastClusterError = after
                    news.append(.paymentErrorsElsewhere(rows.map(\.record)))
                    if rows.count < 5000 { break }
                }
            } else {
                lastClusterError = try store.lastClusterPaymentError()
            }
        }
        if !news.isEmpty { effects(news) }
    }
}
