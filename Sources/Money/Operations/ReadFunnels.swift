import Hub
import Records

/// `GET /api/funnels`, the records database's part: the registration steps (from activity)
/// and the payment steps, since `since`. The checkout steps are the hub's.
public struct ReadFunnels: MoneyReadOperation {
    public typealias Reply = FunnelCounts

    public var since: Int64
    /// The registration funnel's actions, in order.
    public var registration: [String]

    public init(since: Int64, registration: [String]) {
        self.since = since
        self.registration = registration
    }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> FunnelCounts {
        FunnelCounts(registration: try store.activityFunnel(since: since, steps: registration),
                     payment: try store.paymentFunnel(since: since))
    }
}

/// How many reached each step.
public struct FunnelCounts: Sendable, Equatable {
    public var registration: [Int]
    public var payment: [Int]

    public init(registration: [Int], payment: [Int]) {
        self.registration = registration
        self.payment = payment
    }
}
