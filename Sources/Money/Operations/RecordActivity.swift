import Hub
import Records

/// `POST /api/activity`: one step of a user's journey (id and time set when it is written).
/// Answers the event as recorded.
public struct RecordActivity: MoneyWriteOperation {
    public typealias Reply = ActivityEvent

    public var event: ActivityEvent

    public init(_ event: ActivityEvent) { self.event = event }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<ActivityEvent, MoneyRefusal> {
        var event = event
        event.id = try writer.takeIDs(.activity, count: 1)[0]
        event.createdAt = writer.clock.nowMilliseconds
        try writer.store.insert(event)
        return .success(event)
    }
}
