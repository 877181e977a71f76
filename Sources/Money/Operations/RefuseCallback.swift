import Hub
import Records

/// A callback its provider's API contradicts (an M-Pesa callback whose STK query does not
/// say what it said): logged as `forged_or_stale`, the question and answer kept, alerted;
/// the payment is not touched.
public struct RefuseCallback: MoneyWriteOperation {
    public typealias Reply = WebhookLogEntry

    public var entry: WebhookLogEntry
    public var check: ProviderCheck

    public init(entry: WebhookLogEntry, check: ProviderCheck) {
        self.entry = entry
        self.check = check
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<WebhookLogEntry, MoneyRefusal> {
        let now = writer.clock.nowMilliseconds
        var entry = entry
        entry.id = try writer.takeIDs(.webhook, count: 1)[0]
        entry.receivedAt = now
        entry.status = .forgedOrStale
        entry.errorMessage = "\(check.provider)'s API says \(check.outcome.rawValue)" + (check.detail.map { ": \($0)" } ?? "")
        try writer.store.insert(entry)
        var check = check
        check.id = try writer.takeIDs(.providerCheck, count: 1)[0]
        try writer.store.insert(check)
        try writer.raise(writer.alertRules.callbackContradicted(check), now: now)
        return .success(entry)
    }
}
