import Hub
import Records

/// `POST /api/payments/{reference}/resolve`: support closes a payment by hand, with a note
/// in its trail. Answers the payment as it is now.
public struct ResolvePayment: MoneyWriteOperation {
    public typealias Reply = Payment

    public var reference: String
    public var note: String?
    /// Who resolved it (the token's `sub`, or `api-key`).
    public var by: String

    public init(reference: String, note: String?, by: String) {
        self.reference = reference
        self.note = note
        self.by = by
    }

    public func write(in writer: MoneyWriter) throws(RecordsFailure) -> Result<Payment, MoneyRefusal> {
        let now = writer.clock.nowMilliseconds
        guard var payment = try writer.paymentForUpdate(reference) else { return .failure(.noSuchPayment(reference: reference)) }
        try writer.store.insertResolution(reference: reference, note: note, by: by, at: now, lsn: try writer.takeIDs(.resolution, count: 1)[0])
        payment.resolve(note: note, by: by, at: now)
        try writer.store.save(payment)
        writer.problemsChanged = true
        return .success(payment)
    }
}
