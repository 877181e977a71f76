import Glibc
import HTTP1
import Hub
import Records
import Webhooks

/// Every route the hub answers (contract: "HTTP API" and "WebSockets"). Adding an endpoint
/// is adding a line here; the router checks the method (405 with `Allow` from this table)
/// and the credential before a line's handler runs.
enum RouteTable {
    static func entries(testEndpoints: Bool) -> [RouteEntry] {
        beacons + api + sockets + (testEndpoints ? testSockets : [])
    }

    /// Each beacon kind's path: POST from the storefront, OPTIONS for its CORS preflight.
    static let beacons: [RouteEntry] = BeaconKind.allCases.flatMap { kind in [
        RouteEntry(.post, kind.path, .anyone) { router, r throws(APIError) in try router.beacon(kind, r) },
        RouteEntry(.options, kind.path, .anyone) { router, r throws(APIError) in .respond(router.preflight(try router.corsHeaders(r.head))) },
    ] }

    static let api: [RouteEntry] = [
        RouteEntry(.get, "/healthz", .anyone) { _, _ in
            .respond(HTTPResponse(status: .ok, contentType: "application/json", body: "{\"status\":\"ok\"}"))
        },
        RouteEntry(.get, "/metrics", .anyone) { router, _ in
            .respond(HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4", body: PrometheusExporter.render(router.shared)))
        },
        RouteEntry(.get, "/api/metrics/live-metrics", .keyOrToken([.seller, .admin])) { router, _ in
            .respond(Router.json(router.shared.publication.read().liveMetrics))
        },
        RouteEntry(.get, "/api/metrics/payment-errors", .keyOrToken([.seller, .admin])) { router, r throws(APIError) in
            let query = r.query
            let limit = try QueryParameters.integer(query, "limit", in: 1...500) ?? 50
            let since = try QueryParameters.time(query, "since")
            let records = router.shared.publication.read().recentErrors.lazy.filter { since == nil || $0.occurredAt > since! }.prefix(limit)
            return .respond(Router.json(HubMessages.paymentErrors(Array(records))))
        },
        RouteEntry(.get, "/api/metrics/history", .keyOrToken([.seller, .admin])) { _, r throws(APIError) in
            .hub(.history(minutes: try QueryParameters.integer(r.query, "minutes", in: 1...MetricsHistory.defaultCapacity) ?? 60))
        },
        RouteEntry(.post, "/api/metrics/cleanup-sessions", .keyOrToken([.admin])) { _, _ in .hub(.cleanup) },
        RouteEntry(.post, "/api/wallet/transactions", .keyOrToken([.admin])) { router, r throws(APIError) in
            .hub(.ledger(try LedgerRequest.parse(try router.jsonBody(r.request))))
        },
        RouteEntry(.get, "/api/wallet/transactions", .keyOrToken([.admin])) { _, r throws(APIError) in
            .hub(.transactions(try TransactionFilter.parse(r.query)))
        },
        RouteEntry(.get, "/api/wallet/balance", .keyOrToken([.admin, .balance])) { _, r throws(APIError) in
            // A wallet user reads their own balance only.
            guard let userId = r.query["user_id"] ?? r.token?.subject, !userId.isEmpty else { throw QueryParameters.invalid("user_id is required") }
            if let token = r.token, token.scope == .balance, token.subject != userId {
                throw APIError(.forbidden, code: "wrong_user", message: "a balance token reads its own user's balance only")
            }
            return .hub(.balance(userId: userId))
        },
        RouteEntry(.get, "/api/admin/transactions/monitor", .keyOrToken([.admin])) { _, r throws(APIError) in
            .hub(.monitor(minutes: try QueryParameters.integer(r.query, "minutes", in: 1...525_600) ?? 60))
        },
        RouteEntry(.post, "/api/payments/events", .keyOrToken([.admin])) { router, r throws(APIError) in
            .hub(.paymentEvent(try PaymentEventRequest.parse(try router.jsonBody(r.request))))
        },
        RouteEntry(.get, "/api/payments", .keyOrToken([.seller, .admin])) { _, r throws(APIError) in
            .hub(.payments(try PaymentFilter.parse(r.query)))
        },
        RouteEntry(.get, "/api/payments/stats", .keyOrToken([.seller, .admin])) { _, r throws(APIError) in
            .hub(.paymentStats(windowMilliseconds: try QueryParameters.window(r.query, "window", default: 86_400_000)))
        },
        RouteEntry(.get, "/api/payments/gaps", .keyOrToken([.seller, .admin])) { _, _ in .hub(.paymentGaps) },
        RouteEntry(.post, "/api/payments/{reference}/resolve", .keyOrToken([.admin])) { router, r throws(APIError) in
            guard let reference = QueryString.percentDecode(r.captures[0]), !reference.isEmpty, !reference.contains("/") else {
                throw .notFound(r.head.path)
            }
            var note: String?
            if !r.request.body.isEmpty {
                note = try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_resolution").text("note", max: 1024)
            }
            return .hub(.resolvePayment(reference: reference, note: note, by: r.token?.subject ?? "api-key"))
        },
        RouteEntry(.get, "/api/webhooks/log", .keyOrToken([.seller, .admin])) { _, r throws(APIError) in
            let query = r.query
            let limit = try QueryParameters.integer(query, "limit", in: 1...1000) ?? 100
            return .hub(.webhookLog(provider: query["provider"].flatMap { $0.isEmpty ? nil : $0 },
                                    reference: query["reference"].flatMap { $0.isEmpty ? nil : $0 }, limit: limit))
        },
        // The providers sign their deliveries (M-Pesa's URL carries our token instead).
        RouteEntry(.post, "/api/webhooks/{provider:\(signingProviders)}", .anyone) { router, r throws(APIError) in
            try router.webhook(PaymentProvider(rawValue: String(r.captures[0]))!, pathToken: nil, r)
        },
        RouteEntry(.post, "/api/webhooks/mpesa/{token}", .anyone) { router, r throws(APIError) in
            try router.webhook(.mpesa, pathToken: String(r.captures[0]), r)
        },
        RouteEntry(.post, "/api/activity", .keyOrToken([.admin])) { router, r throws(APIError) in
            .hub(.activity(try ActivityRequest.parse(try router.jsonBody(r.request))))
        },
        RouteEntry(.get, "/api/activity", .keyOrToken([.seller, .admin])) { _, r throws(APIError) in
            let query = r.query
            let userId = query["user_id"].flatMap { $0.isEmpty ? nil : $0 }, email = query["email"].flatMap { $0.isEmpty ? nil : $0 }
            guard userId != nil || email != nil else { throw QueryParameters.invalid("email or user_id is required") }
            return .hub(.journey(userId: userId, email: email))
        },
        RouteEntry(.get, "/api/sessions", .keyOrToken([.admin])) { _, r throws(APIError) in
            let query = r.query
            return .hub(.sessions(try PersonKey.parse(invalid: QueryParameters.invalid) { name, max throws(APIError) in
                guard let value = query[name], value.utf8.count > max else { return query[name] }
                throw QueryParameters.invalid("\(name) is longer than \(max) bytes")
            }))
        },
        RouteEntry(.post, "/api/privacy/erase", .keyOrToken([.admin])) { router, r throws(APIError) in
            .hub(try ErasureCall.parse(try router.jsonBody(r.request), secret: router.configuration.secret, by: r.token?.subject ?? "api-key",
                                       now: UnixTime.seconds * 1000))
        },
        RouteEntry(.get, "/api/funnels", .keyOrToken([.seller, .admin])) { _, r throws(APIError) in
            .hub(.funnels(windowMilliseconds: try QueryParameters.window(r.query, "window", default: 86_400_000)))
        },
        RouteEntry(.get, "/api/alerts", .keyOrToken([.seller, .admin])) { _, r throws(APIError) in
            .hub(.alerts(limit: try QueryParameters.integer(r.query, "limit", in: 1...1000) ?? 100))
        },
    ]

    static let signingProviders = PaymentProvider.allCases.filter { !$0.takesPathToken }.map(\.rawValue).joined(separator: "|")

    /// WebSocket handshakes (RFC 6455 §4.1: a GET).
    static let sockets: [RouteEntry] = [
        RouteEntry(.get, "/ws/balance", .token([.balance])) { router, r throws(APIError) in
            guard let token = r.token, !token.subject.isEmpty else {
                throw APIError(.forbidden, code: "wrong_scope", message: "a balance token names its user in sub")
            }
            let since = try QueryParameters.integer(r.query, "since", in: 0...Int(Int64.max))
            return try router.upgrade(r.head, to: .balance(userId: token.subject, since: since.map(Int64.init)))
        },
        RouteEntry(.get, "/ws/seller", .token([.seller, .admin])) { router, r throws(APIError) in
            try router.upgrade(r.head, to: .seller(r.token))
        },
        RouteEntry(.get, "/ws/track", .anyone) { router, r throws(APIError) in
            _ = try router.corsHeaders(r.head)
            return try router.upgrade(r.head, to: .track)
        },
    ]

    /// Only with `--test-endpoints` (conformance and benchmarks).
    static let testSockets: [RouteEntry] = [
        RouteEntry(.get, "/ws/echo", .anyone) { router, r throws(APIError) in try router.upgrade(r.head, to: .echo) },
        RouteEntry(.get, "/ws/broadcast", .anyone) { router, r throws(APIError) in try router.upgrade(r.head, to: .broadcast) },
    ]
}
