import JSON
import WebSocket

/// An operator signed in to the console: what the `livehub_session` cookie carries, signed
/// with a key derived from the hub's secret for this purpose alone (a session is never
/// mistaken for an access token, nor one for the other). The cookie is `HttpOnly` and
/// `SameSite=Strict`, so page scripts cannot read it and other sites' pages do not send
/// it. The hub keeps nothing per session, so any node of a cluster takes it: the session
/// ends at its absolute expiry, after `idleLimit` without a request (each request that finds
/// it a minute old renews `seen`), or when its id or its operator is revoked.
public struct ConsoleSession: Equatable, Sendable {
    public var name: String
    public var role: AccessToken.Scope
    public var id: String
    /// Seconds since the Unix epoch: when the operator signed in, and last made a request.
    public var issuedAt: Int64
    public var seen: Int64

    public static let cookieName = "livehub_session"
    /// Signed in for at most this long, and idle for at most this long.
    public static let absoluteLimit: Int64 = 12 * 3600
    public static let idleLimit: Int64 = 30 * 60
    /// A request renews the cookie when `seen` is older than this.
    public static let renewAfter: Int64 = 60

    public init(name: String, role: AccessToken.Scope, id: String, issuedAt: Int64, seen: Int64) {
        self.name = name
        self.role = role
        self.id = id
        self.issuedAt = issuedAt
        self.seen = seen
    }

    public static func start(name: String, role: AccessToken.Scope, now: Int64) -> ConsoleSession {
        ConsoleSession(name: name, role: role, id: HMAC.hex(HMAC.randomBytes(16)), issuedAt: now, seen: now)
    }

    public var expiresAt: Int64 { min(issuedAt + Self.absoluteLimit, seen + Self.idleLimit) }

    public func signed(secret: [UInt8]) -> String {
        var json = JSONWriter()
        json.beginObject()
        json.field("n", name)
        json.field("r", role.rawValue)
        json.field("i", id)
        json.key("t"); json.int(Int(issuedAt))
        json.key("s"); json.int(Int(seen))
        json.endObject()
        let body = Base64.encode(json.bytes, urlSafe: true, padding: false)
        return body + "." + Base64.encode(HMAC.sha256(key: Self.key(secret), message: Array(body.utf8)), urlSafe: true, padding: false)
    }

    /// The session a cookie value names, if it is ours, whole, and neither idle nor past
    /// its absolute limit at `now` (revocation is checked by the caller).
    public static func verify(_ cookie: String, secret: [UInt8], now: Int64) -> ConsoleSession? {
        let parts = cookie.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let mac = Base64.decode(parts[1]),
              HMAC.constantTimeEquals(mac, HMAC.sha256(key: key(secret), message: Array(parts[0].utf8))),
              let bytes = Base64.decode(parts[0]), let json = try? JSONParser.parse(bytes), !json.hasDuplicateKeys,
              let name = json["n"]?.stringValue, let role = json["r"]?.stringValue.flatMap(AccessToken.Scope.init(rawValue:)),
              let id = json["i"]?.stringValue, case .number(let t) = json["t"], case .number(let s) = json["s"],
              let issuedAt = Int64(t), let seen = Int64(s)
        else { return nil }
        let session = ConsoleSession(name: name, role: role, id: id, issuedAt: issuedAt, seen: seen)
        guard now < session.expiresAt, seen <= now + 60 else { return nil }
        return session
    }

    /// The token a page sends in `X-CSRF-Token` with every request that changes something:
    /// derived from the session, so nothing is stored, and unknown to another site (which
    /// can make the browser send the cookie on a top-level navigation but cannot read this).
    public func csrfToken(secret: [UInt8]) -> String {
        HMAC.hex(HMAC.sha256(key: Self.key(secret), message: Array("csrf \(id)".utf8)))
    }

    private static func key(_ secret: [UInt8]) -> [UInt8] {
        HMAC.sha256(key: secret, message: Array("livehub console-session".utf8))
    }
}
