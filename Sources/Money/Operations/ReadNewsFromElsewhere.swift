import Hub
import Records

/// Cluster mode: another node announced that it changed the open problems, raised alerts
/// or recorded payment errors; they are read on the writer's thread (in order with its own
/// effects) and given to this node's rooms as effects.
public struct ReadNewsFromElsewhere: MoneyOrderedReadOperation {
    public typealias Reply = Void

    public var problems: Bool
    public var alertIDs: [Int64]
    public var paymentErrors: Bool

    public init(problems: Bool, alertIDs: [Int64], paymentErrors: Bool) {
        self.problems = problems
        self.alertIDs = alertIDs
        self.paymentErrors = paymentErrors
    }

    public func read(in writer: MoneyWriter) throws(RecordsFailure) {
        try writer.readNews(problems: problems, alertIDs: alertIDs, paymentErrors: paymentErrors)
    }
}
