import Hub

/// One entry of the journal (and of a v2 snapshot's money): a ledger transaction, a payment
/// event, a webhook delivery, an alert, an activity event. The journal's state is exactly
/// its records applied in order, so a record carries its outcome (ids, times, balances),
/// never something to recompute differently on replay. Read only to import a data dir from
/// before the records database; the encoder stays so tests and the fuzzer can write them.
public enum JournalRecord: Sendable, Equatable {
    case transaction(LedgerTransaction)
    case paymentEvent(PaymentEvent)
    /// A confirmed payment passed the grace without a credit.
    case gapOpened(reference: String, at: Int64)
    case paymentResolved(reference: String, note: String?, by: String?, at: Int64)
    /// A provider confirmed money for a reference no payment was initialized with.
    case paymentUnmatched(reference: String, at: Int64)
    case webhookDelivery(WebhookLogEntry)
    case alert(Alert)
    case activity(ActivityEvent)

    func encode(into w: inout ByteWriter) {
        switch self {
        case .transaction(let t):
            w.u8(t.paymentReference == nil ? 1 : 9)  // 9: the same, then the payment it credits
            w.i64(t.id); w.string(t.userId); w.i64(t.amount.minorUnits); w.string(t.kind.rawValue)
            w.string(t.description); w.string(t.service); w.string(t.reference); w.i64(t.createdAt)
            w.i64(t.balanceAfter.minorUnits); w.i64(t.userSeq)
            if let paymentReference = t.paymentReference { w.string(paymentReference) }
        case .paymentEvent(let e):
            w.u8(2)
            w.string(e.reference); w.string(e.provider); w.string(e.stage.rawValue)
            w.optionalI64(e.amount?.minorUnits); w.string(e.currency); w.string(e.userId); w.string(e.email)
            w.string(e.phone); w.string(e.plan); w.string(e.errorMessage); w.i64(e.receivedAt)
        case .gapOpened(let reference, let at):
            w.u8(3)
            w.string(reference); w.i64(at)
        case .paymentResolved(let reference, let note, let by, let at):
            w.u8(10)  // 4 without `by`: still read
            w.string(reference); w.string(note); w.i64(at); w.string(by)
        case .paymentUnmatched(let reference, let at):
            w.u8(11)
            w.string(reference); w.i64(at)
        case .webhookDelivery(let e):
            w.u8(8)  // 5 without payloadTruncated: still read
            w.bool(e.payloadTruncated)
            w.i64(e.id); w.string(e.provider); w.i64(e.receivedAt); w.bool(e.signatureValid); w.string(e.status.rawValue)
            w.string(e.errorMessage); w.string(e.reference); w.string(e.payload)
            w.u32(UInt32(e.headers.count))
            for header in e.headers { w.string(header) }
            w.string(e.deliveryKey)
        case .alert(let a):
            w.u8(6)
            w.i64(a.id); w.string(a.kind.rawValue); w.string(a.title); w.string(a.message); w.string(a.userId)
            w.string(a.reference); w.i64(a.createdAt)
        case .activity(let a):
            w.u8(7)
            w.i64(a.id); w.string(a.userId); w.string(a.email); w.string(a.action); w.string(a.status)
            w.string(a.details); w.string(a.errorMessage); w.i64(a.createdAt)
        }
    }

    struct Undecodable: Error {}

    /// A version-2 snapshot's money section, every record of it and nothing after.
    public static func decodeAll(_ money: HubSnapshot.LegacyMoney) throws(SnapshotMoneyUnreadable) -> [JournalRecord] {
        var reader = ByteReader(money.encodedRecords)
        var records: [JournalRecord] = []
        records.reserveCapacity(min(money.recordCount, 10_000_000))
        do {
            for _ in 0..<money.recordCount { records.append(try decode(from: &reader)) }
        } catch {
            throw SnapshotMoneyUnreadable(description: "record \(records.count + 1) of \(money.recordCount) does not decode")
        }
        guard reader.remaining == 0 else {
            throw SnapshotMoneyUnreadable(description: "\(reader.remaining) bytes after its \(money.recordCount) records")
        }
        return records
    }

    static func decode(from r: inout ByteReader) throws -> JournalRecord {
        let tag = try r.u8()
        switch tag {
        case 1, 9:
            let id = try r.i64(), user = try r.requiredString(), amount = try r.i64()
            guard let kind = LedgerTransaction.Kind(rawValue: try r.requiredString()) else { throw Undecodable() }
            var transaction = LedgerTransaction(
                id: id, userId: user, amount: Money(minorUnits: amount), kind: kind, description: try r.requiredString(),
                service: try r.string(), reference: try r.requiredString(), createdAt: try r.i64(),
                balanceAfter: Money(minorUnits: try r.i64()), userSeq: try r.i64())
            if tag == 9 { transaction.paymentReference = try r.requiredString() }
            return .transaction(transaction)
        case 2:
            let reference = try r.requiredString(), provider = try r.requiredString()
            guard let stage = Payment.Stage(rawValue: try r.requiredString()) else { throw Undecodable() }
            return .paymentEvent(PaymentEvent(
                reference: reference, provider: provider, stage: stage, amount: try r.optionalI64().map { Money(minorUnits: $0) },
                currency: try r.string(), userId: try r.string(), email: try r.string(), phone: try r.string(),
                plan: try r.string(), errorMessage: try r.string(), receivedAt: try r.i64()))
        case 3:
            return .gapOpened(reference: try r.requiredString(), at: try r.i64())
        case 4, 10:
            let reference = try r.requiredString(), note = try r.string(), at = try r.i64()
            return .paymentResolved(reference: reference, note: note, by: tag == 10 ? try r.string() : nil, at: at)
        case 11:
            return .paymentUnmatched(reference: try r.requiredString(), at: try r.i64())
        case 5, 8:
            let truncated = tag == 8 ? try r.bool() : false
            let id = try r.i64(), provider = try r.requiredString(), at = try r.i64(), valid = try r.bool()
            guard let status = WebhookLogEntry.Status(rawValue: try r.requiredString()) else { throw Undecodable() }
            let error = try r.string(), reference = try r.string(), payload = try r.requiredString()
            let count = try r.u32()
            guard count <= 1000 else { throw Undecodable() }
            var headers: [String] = []
            for _ in 0..<count { headers.append(try r.requiredString()) }
            var entry = WebhookLogEntry(id: id, provider: provider, receivedAt: at, signatureValid: valid, status: status,
                                        errorMessage: error, reference: reference, payload: payload, headers: headers,
                                        deliveryKey: try r.string())
            entry.payloadTruncated = truncated
            return .webhookDelivery(entry)
        case 6:
            let id = try r.i64()
            guard let kind = Alert.Kind(rawValue: try r.requiredString()) else { throw Undecodable() }
            return .alert(Alert(id: id, kind: kind, title: try r.requiredString(), message: try r.requiredString(),
                                userId: try r.string(), reference: try r.string(), createdAt: try r.i64()))
        case 7:
            return .activity(ActivityEvent(id: try r.i64(), userId: try r.string(), email: try r.string(), action: try r.requiredString(),
                                           status: try r.requiredString(), details: try r.string(), errorMessage: try r.string(),
                                           createdAt: try r.i64()))
        default:
            throw Undecodable()
        }
    }
}

/// A version-2 snapshot whose money section does not read as records (its checksum
/// passed: the hub that wrote it had a bug).
public struct SnapshotMoneyUnreadable: Error, CustomStringConvertible {
    public let description: String
}
