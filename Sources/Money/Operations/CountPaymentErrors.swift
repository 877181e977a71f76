import Hub
import Records

/// Payment errors the presence side recorded, by when: the spike rule is one of the money
/// side's `AlertRules` (configured once, at start, with the others), and a spike is an
/// alert committed to the outbox like theirs.
public struct CountPaymentErrors: MoneyWriteOperation {
    public typealias Reply = Void

    /// Milliseconds since the epoch, one per payment error.
    public var times: [Int64]
    /// What the rule said, the first time this was written: a group written again one write
    /// at a time (`MoneyWriter.commit`) raises the same alerts and counts no error twice.
    private let decided = SpikesDecided()

    public init(at times: [Int64]) { self.times = times }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<Void, MoneyRefusal> {
        let spikes = decided.drafts ?? times.compactMap { writer.alertRules.paymentErrorRecorded(at: $0) }
        decided.drafts = spikes
        for spike in spikes { try writer.raise(spike, now: writer.clock.nowMilliseconds) }
        return .success(())
    }
}

/// Touched only on the writer's thread.
private final class SpikesDecided: @unchecked Sendable {
    var drafts: [AlertRules.Draft]?
}
