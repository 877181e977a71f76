import Auth
import HTTP1
import Hub
import JSON
import Records

/// The account endpoints' answers, as JSON, and the session cookie's header values.
enum AccountAnswers {
    static let ok = Array(#"{"ok":true}"#.utf8)

    /// The accounts thread's reply as its answer, made on the caller's loop. `secure`: the
    /// cookie is set `Secure` (under TLS).
    static func response(_ result: Result<AccountReply, AccountRefusal>, secret: [UInt8], secure: Bool) -> HTTPResponse {
        let reply: AccountReply
        switch result {
        case .success(let done): reply = done
        case .failure(let refusal): return refusal.apiError.response
        }
        switch reply {
        case .signedIn(let session):
            var response = json(.ok, Self.session(session, secret: secret))
            response.headers.add(name: "Set-Cookie", value: cookie(session, secret: secret, secure: secure))
            return response
        case .signedOut:
            var response = json(.ok, ok)
            response.headers.add(name: "Set-Cookie", value: clearedCookie(secure: secure))
            return response
        case .link(let code, let base, let expiresAt):
            return json(.created, link(code: code, base: base, expiresAt: expiresAt))
        case .revoked:
            return json(.ok, ok)
        case .audit(let entries, let limit):
            return json(.ok, audit(entries, limit: limit))
        }
    }

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

extension AccountRefusal {
    var apiError: APIError {
        switch self {
        case .tooManyAttempts(let wait):
            var error = APIError(.tooManyRequests, code: "too_many_attempts", message: "too many failed sign-ins; try again in \(wait) s")
            error.headers.add(name: "Retry-After", value: String(wait))
            return error
        case .invalidCode:
            return APIError(.unauthorized, code: "invalid_code", message: "this sign-in link is unknown, used or expired")
        case .invalidCredentials:
            return APIError(.unauthorized, code: "invalid_credentials", message: "wrong name or password")
        case .operatorDisabled(let name):
            return APIError(.forbidden, code: "operator_disabled", message: "\(name) is disabled")
        case .roleConflict(let name, let role, let asked):
            return APIError(.conflict, code: "role_conflict", message: "\(name) is a \(role), not a \(asked)")
        case .busy:
            return APIError(.serviceUnavailable, code: "busy", message: "too many sign-ins at once; try again in a moment")
        case .notStarted:
            return APIError(.serviceUnavailable, code: "database_unavailable", message: "not started")
        case .databaseUnavailable:
            return APIError(.serviceUnavailable, code: "database_unavailable",
                            message: "the records database cannot take this now; nothing was changed. Try again.")
        }
    }
}
