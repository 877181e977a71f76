import Hub
import Records

/// `GET /api/activity`: one user's journey, oldest first, by user id or email.
public struct ReadJourney: MoneyReadOperation {
    public typealias Reply = [ActivityEvent]

    public var userId: String?
    public var email: String?

    public init(userId: String?, email: String?) {
        self.userId = userId
        self.email = email
    }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [ActivityEvent] {
        try store.journey(userId: userId, email: email)
    }
}
