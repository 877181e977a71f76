import Hub
import JSON
import Money
import Records

/// The JSON of the money side (contract v1). Amounts are written as exact decimal numbers
/// from integer cents ("12.50"), never through a float.
enum MoneyMessages {
    static func transaction(_ t: LedgerTransaction, into json: inout JSONWriter) {
        json.beginObject()
        json.field("id", Int(t.id))
        json.field("user_id", t.userId)
        json.key("amount"); json.raw(t.amount.description)
        json.field("type", t.kind.rawValue)
        json.field("description", t.description)
        json.field("service", t.service)
        json.field("reference", t.reference)
        json.field("payment_reference", t.paymentReference)
        json.field("status", t.status)
        json.field("created_at", Timestamp.iso8601(milliseconds: t.createdAt))
        json.key("balance_after"); json.raw(t.balanceAfter.description)
        json.endObject()
    }

    static func transaction(_ t: LedgerTransaction) -> [UInt8] { one(t, transaction) }
    static func transactions(_ list: [LedgerTransaction]) -> [UInt8] { array(list, transaction) }

    /// One value written by `write`, as bytes.
    static func one<Value>(_ value: Value, _ write: (Value, inout JSONWriter) -> Void) -> [UInt8] {
        var json = JSONWriter()
        write(value, &json)
        return json.bytes
    }

    /// A JSON array of the values, each written by `write`.
    static func array<Value>(_ values: [Value], _ write: (Value, inout JSONWriter) -> Void) -> [UInt8] {
        var json = JSONWriter()
        json.beginArray()
        for value in values { write(value, &json) }
        json.endArray()
        return json.bytes
    }

    /// One `balance_update` for the user's room, with its `seq`.
    /// `{"type":"balance","user_id","balance","seq"}`: a balance socket's first message.
    static func balance(userId: String, balance: Money, seq: Int64, unseen: Int? = nil) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("type", "balance")
        json.field("user_id", userId)
        json.key("balance"); json.raw(balance.description)
        json.field("seq", Int(seq))
        if let unseen { json.field("unseen", unseen) }
        json.endObject()
        return json.bytes
    }

    /// `linkBase`: `--public-url`, making the `link` absolute (nil: a path on the hub).
    /// `notification`: the entry's, when the user's preferences push it; `unseen`: the
    /// user's unseen count after it (a live push; a replay says it once at its end).
    static func balanceUpdate(_ t: LedgerTransaction, notification: UserNotification?, unseen: Int?, linkBase: String?) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("type", "balance_update")
        json.field("seq", Int(t.userSeq))
        json.key("balance"); json.raw(t.balanceAfter.description)
        json.key("transaction"); transaction(t, into: &json)
        if let notification {
            json.key("notification")
            NotificationMessages.notification(notification, linkBase: linkBase, into: &json)
        }
        if let unseen { json.field("unseen", unseen) }
        json.field("timestamp", Timestamp.iso8601(milliseconds: t.createdAt))
        json.endObject()
        return json.bytes
    }

    /// `GET /api/wallet/balance`: `{"user_id", "balance"}`.
    static func walletBalance(userId: String, _ balance: Money) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("user_id", userId)
        json.key("balance"); json.raw(balance.description)
        json.endObject()
        return json.bytes
    }

    /// `GET /api/alerts`: newest first, each with its delivery.
    static func alerts(_ rows: [AlertRow]) -> [UInt8] {
        var json = JSONWriter()
        json.beginArray()
        for row in rows { json.raw(String(decoding: alert(row.alert, delivery: row.delivery), as: UTF8.self)) }
        json.endArray()
        return json.bytes
    }

    /// An alert, with what became of its webhook delivery when that is known.
    static func alert(_ a: Alert, delivery: AlertDelivery?) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("id", Int(a.id))
        json.field("kind", a.kind.rawValue)
        json.field("severity", a.kind.severity.rawValue)
        json.field("title", a.title)
        json.field("message", a.message)
        json.field("user_id", a.userId)
        json.field("reference", a.reference)
        json.field("created_at", Timestamp.iso8601(milliseconds: a.createdAt))
        if let delivery {
            json.key("webhook")
            json.beginObject()
            json.field("status", delivery.status.rawValue)
            json.field("attempts", delivery.attempts)
            json.field("last_error", delivery.lastError)
            json.endObject()
        }
        json.endObject()
        return json.bytes
    }

    /// Activity events (a journey), or one event alone.
    static func activity(_ events: [ActivityEvent], single: Bool = false) -> [UInt8] {
        var json = JSONWriter()
        if !single { json.beginArray() }
        for e in events {
            json.beginObject()
            json.field("id", Int(e.id))
            json.field("user_id", e.userId)
            json.field("email", e.email)
            json.field("action", e.action)
            json.field("status", e.status)
            json.key("details"); json.raw(e.details)
            json.field("error_message", e.errorMessage)
            json.field("created_at", Timestamp.iso8601(milliseconds: e.createdAt))
            json.endObject()
        }
        if !single { json.endArray() }
        return json.bytes
    }

    /// A delivery's fields as the webhook log and the support timeline list it, without its
    /// payload and headers.
    static func deliveryFields(_ e: WebhookLogEntry, into json: inout JSONWriter) {
        json.field("id", Int(e.id))
        json.field("provider", e.provider)
        json.field("received_at", Timestamp.iso8601(milliseconds: e.receivedAt))
        json.key("signature_valid"); json.bool(e.signatureValid)
        json.field("processing_status", e.status.rawValue)
        json.field("error_message", e.errorMessage)
        json.field("reference", e.reference)
        // A reference read from a delivery whose signature failed is only a claim.
        json.key("reference_verified")
        if e.reference == nil { json.null() } else { json.bool(e.signatureValid) }
    }

    static func webhookLog(_ entries: [WebhookLogEntry]) -> [UInt8] {
        var json = JSONWriter()
        json.beginArray()
        for e in entries {
            json.beginObject()
            deliveryFields(e, into: &json)
            json.key("payload_truncated")
            json.bool(e.payloadTruncated)
            // The payload as JSON when it is JSON, else as the text received.
            json.key("payload")
            if let parsed = try? JSONParser.parse(Array(e.payload.utf8)) { json.value(parsed) } else { json.string(e.payload) }
            json.key("headers")
            json.beginObject()
            for line in e.headers {
                guard let colon = line.firstIndex(of: ":") else { continue }
                json.field(String(line[..<colon]).lowercased(), String(line[line.index(after: colon)...].dropFirst()))
            }
            json.endObject()
            json.endObject()
        }
        json.endArray()
        return json.bytes
    }

    /// `{"type":"payment-gap","data":{payment}}` for the seller room.
    static func gapFrame(_ p: Payment) -> RoomMessage {
        HubMessages.frame(type: "payment-gap", data: payment(p))
    }

    /// A gap or unmatched payment no longer open (credited, or resolved by hand).
    static func gapClosedFrame(_ closed: (reference: String, problem: Payment.Problem)) -> RoomMessage {
        var json = JSONWriter()
        json.beginObject()
        json.field("reference", closed.reference)
        json.field("kind", closed.problem.rawValue)
        json.endObject()
        return HubMessages.frame(type: "payment-gap-closed", data: json.bytes)
    }

    /// `GET /api/wallet/monitor`.
    static func monitor(_ summary: LedgerSummary, minutes: Int) -> [UInt8] {
        func sum(_ kinds: [LedgerTransaction.Kind]) -> Money { kinds.reduce(Money.zero) { $0 + (summary.amounts[$1] ?? .zero) } }
        var json = JSONWriter()
        json.beginObject()
        json.field("window_minutes", minutes)
        json.key("total_added"); json.raw(sum([.credit]).description)
        json.key("total_spent"); json.raw(sum([.debit, .smsPurchase]).description)
        json.key("total_refunded"); json.raw(sum([.refund]).description)
        json.field("unique_users", summary.uniqueUsers)
        json.field("transaction_count", summary.counts.values.reduce(0, +))
        json.key("counts_by_type")
        json.beginObject()
        for kind in LedgerTransaction.Kind.allCases { json.field(kind.rawValue, summary.counts[kind] ?? 0) }
        json.endObject()
        json.key("recent")
        json.beginArray()
        for t in summary.recent { transaction(t, into: &json) }
        json.endArray()
        json.endObject()
        return json.bytes
    }
}
