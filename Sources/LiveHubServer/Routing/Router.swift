import Auth
import Glibc
import HTTP1
import Hub
import JSON
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
}

extension Route {
    /// To the hub, with nothing added to its answer.
    static func hub(_ command: HubCommand) -> Route { .hub(command, headers: HTTPHeaders()) }
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

    func route(_ request: HTTPRequest, client: ClientAddressing, now: UInt64) -> Route {
        do {
            return try dispatch(request, client: client, now: now)
        } catch {
            return .respond(error.response)
        }
    }

    private func dispatch(_ request: HTTPRequest, client: ClientAddressing, now: UInt64) throws(APIError) -> Route {
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
        let token: AccessToken?
        switch entry.access {
        case .anyone: token = nil
        case .keyOrToken(let scopes): token = try authorize(head, scopes: scopes)
        case .token(let scopes): token = try authorize(head, scopes: scopes, apiKeyAllowed: false)
        }
        // A value that does not decode would read as absent, and a filter left out lists
        // everything: refused instead.
        guard QueryString.isWellFormed(head.query) else {
            throw QueryParameters.invalid("the query string does not decode (a bad %-escape, invalid UTF-8 or %00)")
        }
        return try entry.handle(self, RouteRequest(request: request, captures: captures, token: token, client: client, now: now))
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
        let beacon = try Beacon.parse(kind: kind, body: try jsonBody(r.request))
        let client = ClientInfo(ip: r.client.keptIP, userAgent: try Beacon.userAgent(r.head.headers["User-Agent"]))
        return .hub(.beacon(beacon, client), headers: cors)
    }

    /// A provider's delivery, verified here on the connection's loop.
    func webhook(_ provider: PaymentProvider, pathToken: String?, _ r: RouteRequest) throws(APIError) -> Route {
        try limits.check(.webhook, key: r.rateKey, now: r.now)
        return .hub(.webhook(WebhookDelivery(provider: provider, pathToken: pathToken, request: r.request,
                                             verifiers: configuration.webhookVerifiers, nowSeconds: UnixTime.seconds,
                                             ipPrivacy: configuration.ipPrivacy)))
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

    /// A bearer credential (header or `?token=`): the API key, or a token of one of `scopes`.
    @discardableResult
    private func authorize(_ head: HTTPRequestHead, scopes: Set<AccessToken.Scope>, apiKeyAllowed: Bool = true) throws(APIError) -> AccessToken? {
        let credential = head.headers["Authorization"].flatMap(Self.bearerCredential) ?? QueryString.parse(head.query)["token"]
        guard let credential, !credential.isEmpty else {
            throw APIError(.unauthorized, code: "unauthorized", message: "a token or API key is required")
        }
        if apiKeyAllowed && !configuration.apiKey.isEmpty
            && HMAC.constantTimeEquals(Array(credential.utf8), Array(configuration.apiKey.utf8)) {
            return nil
        }
        let token: AccessToken
        do {
            token = try AccessToken.verify(credential, secret: configuration.secret, now: UnixTime.seconds)
        } catch {
            throw APIError(.unauthorized, code: "invalid_token", message: error == .expired ? "the token has expired" : "the token is not valid")
        }
        guard scopes.contains(token.scope) else {
            throw APIError(.forbidden, code: "wrong_scope", message: "a \(token.scope.rawValue) token cannot do this")
        }
        return token
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
