import Auth
import HTTP1
import Records

/// Who may call a route. Checked by the router, once, before the route runs.
enum RouteAccess: Sendable, Equatable {
    case anyone
    /// The API key, or an access token of one of these scopes.
    case keyOrToken(Set<AccessToken.Scope>)
    /// An access token of one of these scopes, not the API key (sockets that act for a
    /// user or a seller).
    case token(Set<AccessToken.Scope>)
    /// A console session (the cookie), whatever its role.
    case session
}

/// A request as a route sees it: the router has matched its path and method and checked
/// its credential.
struct RouteRequest {
    let request: HTTPRequest
    /// The pattern's `{…}` segments, in order.
    let captures: [Substring]
    /// The caller's token; nil for the API key or an open route. A console session is
    /// given as a token of its operator and role too.
    let token: AccessToken?
    /// The console session the request came with, if it came with one.
    let session: ConsoleSession?
    let client: ClientAddressing
    let now: UInt64
    /// The client's rate-limit bucket.
    var rateKey: UInt64 { client.rateKey }

    var head: HTTPRequestHead { request.head }
    /// Who is acting, as the audit log and resolutions name them.
    var actor: String { token?.subject ?? "api-key" }

    /// The command, with an audit log entry written once it has succeeded.
    func audited(_ command: HubCommand, _ action: String, target: String?, detail: String? = nil) -> Route {
        .hub(.audited(command, AuditEntry(at: UnixTime.seconds * 1000, actor: actor, action: action, target: target,
                                          address: client.keptIP, detail: detail)))
    }
    var query: [String: String] { QueryString.parse(head.query) }
}

/// One line of the route table: method, path, who may call, what it does.
struct RouteEntry: Sendable {
    typealias Handler = @Sendable (Router, RouteRequest) throws(APIError) -> Route
    let method: HTTPMethod
    let pattern: RoutePattern
    let access: RouteAccess
    /// With `--internal-address`, served there only (404 on the public port).
    let internalOnly: Bool
    /// A read of the records database or of every session: counted against the caller's
    /// read limits (`ReadLimits`).
    let limitedRead: Bool
    let handle: Handler

    init(_ method: HTTPMethod, _ pattern: String, _ access: RouteAccess, internalOnly: Bool = false, limitedRead: Bool = false,
         _ handle: @escaping Handler) {
        self.method = method
        self.pattern = RoutePattern(pattern)
        self.access = access
        self.internalOnly = internalOnly
        self.limitedRead = limitedRead
        self.handle = handle
    }

    /// A GET route answers HEAD too (RFC 9110 §9.3.2); the connection drops the body.
    func accepts(_ method: String) -> Bool {
        method == self.method.rawValue || (self.method == .get && method == HTTPMethod.head.rawValue)
    }
}
