import Hub
import JSON

/// Notifications as JSON: the inbox (`GET /api/notifications`), the pushes on `/ws/balance`
/// (`notification`, `notifications_unseen`), and the preferences.
enum NotificationMessages {
    static func notification(_ n: UserNotification, linkBase: String?, into json: inout JSONWriter) {
        json.beginObject()
        json.field("id", Int(n.id))
        // `type` as the balance socket has always said it; `kind` as the inbox says it.
        json.field("type", n.kind)
        json.field("kind", n.kind)
        json.field("title", n.title)
        json.field("message", n.message)
        json.field("link", n.link.map { $0.hasPrefix("/") ? (linkBase ?? "") + $0 : $0 })
        json.key("amount"); json.raw(n.amount.map { MoneyMessages.decimal($0, n.currency) })
        json.field("currency", n.currency)
        json.key("balance_after"); json.raw(n.balanceAfter?.description)
        json.field("reference", n.reference)
        json.field("status", n.status.rawValue)
        json.field("created_at", Timestamp.iso8601(milliseconds: n.createdAt))
        json.field("read_at", n.readAt.map(Timestamp.iso8601(milliseconds:)))
        json.field("archived_at", n.archivedAt.map(Timestamp.iso8601(milliseconds:)))
        json.key("pushed"); json.bool(n.pushed)
        json.field("email", n.emailStatus)
        json.endObject()
    }

    static func inbox(_ list: [UserNotification], unseen: Int, linkBase: String?) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("unseen", unseen)
        json.key("notifications")
        json.beginArray()
        for n in list { notification(n, linkBase: linkBase, into: &json) }
        json.endArray()
        json.field("next_before", list.count > 0 ? list.last.map { String($0.id) } : nil)
        json.endObject()
        return json.bytes
    }

    /// `{"type":"notification", "notification": {…}, "unseen": N}`: one not of a ledger entry.
    static func pushed(_ n: UserNotification, unseen: Int, linkBase: String?) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("type", "notification")
        json.key("notification")
        notification(n, linkBase: linkBase, into: &json)
        json.field("unseen", unseen)
        json.endObject()
        return json.bytes
    }

    /// `{"type":"notifications_unseen","unseen":N}`.
    static func unseen(_ count: Int) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("type", "notifications_unseen")
        json.field("unseen", count)
        json.endObject()
        return json.bytes
    }

    static func count(userId: String, unseen: Int) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("user_id", userId)
        json.field("unseen", unseen)
        json.endObject()
        return json.bytes
    }

    static func preferences(userId: String, _ p: NotificationPreferences, defaults: NotificationPreferences.Choice, critical: Set<String>) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("user_id", userId)
        json.field("email", p.email)
        json.key("kinds")
        json.beginObject()
        for (kind, choice) in p.byKind.sorted(by: { $0.key < $1.key }) {
            json.key(kind)
            choiceObject(choice, into: &json)
        }
        json.endObject()
        json.key("defaults"); choiceObject(defaults, into: &json)
        json.key("critical")
        json.beginArray()
        for kind in critical.sorted() { json.string(kind) }
        json.endArray()
        json.endObject()
        return json.bytes
    }

    private static func choiceObject(_ c: NotificationPreferences.Choice, into json: inout JSONWriter) {
        json.beginObject()
        json.key("in_app"); json.bool(c.inApp)
        json.key("email"); json.bool(c.email)
        json.key("min_amount"); json.raw(c.minAmount?.description)
        json.endObject()
    }
}
