import Hub
import Records

/// What became of an alert's delivery to `--alert-webhook` (its outbox row is updated).
public struct RecordAlertDelivery: MoneyWriteOperation {
    public typealias Reply = Void

    public var alertID: Int64
    public var delivery: AlertDelivery

    public init(alertID: Int64, _ delivery: AlertDelivery) {
        self.alertID = alertID
        self.delivery = delivery
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<Void, MoneyRefusal> {
        try writer.store.setDelivery(delivery, ofAlert: alertID)
        return .success(())
    }
}
