/// One delivery to a provider webhook endpoint, kept whatever became of it.
public struct WebhookLogEntry: Sendable, Equatable {
    public enum Status: String, Sendable {
        case processed
        case rejected
        case duplicate
        case failed
    }

    public var id: Int64
    public var provider: String
    public var receivedAt: Int64
    public var signatureValid: Bool
    public var status: Status
    public var errorMessage: String?
    public var reference: String?
    /// The body as received (JSON text when it was JSON).
    public var payload: String
    /// The request's header fields, as `name: value` lines.
    public var headers: [String]
    /// What makes a second delivery of the same notification a duplicate.
    public var deliveryKey: String?

    public init(id: Int64, provider: String, receivedAt: Int64, signatureValid: Bool, status: Status, errorMessage: String?,
                reference: String?, payload: String, headers: [String], deliveryKey: String?) {
        self.id = id
        self.provider = provider
        self.receivedAt = receivedAt
        self.signatureValid = signatureValid
        self.status = status
        self.errorMessage = errorMessage
        self.reference = reference
        self.payload = payload
        self.headers = headers
        self.deliveryKey = deliveryKey
    }
}
