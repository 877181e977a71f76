import Auth
import Glibc
import HTTP1
import Hub
import JSON
import Money
import Records
import Webhooks
import WebSocket
import WebSocketDeflate

/// What a request leads to.
enum Route {
    case respond(HTTPResponse)
    /// Something only the hub can answer; `headers` are added to its answer (CORS).
    case hub(HubCommand, headers: HTTPHeaders)
    /// A valid WebSocket handshake: send the 101 and hand the connection over, with
    /// permessage-deflate if it was agreed.
    case upgrade(WebSocketEndpoint, HTTPResponse, PerMessageDeflate?)
    /// A streamed export (`ExportService`): its head (`query.head` and `headers`), then its
    /// rows in chunks as they are read.
    case export(ExportQuery, headers: HTTPHeaders)
}

extension Route {
    /// To the hub, with nothing added to its answer.
    static func hub(_ command: HubCommand) -> Route { .hub(command, headers: HTTPHeaders()) }

    /// To the money engine: the operation, and how its reply becomes the answer.
    static func money<Operation: MoneyOperation>(_ operation: Operation, _ answer: @escaping @Sendable (Operation.Reply) -> HTTPResponse) -> Route {
        .hub(.money(operation, answer))
    }

    /// The same route with one more header on its answer (not on a 101).
    func adding(_ name: String, _ value: String) -> Route {
        switch self {
        case .respond(var response):
            response.headers.add(name: name, value: value)
            return .respond(response)
        case .hub(let command, var headers):
            headers.add(name: name, value: value)
            return .hub(command, headers: headers)
        case .upgrade:
            return self
        case .export(let query, var headers):
            headers.add(name: name, value: value)
            return .export(query, headers: headers)
        }
    }
}

/// Maps method and path to an answer through `RouteTable`: the method is checked (405 with
/// `Allow`), then the credential, then the route runs. Every error goes through `APIError`.
struct Router {
    let shared: ServerShared
    let limits: ClientLimits
    var configuration: ServerConfiguration { shared.configuration }
    /// Routes without `{…}`, by path (keyed by `Substring`, as requests give their path:
    /// no String made per lookup); the others, tried in table order.
    private let exact: [Substring: [RouteEntry]]
    private let patterned: [RouteEntry]

    init(shared: ServerShared, limits: ClientLimits) {
        self.shared = shared
        self.limits = limits
        let entries = RouteTable.entries(testEndpoints: shared.configuration.testEndpoints)
        var exact: [Substring: [RouteEntry]] = [:]
        var patterned: [RouteEntry] = []
        for entry in entries {
            if let path = entry.pattern.exactPath { exact[Substring(path), default: []].append(entry) } else { patterned.append(entry) }
        }
        self.exact = exact
        self.patterned = patterned
    }

    func route(_ request: HTTPRequest, client: ClientAddressing, now: UInt64, internal isInternal: Bool = false) -> Route {
        do {
            return try dispatch(request, client: client, now: now, internal: isInternal)
        } catch {
            return .respond(error.response)
        }
    }

    private func dispatch(_ request: HTTPRequest, client: ClientAddressing, now: UInt64, internal isInternal: Bool) throws(APIError) -> Route {
        let head = request.head
        let entry: RouteEntry
        let captures: [Substring]
        if let found = exact[head.path] {
            guard let accepting = found.first(where: { $0.accepts(head.method) }) else { throw .methodNotAllowed(Self.allow(found.map(\.method))) }
            (entry, captures) = (accepting, [])
        } else {
            let segments = RoutePattern.split(head.path) ?? []
            let matched = patterned.compactMap { entry in entry.pattern.match(segments).map { (entry: entry, captures: $0) } }
            guard !matched.isEmpty else { return try staticFile(head) }
            guard let accepting = matched.first(where: { $0.entry.accepts(head.method) }) else {
                throw .methodNotAllowed(Self.allow(matched.map(\.entry.method)))
            }
            (entry, captures) = accepting
        }
        // With `--internal-address`, what only operators' machines need is not on the public port.
        if entry.internalOnly && configuration.internalAddress != nil && !isInternal { throw .notFound(head.path) }
        var caller = Caller(token: nil, session: nil)
        switch entry.access {
        case .anyone: break
        case .keyOrToken(let scopes): caller = try authorize(head, scopes: scopes)
        case .token(let scopes): caller = try authorize(head, scopes: scopes, apiKeyAllowed: false)
        case .session: caller = try authorize(head, scopes: Set(AccessToken.Scope.allCases), apiKeyAllowed: false, bearerAllowed: false)
        }
        // A value that does not decode would read as absent, and a filter left out lists
        // everything: refused instead.
        guard QueryString.isWellFormed(head.query) else {
            throw QueryParameters.invalid("the query string does not decode (a bad %-escape, invalid UTF-8 or %00)")
        }
        var route = try entry.handle(self, RouteRequest(request: request, captures: captures, token: caller.token, session: caller.session,
                                                        client: client, now: now))
        if entry.limitedRead { route = try limited(route, caller: caller, now: now) }
        // A session a minute old goes on with a renewed cookie (its idle limit counts from here).
        guard let session = caller.session, UnixTime.seconds - session.seen >= ConsoleSession.renewAfter else { return route }
        var renewed = session
        renewed.seen = UnixTime.seconds
        return route.adding("Set-Cookie", AccountAnswers.cookie(renewed, secret: configuration.secret, secure: configuration.tlsCertificatePath != nil))
    }

    /// The `Allow` value for these methods (a GET also allows HEAD).
    static func allow(_ methods: [HTTPMethod]) -> String {
        var names: [String] = []
        for method in methods {
            names.append(method.rawValue)
            if method == .get { names.append(HTTPMethod.head.rawValue) }
        }
        return names.joined(separator: ", ")
    }

    /// A file of the web root (the dashboard, `tracker.js`), or 404.
    private func staticFile(_ head: HTTPRequestHead) throws(APIError) -> Route {
        guard let file = shared.staticFiles.file(at: head.path) else { throw .notFound(head.path) }
        guard head.method == "GET" || head.method == "HEAD" else { throw .methodNotAllowed(Self.allow([.get])) }
        return .respond(HTTPResponse(status: .ok, headers: SecurityHeaders.forPage(contentType: file.contentType), body: file.bytes))
    }

    /// A beacon from a storefront: CORS, the client's beacon rate, then the body.
    func beacon(_ kind: BeaconKind, _ r: RouteRequest) throws(APIError) -> Route {
        let cors = try corsHeaders(r.head)
        do {
            try limits.check(.beacon, key: r.rateKey, now: r.now)
        } catch {
            // The browser's script may read the refusal only if CORS lets it.
            var refused = error
            for (name, value) in cors { refused.headers.add(name: name, value: value) }
            throw refused
        }
        let beacon = try Beacon.parse(kind: kind, body: try jsonBody(r.request), phones: configuration.phones)
        let client = ClientInfo(ip: r.client.keptIP, userAgent: try Beacon.userAgent(r.head.headers["User-Agent"]))
        return .hub(.beacon(beacon, client), headers: cors)
    }

    /// A provider's delivery, verified here on the connection's loop.
    func webhook(_ provider: PaymentProvider, pathToken: String?, _ r: RouteRequest) throws(APIError) -> Route {
        try limits.check(.webhook, key: r.rateKey, now: r.now)
        let delivery = WebhookDelivery(provider: provider, pathToken: pathToken, request: r.request, verifiers: configuration.webhookVerifiers,
                                       nowSeconds: UnixTime.seconds, ipPrivacy: configuration.ipPrivacy)
        // M-Pesa with Daraja's credentials: answered at once (Daraja wants its callback
        // acknowledged), counted only once the STK query agrees (`Reconciler+Callbacks`).
        if provider == .mpesa, case .success(let meaning)? = delivery.outcome, meaning.stage != nil, shared.reconcile.confirmsMPesa {
            let operation = delivery.operation
            if shared.reconcile.on({ $0.confirmCallback(operation) }) {
                return .respond(Router.json(Array(#"{"ResultCode":0,"ResultDesc":"Accepted"}"#.utf8)))
            }
        }
        return .money(delivery.operation, delivery.answer(metrics: shared.hubMetrics))
    }

    static func json(_ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
    }

    /// Beacons come as `application/json` or, from `navigator.sendBeacon`, `text/plain`.
    func jsonBody(_ request: HTTPRequest) throws(APIError) -> JSONValue {
        if let type = request.head.headers["Content-Type"]?.lowercased(),
           !type.hasPrefix("application/json") && !type.hasPrefix("text/plain") {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "send application/json or text/plain")
        }
        do {
            return try JSONParser.parse(request.body)
        } catch {
            throw APIError(.badRequest, code: "invalid_json", message: "body is not JSON: \(error.reason) at byte \(error.offset)")
        }
    }

    /// An allowed page's Origin is echoed back (CORS); a page of another origin is refused.
    /// With no `--allowed-origin`, any origin may send beacons.
    func corsHeaders(_ head: HTTPRequestHead) throws(APIError) -> HTTPHeaders {
        guard let origin = head.headers["Origin"] else { return HTTPHeaders() }
        let allowed = configuration.allowedOrigins
        guard allowed.isEmpty || allowed.contains(origin) else {
            throw APIError(.forbidden, code: "origin_not_allowed", message: "origin \(origin) may not send beacons")
        }
        return HTTPHeaders([("Access-Control-Allow-Origin", origin), ("Vary", "Origin")])
    }

    func preflight(_ cors: HTTPHeaders) -> HTTPResponse {
        var headers = cors
        headers.add(name: "Access-Control-Allow-Methods", value: "POST, OPTIONS")
        headers.add(name: "Access-Control-Allow-Headers", value: "Content-Type")
        headers.add(name: "Access-Control-Max-Age", value: "86400")
        return HTTPResponse(status: .noContent, headers: headers)
    }

    /// The route with a permit of its caller's read limits (429 past them).
    private func limited(_ route: Route, caller: Caller, now: UInt64) throws(APIError) -> Route {
        guard case .hub(let command, let headers) = route else { return route }
        let credential = caller.session.map { "session " + $0.id } ?? caller.token.map { "token " + ($0.id ?? $0.subject) } ?? "api-key"
        do {
            return .hub(.limited(command, try shared.readLimits.admit(credential, now: now)), headers: headers)
        } catch {
            var refused: APIError
            switch error {
            case .tooManyAtOnce:
                refused = APIError(.tooManyRequests, code: "too_many_reads", message: "this credential has as many reads waiting as it may; wait for their answers")
                refused.headers.add(name: "Retry-After", value: "1")
            case .tooFast(let retryAfter):
                refused = APIError(.tooManyRequests, code: "rate_limited", message: "too many reads from this credential; retry in \(retryAfter) s")
                refused.headers.add(name: "Retry-After", value: String(retryAfter))
            }
            limits.counters.readsLimited.bump()
            throw refused
        }
    }

    /// Who a request comes from: a token (or a console session, given as a token of its
    /// operator), or neither for the API key.
    struct Caller {
        var token: AccessToken?
        var session: ConsoleSession?
    }

    /// A bearer credential (header or `?token=`): the API key, or a token of one of
    /// `scopes`; without one, the console's session cookie of one of those roles.
    private func authorize(_ head: HTTPRequestHead, scopes: Set<AccessToken.Scope>, apiKeyAllowed: Bool = true,
                           bearerAllowed: Bool = true) throws(APIError) -> Caller {
        let bearer = bearerAllowed ? head.headers["Authorization"].flatMap(Self.bearerCredential) ?? QueryString.parse(head.query)["token"] : nil
        guard let credential = bearer, !credential.isEmpty else {
            guard let cookie = Self.cookie(ConsoleSession.cookieName, in: head) else {
                throw APIError(.unauthorized, code: bearerAllowed ? "unauthorized" : "not_signed_in",
                               message: bearerAllowed ? "a token or API key is required" : "sign in to the console first")
            }
            return try authorizeSession(cookie, head: head, scopes: scopes)
        }
        if apiKeyAllowed && !configuration.apiKey.isEmpty
            && HMAC.constantTimeEquals(Array(credential.utf8), Array(configuration.apiKey.utf8)) {
            return Caller()
        }
        let token: AccessToken
        do {
            token = try AccessToken.verify(credential, secret: configuration.secret, now: UnixTime.seconds)
        } catch {
            let message = error == .expired ? "the token has expired"
                : error == .lifetimeTooLong ? "the token lives longer than its scope allows (README: Security)" : "the token is not valid"
            throw APIError(.unauthorized, code: "invalid_token", message: message)
        }
        guard !shared.revocations.isRevoked(id: token.id, subject: token.subject, issuedAt: token.issuedAt) else {
            throw APIError(.unauthorized, code: "token_revoked", message: "the token has been revoked")
        }
        guard scopes.contains(token.scope) else {
            throw APIError(.forbidden, code: "wrong_scope", message: "a \(token.scope.rawValue) token cannot do this")
        }
        return Caller(token: token)
    }

    /// Whether the request carries a bearer credential (header or `?token=`).
    func hasBearer(_ head: HTTPRequestHead) -> Bool {
        head.headers["Authorization"] != nil || QueryString.parse(head.query)["token"] != nil
    }

    /// The bearer token of one of `scopes` (not the API key, not a session).
    func bearer(_ head: HTTPRequestHead, scopes: Set<AccessToken.Scope>) throws(APIError) -> AccessToken? {
        try authorize(head, scopes: scopes, apiKeyAllowed: false).token
    }

    /// The console's session cookie: ours, not idle or past its limit, not revoked, of one
    /// of `scopes`' roles. A request that changes something (anything but GET and HEAD: a
    /// WebSocket handshake is a GET, and checked as one that changes) must also come from
    /// the hub's own pages: same Origin, and the session's CSRF token in `X-CSRF-Token`
    /// (OWASP CSRF Prevention Cheat Sheet: a synchronizer token, and the origin verified).
    private func authorizeSession(_ cookie: String, head: HTTPRequestHead, scopes: Set<AccessToken.Scope>) throws(APIError) -> Caller {
        let now = UnixTime.seconds
        guard let session = ConsoleSession.verify(cookie, secret: configuration.secret, now: now),
              !shared.revocations.isRevoked(id: session.id, subject: session.name, issuedAt: session.issuedAt) else {
            throw APIError(.unauthorized, code: "not_signed_in", message: "the console session has ended: sign in again")
        }
        guard scopes.contains(session.role) else {
            throw APIError(.forbidden, code: "wrong_role", message: "a \(session.role.rawValue) cannot do this")
        }
        let isUpgrade = head.headers["Upgrade"] != nil
        if head.method != "GET" && head.method != "HEAD" || isUpgrade {
            try requireSameOrigin(head, required: isUpgrade)
        }
        if head.method != "GET" && head.method != "HEAD" {
            guard let sent = head.headers["X-CSRF-Token"],
                  HMAC.constantTimeEquals(Array(sent.utf8), Array(session.csrfToken(secret: configuration.secret).utf8)) else {
                throw APIError(.forbidden, code: "csrf", message: "a console request that changes something carries the session's X-CSRF-Token")
            }
        }
        let token = AccessToken(subject: session.name, scope: session.role, expiresAt: session.expiresAt, issuedAt: session.issuedAt, id: session.id)
        return Caller(token: token, session: session)
    }

    /// Refuses a request a page of another origin made: its `Origin` (RFC 6454) must name
    /// this host as the request reached it, and `Sec-Fetch-Site` (when the browser sends
    /// it) must not say cross-site. `required`: a request without `Origin` is refused too.
    func requireSameOrigin(_ head: HTTPRequestHead, required: Bool = false) throws(APIError) {
        let refused = APIError(.forbidden, code: "cross_origin", message: "the console's requests come from its own pages")
        if let site = head.headers["Sec-Fetch-Site"]?.lowercased(), site != "same-origin" && site != "none" { throw refused }
        guard let origin = head.headers["Origin"] else {
            if required { throw refused }
            return
        }
        guard let host = head.headers["Host"], origin == "http://" + host || origin == "https://" + host else { throw refused }
    }

    /// `http(s)://host` as the request reached the hub, for links it answers.
    func publicBase(_ head: HTTPRequestHead) -> String {
        let host = head.headers["Host"].flatMap { $0.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") } ? $0 : nil }
            ?? "\(configuration.host):\(configuration.port)"
        return (configuration.tlsCertificatePath == nil ? "http://" : "https://") + host
    }

    /// A cookie's value (RFC 6265 §5.4: `name=value` pairs separated by `; `).
    static func cookie(_ name: String, in head: HTTPRequestHead) -> String? {
        for header in head.headers.values("Cookie") {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
                let value = trimmed[trimmed.index(after: equals)...]
                return value.isEmpty ? nil : String(value)
            }
        }
        return nil
    }

    /// What follows `Bearer ` (the scheme in any case, RFC 9110 §11.1), spaces trimmed;
    /// nil for another scheme. Read byte by byte: this runs for every API request.
    static func bearerCredential(_ header: String) -> String? {
        let utf8 = Array(header.utf8)
        guard utf8.count >= 7, zip(utf8[..<7], "bearer ".utf8).allSatisfy({ asciiLower($0) == $1 }) else { return nil }
        var start = 7
        var end = utf8.count
        while start < end, utf8[start] == 0x20 { start += 1 }
        while end > start, utf8[end - 1] == 0x20 { end -= 1 }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }

    func upgrade(_ head: HTTPRequestHead, to endpoint: WebSocketEndpoint) throws(APIError) -> Route {
        switch WebSocketHandshake.response(to: head) {
        case .success(var response):
            var agreement: PerMessageDeflate?
            let offers = head.headers.values("Sec-WebSocket-Extensions")
            if configuration.compression.enabled, !offers.isEmpty, let (agreed, answer) = PerMessageDeflate.negotiate(offers) {
                agreement = agreed
                response.headers.add(name: "Sec-WebSocket-Extensions", value: answer)
            }
            return .upgrade(endpoint, response, agreement)
        case .failure(let error): throw APIError(error)
        }
    }
}
