/// One delivery to a provider webhook endpoint, kept whatever became of it.
public struct WebhookLogEntry: Sendable, Equatable {
    public enum Status: String, Sendable {
        case processed
        case rejected
        case duplicate
        case failed
        /// Verified by its path token, but the provider's API contradicts it (M-Pesa).
        case forgedOrStale = "forged_or_stale"
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
    /// False for an unverified delivery past the log's hourly budget: counted, not stored.
    public var stored = true
    /// The payload was cut to `unverifiedPayloadLimit`: a delivery that failed verification
    /// is anyone's bytes, kept only as far as support needs to recognise it.
    public var payloadTruncated = false

    public static let unverifiedPayloadLimit = 2048
    public static let unverifiedHeadersLimit = 2048

    /// Bytes this entry holds, for the log's byte budget.
    public var byteCost: Int {
        128 + provider.utf8.count + payload.utf8.count + headers.reduce(0) { $0 + $1.utf8.count + 16 }
            + (errorMessage?.utf8.count ?? 0) + (reference?.utf8.count ?? 0) + (deliveryKey?.utf8.count ?? 0)
    }

    /// Cuts the payload and the headers of an unverified delivery to their limits.
    public mutating func truncateUnverified() {
        if payload.utf8.count > Self.unverifiedPayloadLimit {
            payload = Self.prefix(payload, bytes: Self.unverifiedPayloadLimit)
            payloadTruncated = true
        }
        var kept: [String] = [], total = 0
        for header in headers {
            let cut = Self.prefix(header, bytes: 256)
            total += cut.utf8.count
            if total > Self.unverifiedHeadersLimit { break }
            kept.append(cut)
        }
        headers = kept
    }

    /// At most `bytes` of UTF-8, never cutting a character in two.
    static func prefix(_ text: String, bytes: Int) -> String {
        let utf8 = Array(text.utf8)
        guard utf8.count > bytes else { return text }
        var end = bytes
        while end > 0 && utf8[end] & 0xC0 == 0x80 { end -= 1 }  // a continuation byte: back to the character's start
        return String(decoding: utf8[..<end], as: UTF8.self)
    }

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
