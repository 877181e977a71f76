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

/// Maps method and path to an answer. Every error goes through `APIError`.
struct Router {
    let shared: ServerShared
    let limits: ClientLimits
    private var configuration: ServerConfiguration { shared.configuration }

    init(shared: ServerShared, limits: ClientLimits) {
        self.shared = shared
        self.limits = limits
    }

    /// `/api/metrics/...` beacon paths and the beacon kind each carries.
    static let beaconPaths: [Substring: String] = [
        "/api/metrics/session/start": "session-start",
        "/api/metrics/track/page-visit": "page-visit",
        "/api/metrics/track/checkout-start": "checkout-start",
        "/api/metrics/track/payment-start": "payment-start",
        "/api/metrics/track/payment-error": "payment-error",
        "/api/metrics/track/payment-success": "payment-success",
        "/api/metrics/heartbeat": "heartbeat",
        "/api/metrics/session/end": "session-end",
    ]

    /// `rateKey`: the client's rate-limit bucket (`ClientLimits.key(clientIP)`).
    func route(_ request: HTTPRequest, clientIP: String, rateKey: UInt64, now: UInt64) -> Route {
        do {
            return try dispatch(request, clientIP: clientIP, rateKey: rateKey, now: now)
        } catch {
            return .respond(error.response)
        }
    }

    private func dispatch(_ request: HTTPRequest, clientIP: String, rateKey: UInt64, now: UInt64) throws(APIError) -> Route {
        let head = request.head
        let path = head.path
        if let kind = Self.beaconPaths[path] {
            let cors = try corsHeaders(head)
            if head.method == "OPTIONS" { return .respond(preflight(cors)) }
            try require(head, "POST")
            do {
                try limits.check(.beacon, key: rateKey, now: now)
            } catch {
                // The browser's script may read the refusal only if CORS lets it.
                var refused = error
                for (name, value) in cors { refused.headers.add(name: name, value: value) }
                throw refused
            }
            let beacon = try Beacon.parse(kind: kind, body: try jsonBody(request))
            let client = ClientInfo(ip: clientIP, userAgent: try Beacon.userAgent(head.headers["User-Agent"]))
            return .hub(.beacon(beacon, client), headers: cors)
        }
        switch path {
        case "/healthz":
            try require(head, "GET")
            return .respond(HTTPResponse(status: .ok, contentType: "application/json", body: "{\"status\":\"ok\"}"))
        case "/metrics":
            try require(head, "GET")
            return .respond(HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4",
                                         body: PrometheusExporter.render(shared)))
        case "/api/metrics/live-metrics":
            try require(head, "GET")
            try authorize(head, scopes: [.seller, .admin])
            return .respond(json(shared.publication.read().liveMetrics))
        case "/api/metrics/payment-errors":
            try require(head, "GET")
            try authorize(head, scopes: [.seller, .admin])
            let query = QueryString.parse(head.query)
            let limit = try QueryParameters.integer(query, "limit", in: 1...500) ?? 50
            let since = try QueryParameters.time(query, "since")
            let records = shared.publication.read().recentErrors.lazy.filter { since == nil || $0.occurredAt > since! }.prefix(limit)
            return .respond(json(HubMessages.paymentErrors(Array(records))))
        case "/api/metrics/cleanup-sessions":
            try require(head, "POST")
            try authorize(head, scopes: [.admin])
            return .hub(.cleanup, headers: HTTPHeaders())
        case "/api/wallet/transactions":
            if head.method == "POST" {
                try authorize(head, scopes: [.admin])
                return .hub(.ledger(try LedgerRequest.parse(try jsonBody(request))), headers: HTTPHeaders())
            }
            try require(head, "GET")
            try authorize(head, scopes: [.admin])
            return .hub(.transactions(try TransactionFilter.parse(QueryString.parse(head.query))), headers: HTTPHeaders())
        case "/api/wallet/balance":
            try require(head, "GET")
            let query = QueryString.parse(head.query)
            let token = try authorize(head, scopes: [.admin, .balance])
            // A wallet user reads their own balance only.
            let userId = query["user_id"] ?? token?.subject
            guard let userId, !userId.isEmpty else { throw QueryParameters.invalid("user_id is required") }
            if let token, token.scope == .balance, token.subject != userId {
                throw APIError(.forbidden, code: "wrong_user", message: "a balance token reads its own user's balance only")
            }
            return .hub(.balance(userId: userId), headers: HTTPHeaders())
        case "/api/admin/transactions/monitor":
            try require(head, "GET")
            try authorize(head, scopes: [.admin])
            let minutes = try QueryParameters.integer(QueryString.parse(head.query), "minutes", in: 1...525_600) ?? 60
            return .hub(.monitor(minutes: minutes), headers: HTTPHeaders())
        case "/api/payments/events":
            try require(head, "POST")
            try authorize(head, scopes: [.admin])
            return .hub(.paymentEvent(try PaymentEventRequest.parse(try jsonBody(request))), headers: HTTPHeaders())
        case "/api/payments":
            try require(head, "GET")
            try authorize(head, scopes: [.seller, .admin])
            return .hub(.payments(try PaymentFilter.parse(QueryString.parse(head.query))), headers: HTTPHeaders())
        case "/api/payments/stats":
            try require(head, "GET")
            try authorize(head, scopes: [.seller, .admin])
            let window = try QueryParameters.window(QueryString.parse(head.query), "window", default: 86_400_000)
            return .hub(.paymentStats(windowMilliseconds: window), headers: HTTPHeaders())
        case "/api/payments/gaps":
            try require(head, "GET")
            try authorize(head, scopes: [.seller, .admin])
            return .hub(.paymentGaps, headers: HTTPHeaders())
        case _ where path.hasPrefix("/api/payments/") && path.hasSuffix("/resolve"):
            try require(head, "POST")
            let resolver = try authorize(head, scopes: [.admin])
            let reference = QueryString.percentDecode(path.dropFirst("/api/payments/".count).dropLast("/resolve".count))
            guard let reference, !reference.isEmpty, !reference.contains("/") else { throw .notFound(path) }
            var note: String?
            if !request.body.isEmpty {
                note = try BodyFields(try jsonBody(request), errorCode: "invalid_resolution").text("note", max: 1024)
            }
            return .hub(.resolvePayment(reference: reference, note: note, by: resolver?.subject ?? "api-key"), headers: HTTPHeaders())
        case _ where path.hasPrefix("/api/webhooks/"):
            let rest = path.dropFirst("/api/webhooks/".count).split(separator: "/", omittingEmptySubsequences: false)
            if rest == ["log"] {
                try require(head, "GET")
                try authorize(head, scopes: [.seller, .admin])
                let query = QueryString.parse(head.query)
                let limit = try QueryParameters.integer(query, "limit", in: 1...1000) ?? 100
                return .hub(.webhookLog(provider: query["provider"].flatMap { $0.isEmpty ? nil : $0 },
                                        reference: query["reference"].flatMap { $0.isEmpty ? nil : $0 }, limit: limit), headers: HTTPHeaders())
            }
            guard let provider = PaymentProvider(rawValue: String(rest[0])), rest.count == (provider.takesPathToken ? 2 : 1) else {
                throw .notFound(path)
            }
            try require(head, "POST")
            try limits.check(.webhook, key: rateKey, now: now)
            let delivery = WebhookDelivery(provider: provider, pathToken: rest.count == 2 ? String(rest[1]) : nil, request: request,
                                           verifiers: configuration.webhookVerifiers, nowSeconds: Int64(time(nil)))
            return .hub(.webhook(delivery), headers: HTTPHeaders())
        case "/api/activity":
            if head.method == "POST" {
                try authorize(head, scopes: [.admin])
                return .hub(.activity(try ActivityRequest.parse(try jsonBody(request))), headers: HTTPHeaders())
            }
            try require(head, "GET")
            try authorize(head, scopes: [.seller, .admin])
            let query = QueryString.parse(head.query)
            let userId = query["user_id"].flatMap { $0.isEmpty ? nil : $0 }, email = query["email"].flatMap { $0.isEmpty ? nil : $0 }
            guard userId != nil || email != nil else { throw QueryParameters.invalid("email or user_id is required") }
            return .hub(.journey(userId: userId, email: email), headers: HTTPHeaders())
        case "/api/funnels":
            try require(head, "GET")
            try authorize(head, scopes: [.seller, .admin])
            let window = try QueryParameters.window(QueryString.parse(head.query), "window", default: 86_400_000)
            return .hub(.funnels(windowMilliseconds: window), headers: HTTPHeaders())
        case "/api/alerts":
            try require(head, "GET")
            try authorize(head, scopes: [.seller, .admin])
            let limit = try QueryParameters.integer(QueryString.parse(head.query), "limit", in: 1...1000) ?? 100
            return .hub(.alerts(limit: limit), headers: HTTPHeaders())
        case "/ws/balance":
            guard let token = try authorize(head, scopes: [.balance], apiKeyAllowed: false), !token.subject.isEmpty else {
                throw APIError(.forbidden, code: "wrong_scope", message: "a balance token names its user in sub")
            }
            let since = try QueryParameters.integer(QueryString.parse(head.query), "since", in: 0...Int(Int64.max))
            return try upgrade(head, to: .balance(userId: token.subject, since: since.map(Int64.init)))
        case "/ws/seller":
            let token = try authorize(head, scopes: [.seller, .admin], apiKeyAllowed: false)
            return try upgrade(head, to: .seller(token))
        case "/ws/track":
            _ = try corsHeaders(head)
            return try upgrade(head, to: .track)
        case "/ws/echo" where configuration.testEndpoints:
            return try upgrade(head, to: .echo)
        case "/ws/broadcast" where configuration.testEndpoints:
            return try upgrade(head, to: .broadcast)
        default:
            if let file = shared.staticFiles.file(at: path) {
                try require(head, "GET")
                var headers = HTTPHeaders([("Content-Type", file.contentType)])
                headers.add(name: "Cache-Control", value: "no-cache")
                return .respond(HTTPResponse(status: .ok, headers: headers, body: file.bytes))
            }
            throw .notFound(path)
        }
    }

    private func json(_ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
    }

    private func require(_ head: HTTPRequestHead, _ method: String) throws(APIError) {
        if head.method == method || (method == "GET" && head.method == "HEAD") { return }
        throw .methodNotAllowed(method == "GET" ? "GET, HEAD" : method)
    }

    /// Beacons come as `application/json` or, from `navigator.sendBeacon`, `text/plain`.
    private func jsonBody(_ request: HTTPRequest) throws(APIError) -> JSONValue {
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
    private func corsHeaders(_ head: HTTPRequestHead) throws(APIError) -> HTTPHeaders {
        guard let origin = head.headers["Origin"] else { return HTTPHeaders() }
        let allowed = configuration.allowedOrigins
        guard allowed.isEmpty || allowed.contains(origin) else {
            throw APIError(.forbidden, code: "origin_not_allowed", message: "origin \(origin) may not send beacons")
        }
        return HTTPHeaders([("Access-Control-Allow-Origin", origin), ("Vary", "Origin")])
    }

    private func preflight(_ cors: HTTPHeaders) -> HTTPResponse {
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
            token = try AccessToken.verify(credential, secret: configuration.secret, now: Int64(time(nil)))
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

    private func upgrade(_ head: HTTPRequestHead, to endpoint: WebSocketEndpoint) throws(APIError) -> Route {
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
