import Hub
import Records

/// The hub's counts of what happened, minute by minute, added to the rollups (the shop's
/// day); once an hour it also forgets minute and hour rows past their retention.
public struct WriteRollups: MoneyWriteOperation {
    public typealias Reply = Void

    public var minutes: [RollupCounts.Minute]
    /// Minute rows starting before the first, hour rows before the second, are forgotten.
    public var prune: (minutesBefore: Int64, hoursBefore: Int64)?

    public init(_ minutes: [RollupCounts.Minute], prune: (minutesBefore: Int64, hoursBefore: Int64)? = nil) {
        self.minutes = minutes
        self.prune = prune
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<Void, MoneyRefusal> {
        for minute in minutes {
            try writer.store.addRollups(minute: minute.minute, minute.counts.map { RecordsStore.RollupDelta(metric: $0.metric, key: $0.key, value: $0.value) })
        }
        if let prune {
            try writer.store.pruneRollups(.minute, before: prune.minutesBefore)
            try writer.store.pruneRollups(.hour, before: prune.hoursBefore)
        }
        return .success(())
    }
}
