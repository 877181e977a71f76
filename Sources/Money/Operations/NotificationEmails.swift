import Hub
import Records

/// The email sender's turn: notifications whose email is due, leased to this sender for
/// `lease` (taken again after it if no attempt was recorded: a node that died mid-send).
/// `wholeUser`: a digest, every pending one of the same users.
public struct TakeEmailsDue: MoneyWriteOperation {
    public typealias Reply = [EmailDue]

    public var limit: Int
    public var lease: Int64
    public var wholeUser: Bool

    public init(limit: Int, lease: Int64, wholeUser: Bool) {
        self.limit = limit
        self.lease = lease
        self.wholeUser = wholeUser
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<[EmailDue], MoneyRefusal> {
        let now = writer.clock.nowMilliseconds
        return .success(try writer.store.takeEmailsDue(now: now, limit: limit, leaseUntil: now + lease, wholeUser: wholeUser,
                                                          templates: writer.configuration.notifications.templates))
    }
}

/// One attempt to email notifications (one message) and its outcome, kept; sent, given up,
/// or due again at `retryAt`.
public struct RecordEmailAttempt: MoneyWriteOperation {
    public typealias Reply = Void

    public var ids: [Int64]
    public var outcome: String
    public var detail: String?
    public var retryAt: Int64?

    public init(ids: [Int64], outcome: String, detail: String?, retryAt: Int64?) {
        self.ids = ids
        self.outcome = outcome
        self.detail = detail
        self.retryAt = retryAt
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<Void, MoneyRefusal> {
        try writer.store.recordEmailAttempt(ids: ids, at: writer.clock.nowMilliseconds, outcome: outcome, detail: detail, retryAt: retryAt)
        return .success(())
    }
}
