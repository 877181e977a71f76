import Hub
import JSON
import Money
import Records

/// The JSON of `GET /api/support/timeline`: one object, the person's keys, their balances,
/// one array per section (each newest first, each row as its own endpoint writes it) and
/// which sections were cut at the limit.
enum SupportTimelineMessages {
    /// Presence's half, as the join gathered it.
    struct Presence {
        /// Each with the node that holds it in cluster mode, written as `GET /api/sessions`
        /// writes them.
        var sessions: [(node: String?, session: Session)]
        var sessionsTruncated: Bool
        var paymentErrors: [PaymentErrorRecord]
        var paymentErrorsTruncated: Bool
        /// Cluster mode: the nodes whose sessions are missing (`LiveHub-Unanswered-Nodes`).
        var unansweredNodes: [String]
    }

    static func answer(_ story: SupportTimeline, _ presence: Presence, limit: Int) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.key("person")
        json.beginObject()
        for (name, keys) in [("emails", story.person.emails), ("phones", story.person.phones), ("user_ids", story.person.userIds),
                             ("references", story.person.references)] {
            json.key(name)
            strings(keys, into: &json)
        }
        json.endObject()
        json.key("balances")
        json.beginArray()
        for b in story.balances {
            json.beginObject()
            json.field("user_id", b.userId)
            json.key("balance"); json.raw(b.balance.description)
            json.endObject()
        }
        json.endArray()
        json.key("sessions")
        json.beginArray()
        for (node, session) in presence.sessions { HubMessages.session(session, node: node, into: &json) }
        json.endArray()
        json.key("payment_errors")
        json.beginArray()
        for record in presence.paymentErrors { HubMessages.paymentError(record, into: &json) }
        json.endArray()
        json.key("activity"); json.raw(String(decoding: MoneyMessages.activity(story.activity), as: UTF8.self))
        json.key("payments")
        json.beginArray()
        for p in story.payments { MoneyMessages.payment(p, into: &json) }
        json.endArray()
        json.key("payment_events")
        json.beginArray()
        for e in story.paymentEvents { paymentEvent(e, into: &json) }
        json.endArray()
        json.key("webhook_deliveries")
        json.beginArray()
        for d in story.webhookDeliveries { delivery(d, into: &json) }
        json.endArray()
        json.key("provider_checks")
        json.beginArray()
        for c in story.providerChecks { ProviderCheckMessages.check(c, into: &json) }
        json.endArray()
        json.key("alerts"); json.raw(String(decoding: MoneyMessages.alerts(story.alerts), as: UTF8.self))
        json.key("transactions")
        json.beginArray()
        for t in story.transactions { MoneyMessages.transaction(t, into: &json) }
        json.endArray()
        json.field("limit", limit)
        json.key("truncated")
        json.beginObject()
        let cut = story.truncated
        for (name, more) in [("person", cut.person), ("sessions", presence.sessionsTruncated), ("payment_errors", presence.paymentErrorsTruncated),
                             ("activity", cut.activity), ("payments", cut.payments), ("payment_events", cut.paymentEvents),
                             ("webhook_deliveries", cut.webhookDeliveries), ("provider_checks", cut.providerChecks), ("alerts", cut.alerts), ("transactions", cut.transactions)] {
            json.key(name); json.bool(more)
        }
        json.endObject()
        json.key("unanswered_nodes")
        strings(presence.unansweredNodes, into: &json)
        json.endObject()
        return json.bytes
    }

    private static func strings(_ values: [String], into json: inout JSONWriter) {
        json.beginArray()
        for value in values { json.string(value) }
        json.endArray()
    }

    /// A stage report as recorded, its amount in its currency's places.
    static func paymentEvent(_ e: PaymentEvent, into json: inout JSONWriter) {
        json.beginObject()
        json.field("reference", e.reference)
        json.field("provider", e.provider)
        json.field("stage", e.stage.rawValue)
        json.key("amount"); json.raw(e.amount.map { MoneyMessages.decimal($0, e.currency) })
        json.field("currency", e.currency)
        json.field("user_id", e.userId)
        json.field("email", e.email)
        json.field("phone", e.phone)
        json.field("source", e.source?.rawValue ?? "shop")
        json.field("plan", e.plan)
        json.field("error_message", e.errorMessage)
        json.field("received_at", Timestamp.iso8601(milliseconds: e.receivedAt))
        json.endObject()
    }

    /// A delivery as the webhook log lists it, without its payload and headers
    /// (`GET /api/webhooks/log?reference=` has them).
    static func delivery(_ d: WebhookLogEntry, into json: inout JSONWriter) {
        json.beginObject()
        MoneyMessages.deliveryFields(d, into: &json)
        json.endObject()
    }
}
