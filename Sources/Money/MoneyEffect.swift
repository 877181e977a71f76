import Hub
import Records

/// What a committed write means for the rooms and the alert webhook, in commit order.
public enum MoneyEffect: Sendable {
    /// A ledger entry, whether the user's preferences push its notification (made from it,
    /// `UserNotification.of`, where it is sent), and the user's unseen count after it when
    /// a socket of theirs asked for it.
    case balanceChanged(LedgerTransaction, pushed: Bool, unseen: Int?)
    /// A notification that is not a ledger entry's (a payment that failed, a shop's own),
    /// to push, and the user's unseen count after it.
    case notified(UserNotification, unseen: Int)
    /// The user read or archived notifications: their unseen count now.
    case unseenChanged(userId: String, unseen: Int)
    /// `announce`: tell the sellers (false for a delivery resumed after a restart).
    case alertRaised(Alert, deliver: Bool, announce: Bool)
    /// The open gaps and unmatched payments, after a change to them (here or, in cluster
    /// mode, on another node): the rooms tell the sellers which opened and which closed.
    case openProblems([Payment])
    /// Cluster mode: payment errors other nodes recorded, oldest first.
    case paymentErrorsElsewhere([PaymentErrorRecord])
    /// A transaction of `writes` operations committed in `seconds`.
    case committed(writes: Int, seconds: Double)
}
