import Hub
import JSON
import Reactor
import WebSocket

/// The JSON the hub's state is shown as (contract v1), and the frames sellers get.
enum HubMessages {
    /// `GET /api/metrics/live-metrics` and the `data` of `metrics-update`.
    static func liveMetrics(_ counters: PresenceCounters, updatedAt: Int64) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("homepage", counters.homepage)
        json.field("checkout", counters.checkout)
        json.field("payment", counters.payment)
        json.field("payment_errors", counters.paymentErrors)
        for (name, map) in [("categories", counters.categories), ("offers", counters.offers), ("pages", counters.pages)] {
            json.key(name)
            json.beginObject()
            for (key, value) in map.sorted(by: { $0.key < $1.key }) { json.field(key, value) }
            json.endObject()
        }
        json.field("total_active", counters.totalActive)
        json.field("updated_at", Timestamp.iso8601(milliseconds: updatedAt))
        json.endObject()
        return json.bytes
    }

    static func paymentError(_ record: PaymentErrorRecord, into json: inout JSONWriter) {
        json.beginObject()
        json.field("id", Int(record.id))
        json.field("session_id", record.sessionId)
        json.field("occurred_at", Timestamp.iso8601(milliseconds: record.occurredAt))
        json.field("email", record.email)
        json.field("phone", record.phone)
        json.key("checkout_items"); json.raw(record.checkoutItems)
        json.field("total_amount", record.totalAmount)  // exact decimal text, never a float
        json.field("payment_method", record.paymentMethod)
        json.field("error_code", record.errorCode)
        json.field("error_message", record.errorMessage)
        json.key("error_details"); json.raw(record.errorDetails)
        json.field("ip", record.client.ip)
        json.field("user_agent", record.client.userAgent)
        json.endObject()
    }

    /// A JSON array of payment errors, in the order given.
    static func paymentErrors(_ records: [PaymentErrorRecord]) -> [UInt8] {
        var json = JSONWriter()
        json.beginArray()
        for record in records { paymentError(record, into: &json) }
        json.endArray()
        return json.bytes
    }

    /// `GET /api/sessions`: each session with its visits, oldest first, and in cluster mode
    /// the node that holds it.
    static func sessions(_ sessions: some Sequence<(node: String?, session: Session)>) -> [UInt8] {
        var json = JSONWriter()
        json.beginArray()
        for (node, session) in sessions { self.session(session, node: node, into: &json) }
        json.endArray()
        return json.bytes
    }

    /// One session with its visits, as `GET /api/sessions` and support's timeline list it.
    static func session(_ session: Session, node: String?, into json: inout JSONWriter) {
        json.beginObject()
        json.field("session_id", session.id)
        if let node { json.field("node", node) }
        json.field("user_id", session.userId)
        json.field("email", session.email)
        json.field("phone", session.phone)
        json.key("active"); json.bool(session.isActive)
        json.field("started_at", Timestamp.iso8601(milliseconds: session.startedAt))
        json.field("last_activity", Timestamp.iso8601(milliseconds: session.lastActivity))
        json.field("ended_at", session.endedAt.map(Timestamp.iso8601(milliseconds:)))
        json.field("checkout_status", session.checkoutStatus?.rawValue)
        json.field("total_amount", session.totalAmount)
        json.field("payment_method", session.paymentMethod)
        json.field("ip", session.client.ip)
        json.field("user_agent", session.client.userAgent)
        json.key("visits")
        json.beginArray()
        for visit in session.visits {
            json.beginObject()
            json.field("page_type", visit.pageType.rawValue)
            json.field("identifier", visit.identifier)
            json.field("url", visit.url)
            json.field("entered_at", Timestamp.iso8601(milliseconds: visit.enteredAt))
            json.field("exited_at", visit.exitedAt.map(Timestamp.iso8601(milliseconds:)))
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    /// `GET /api/metrics/history`: one object per minute, oldest first.
    static func history(_ points: [MetricsHistory.Point]) -> [UInt8] {
        var json = JSONWriter()
        json.beginArray()
        for point in points {
            json.beginObject()
            // Whole minutes, written as the contract shows them ("2026-12-01T10:00:00Z").
            json.field("minute", String(Timestamp.iso8601(milliseconds: point.minute * 60_000).dropLast(5)) + "Z")
            json.field("total_active", point.totalActive)
            json.key("pages")
            json.beginObject()
            for (page, count) in point.pages.sorted(by: { $0.key < $1.key }) { json.field(page, count) }
            json.endObject()
            json.field("payment_errors", point.paymentErrors)
            json.field("paid", point.paid)
            json.field("sessions_started", point.sessionsStarted)
            json.endObject()
        }
        json.endArray()
        return json.bytes
    }

    /// `{"type": TYPE, "data": DATA}` as one text frame, encoded once for a whole room.
    static func frame(type: String, data: [UInt8]?) -> RoomMessage {
        var json = JSONWriter()
        json.beginObject()
        json.field("type", type)
        if let data {
            json.key("data")
            json.raw(String(decoding: data, as: UTF8.self))
        }
        json.endObject()
        return RoomMessage(opcode: .text, payload: json.bytes)
    }
}
