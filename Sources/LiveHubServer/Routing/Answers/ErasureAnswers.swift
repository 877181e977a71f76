import HTTP1
import Hub
import JSON
import Money
import Records

/// `POST /api/privacy/erase`'s answers, from the erasure flow's typed replies.
enum ErasureAnswers {
    /// `{"preview": {"identities", "counts"}, "confirm", "expires_at"}`: nothing is erased yet.
    static func preview(_ result: MoneyResult<ErasurePreview>) -> HTTPResponse {
        let preview: ErasurePreview
        switch result {
        case .success(let made): preview = made
        case .failure(let failure): return failure.response
        }
        let plan = preview.plan
        var json = JSONWriter()
        json.beginObject()
        json.key("preview")
        json.beginObject()
        json.key("identities")
        json.beginArray()
        for identity in plan.identities {
            json.beginObject()
            json.field("kind", identity.key.kind)
            json.field("value", identity.key.value)
            json.field("source", identity.source)
            json.endObject()
        }
        json.endArray()
        json.key("counts")
        json.beginObject()
        json.field("sessions", preview.presence.sessions)
        json.field("payment_errors", preview.presence.paymentErrors + plan.rows.paymentErrors)
        json.field("activity", plan.rows.activity)
        json.field("webhook_payloads", plan.rows.webhookDeliveries)
        json.field("payments", plan.rows.payments)
        json.field("transactions", plan.rows.transactions)
        json.field("alerts", plan.rows.alerts)
        json.endObject()
        json.endObject()
        json.field("confirm", preview.confirm)
        json.field("expires_at", Timestamp.iso8601(milliseconds: preview.expiresAt))
        json.endObject()
        return MoneyAnswers.json(.ok, json.bytes)
    }

    /// `{"erased": {…}, "pseudonymised": {…}, "pseudonym"}`; 503 when the database or the
    /// snapshot could not take it (what was done stays done; the call can be repeated).
    static func erasure(_ outcome: ErasureOutcome) -> HTTPResponse {
        let rows: RecordsErasure
        switch outcome.records {
        case .success(let erased): rows = erased
        case .failure(let failure): return failure.response
        }
        if case .failure(let error) = outcome.snapshot {
            return APIError(.serviceUnavailable, code: "snapshot_unwritten",
                            message: "erased from memory and the database, but the snapshot could not be rewritten (\(error)); call again").response
        }
        let presence = outcome.presence
        var json = JSONWriter()
        json.beginObject()
        json.key("erased")
        json.beginObject()
        json.field("sessions", presence.sessions)
        json.field("payment_errors", presence.paymentErrors + rows.paymentErrors)
        json.field("activity", rows.activity)
        json.field("webhook_payloads", rows.webhookDeliveries)
        json.endObject()
        json.key("pseudonymised")
        json.beginObject()
        json.field("payments", rows.payments)
        json.field("transactions", rows.transactions)
        json.field("alerts", rows.alerts)
        json.endObject()
        json.field("pseudonym", outcome.pseudonym)
        json.endObject()
        return MoneyAnswers.json(.ok, json.bytes)
    }
}
