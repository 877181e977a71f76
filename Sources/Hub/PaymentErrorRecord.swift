/// A payment error as sellers see it, with what the session knew of the customer and cart.
public struct PaymentErrorRecord: Sendable, Equatable {
    public var id: Int64
    public var sessionId: String
    public var occurredAt: Int64
    public var email: String?
    public var phone: String?
    /// Opaque JSON text, as the checkout beacon sent it.
    public var checkoutItems: String?
    public var totalAmount: String?
    public var paymentMethod: String?
    public var errorCode: String
    public var errorMessage: String
    /// Opaque JSON text, as the error beacon sent it.
    public var errorDetails: String?
    public var client: ClientInfo
    /// Cluster mode: recorded on another node (read from the database, never written
    /// there again). Not in the snapshot.
    public var fromElsewhere = false

    public init(id: Int64, sessionId: String, occurredAt: Int64, email: String?, phone: String?, checkoutItems: String?, totalAmount: String?,
                paymentMethod: String?, errorCode: String, errorMessage: String, errorDetails: String?, client: ClientInfo) {
        self.id = id
        self.sessionId = sessionId
        self.occurredAt = occurredAt
        self.email = email
        self.phone = phone
        self.checkoutItems = checkoutItems
        self.totalAmount = totalAmount
        self.paymentMethod = paymentMethod
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.errorDetails = errorDetails
        self.client = client
    }
}

/// The most recent payment errors, bounded: a ring that forgets the oldest.
struct RecentPaymentErrors {
    let capacity: Int
    private var ring: [PaymentErrorRecord] = []
    private var start = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { ring.count }

    mutating func append(_ record: PaymentErrorRecord) {
        if ring.count < capacity {
            ring.append(record)
        } else {
            ring[start] = record
            start = (start + 1) % capacity
        }
    }

    /// Newest first; at most `limit`, only those after `since` (milliseconds) if given.
    func newestFirst(limit: Int, since: Int64? = nil) -> [PaymentErrorRecord] {
        var out: [PaymentErrorRecord] = []
        var i = ring.count - 1
        while i >= 0 && out.count < limit {
            let record = ring[(start + i) % ring.count]
            if let since, record.occurredAt <= since { break }
            out.append(record)
            i -= 1
        }
        return out
    }

    /// Forgets the errors that occurred before `cutoff` (retention).
    mutating func dropOlder(than cutoff: Int64) {
        let kept = all.filter { $0.occurredAt >= cutoff }
        guard kept.count != ring.count else { return }
        ring = kept
        start = 0
    }

    /// Forgets the errors `erase` says yes to; returns how many.
    mutating func remove(where erase: (PaymentErrorRecord) -> Bool) -> Int {
        let kept = all.filter { !erase($0) }
        let removed = ring.count - kept.count
        if removed > 0 {
            ring = kept
            start = 0
        }
        return removed
    }

    /// Oldest first, for snapshots.
    var all: [PaymentErrorRecord] { (0..<ring.count).map { ring[(start + $0) % ring.count] } }
}
