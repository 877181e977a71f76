import Hub
import Records

/// An alert raised on the presence side (payment errors spiking), committed to the outbox
/// like the money side's own.
public struct RaiseAlert: MoneyWriteOperation {
    public typealias Reply = Void

    public var draft: AlertRules.Draft

    public init(_ draft: AlertRules.Draft) { self.draft = draft }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<Void, MoneyRefusal> {
        try writer.raise(draft, now: writer.clock.nowMilliseconds)
        return .success(())
    }
}
