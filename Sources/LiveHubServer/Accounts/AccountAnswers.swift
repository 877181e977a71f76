import Auth
import HTTP1
import Hub
import JSON
import Records

/// The account endpoints' answers, as JSON, and the session cookie's header values.
enum AccountAnswers {
    static let ok = Array(#"{"ok":true}"#.utf8)

    static func json(_ status: HTTPStatus, _ body: [UInt8]) -> HTTPResponse {
        var response = HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
        // Answers that carry a session or a code are nobody's to keep.
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }

    /// `{"user": {"name", "role"}, "csrf", "expires_at"}`
    static func session(_ session: ConsoleSession, secret: [UInt8]) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.key("user")
        json.beginObject()
        json.field("name", session.name)
        json.field("role", session.role.rawValue)
        json.endObject()
        json.field("csrf", session.csrfToken(secret: secret))
        json.field("expires_at", Timestamp.iso8601(milliseconds: session.expiresAt * 1000))
        json.endObject()
        return json.bytes
    }

    /// `HttpOnly` (no page script reads it), `SameSite=Strict` (no other site's page sends
    /// it), `Secure` under TLS, for the whole console (RFC 6265bis).
    static func cookie(_ session: ConsoleSession, secret: [UInt8], secure: Bool) -> String {
        "\(ConsoleSession.cookieName)=\(session.signed(secret: secret)); Path=/; Max-Age=\(ConsoleSession.absoluteLimit); HttpOnly; SameSite=Strict"
            + (secure ? "; Secure" : "")
    }

    static func clearedCookie(secure: Bool) -> String {
        "\(ConsoleSession.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// `{"url", "expires_at"}`: the code in the fragment, which browsers never send to a
    /// server (no log, no Referer holds it).
    static func link(code: String, base: String, expiresAt: Int64) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.field("url", "\(base)/login#code=\(code)")
        json.field("expires_at", Timestamp.iso8601(milliseconds: expiresAt * 1000))
        json.endObject()
        return json.bytes
    }

    /// `{"entries": […], "next_before"}`, newest first.
    static func audit(_ entries: [AuditEntry], limit: Int) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.key("entries")
        json.beginArray()
        for entry in entries {
            json.beginObject()
            json.key("id"); json.int(Int(entry.id))
            json.field("at", Timestamp.iso8601(milliseconds: entry.at))
            json.field("actor", entry.actor)
            json.field("action", entry.action)
            json.field("target", entry.target)
            json.field("address", entry.address)
            json.field("detail", entry.detail)
            json.endObject()
        }
        json.endArray()
        json.key("next_before")
        if entries.count == limit, let last = entries.last { json.int(Int(last.id)) } else { json.raw(nil as String?) }
        json.endObject()
        return json.bytes
    }
}
