import Hub
import Records

/// `GET /api/webhooks/log`: newest first, older than id `before` if given, at most `limit`
/// entries and `RecordsStore.webhookLogAnswerBytes` of payloads.
public struct ReadWebhookLog: MoneyReadOperation {
    public typealias Reply = [WebhookLogEntry]

    public var provider: String?
    public var reference: String?
    public var limit: Int
    public var before: Int64?

    public init(provider: String?, reference: String?, limit: Int, before: Int64?) {
        self.provider = provider
        self.reference = reference
        self.limit = limit
        self.before = before
    }

    public func read(from store: RecordsStore, now: Int64) throws(RecordsFailure) -> [WebhookLogEntry] {
        try store.webhookLog(provider: provider, reference: reference, limit: limit, before: before)
    }
}
