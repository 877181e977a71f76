import Auth
import Glibc
import HTTP1
import Hub
import Money
import Records
import Webhooks

/// Every route the hub answers (contract: "HTTP API" and "WebSockets"). Adding an endpoint
/// is adding a line here; the router checks the method (405 with `Allow` from this table)
/// and the credential before a line's handler runs.
enum RouteTable {
    static func entries(testEndpoints: Bool) -> [RouteEntry] {
        beacons + api + NotificationRoutes.entries + AnalyticsRoutes.entries + ExportRoutes.entries + accounts + sockets
            + (testEndpoints ? testSockets : [])
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
        RouteEntry(.get, "/metrics", .anyone, internalOnly: true) { router, _ in
            .respond(HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4", body: PrometheusExporter.render(router.shared)))
        },
        RouteEntry(.get, "/api/metrics/live-metrics", .keyOrToken([.seller, .support, .admin])) { router, _ in
            .respond(Router.json(router.shared.publication.read().liveMetrics))
        },
        RouteEntry(.get, "/api/metrics/payment-errors", .keyOrToken([.seller, .support, .admin])) { router, r throws(APIError) in
            let query = r.query
            let limit = try QueryParameters.integer(query, "limit", in: 1...500) ?? 50
            let since = try QueryParameters.time(query, "since")
            let records = router.shared.publication.read().recentErrors.lazy.filter { since == nil || $0.occurredAt > since! }.prefix(limit)
            return .respond(Router.json(HubMessages.paymentErrors(Array(records))))
        },
        RouteEntry(.get, "/api/metrics/history", .keyOrToken([.seller, .support, .admin])) { _, r throws(APIError) in
            .hub(.history(minutes: try QueryParameters.integer(r.query, "minutes", in: 1...MetricsHistory.defaultCapacity) ?? 60))
        },
        RouteEntry(.post, "/api/metrics/cleanup-sessions", .keyOrToken([.admin]), internalOnly: true) { _, _ in .hub(.cleanup) },
        RouteEntry(.post, "/api/wallet/transactions", .keyOrToken([.admin])) { router, r throws(APIError) in
            let entry = try LedgerEntry.parse(try router.jsonBody(r.request))
            let write = HubCommand.money(WriteLedger(entry), MoneyAnswers.transaction(metrics: router.shared.hubMetrics))
            // An operator's hand on the ledger is audited; the shop's backend (API key) is the ledger itself.
            guard r.token != nil else { return .hub(write) }
            return r.audited(write, entry.kind.rawValue, target: entry.userId, detail: "\(entry.amount) reference \(entry.reference)")
        },
        RouteEntry(.get, "/api/wallet/transactions", .keyOrToken([.support, .admin, .balance]), limitedRead: true) { _, r throws(APIError) in
            var filter = try TransactionFilter.parse(r.query)
            // A wallet user reads their own history only.
            if let token = r.token, token.scope == .balance {
                guard filter.userId == nil || filter.userId == token.subject else {
                    throw APIError(.forbidden, code: "wrong_user", message: "a balance token reads its own user's transactions only")
                }
                filter.userId = token.subject
            }
            return .money(ReadTransactions(filter)) { list in Router.json(MoneyMessages.transactions(list)) }
        },
        // One transaction: where a balance push's `link` leads.
        RouteEntry(.get, "/api/wallet/transactions/{id}", .keyOrToken([.support, .admin, .balance]), limitedRead: true) { _, r throws(APIError) in
            guard let id = Int64(r.captures[0]), id > 0 else { throw .notFound(r.head.path) }
            var filter = TransactionFilter()
            filter.id = id
            filter.limit = 1
            if let token = r.token, token.scope == .balance { filter.userId = token.subject }
            return .money(ReadTransactions(filter)) { list in
                guard let t = list.first else { return APIError(.notFound, code: "not_found", message: "no such transaction of yours").response }
                return Router.json(MoneyMessages.transaction(t))
            }
        },
        RouteEntry(.get, "/api/wallet/balance", .keyOrToken([.support, .admin, .balance])) { _, r throws(APIError) in
            // A wallet user reads their own balance only.
            guard let userId = r.query["user_id"] ?? r.token?.subject, !userId.isEmpty else { throw QueryParameters.invalid("user_id is required") }
            if let token = r.token, token.scope == .balance, token.subject != userId {
                throw APIError(.forbidden, code: "wrong_user", message: "a balance token reads its own user's balance only")
            }
            return .money(ReadBalance(userId: userId)) { balance in Router.json(MoneyMessages.walletBalance(userId: userId, balance)) }
        },
        RouteEntry(.get, "/api/admin/transactions/monitor", .keyOrToken([.support, .admin]), limitedRead: true) { _, r throws(APIError) in
            let minutes = try QueryParameters.integer(r.query, "minutes", in: 1...525_600) ?? 60
            return .money(ReadMonitor(window: Int64(minutes) * 60_000)) { summary in Router.json(MoneyMessages.monitor(summary, minutes: minutes)) }
        },
        RouteEntry(.post, "/api/payments/events", .keyOrToken([.admin])) { router, r throws(APIError) in
            let report = try RecordPaymentEvent.parse(try router.jsonBody(r.request), currency: router.configuration.currency,
                                                      phones: router.configuration.phones)
            let metrics = router.shared.hubMetrics
            return .money(report) { payment in
                metrics.paymentEvent(report.event.stage)
                return Router.json(MoneyMessages.payment(payment))
            }
        },
        RouteEntry(.get, "/api/payments", .keyOrToken([.seller, .support, .admin]), limitedRead: true) { router, r throws(APIError) in
            .money(ReadPayments(try PaymentFilter.parse(r.query, phones: router.configuration.phones))) { list in Router.json(MoneyMessages.payments(list)) }
        },
        RouteEntry(.get, "/api/payments/stats", .keyOrToken([.seller, .support, .admin]), limitedRead: true) { router, r throws(APIError) in
            let currency = router.configuration.currency
            return .money(ReadPaymentStats(window: try QueryParameters.window(r.query, "window", default: 86_400_000))) { stats in
                Router.json(MoneyMessages.paymentStats(stats, shopCurrency: currency))
            }
        },
        RouteEntry(.get, "/api/payments/gaps", .keyOrToken([.seller, .support, .admin])) { _, _ in
            .money(ReadOpenProblems()) { list in Router.json(MoneyMessages.payments(list)) }
        },
        RouteEntry(.post, "/api/payments/{reference}/resolve", .keyOrToken([.support, .admin])) { router, r throws(APIError) in
            guard let reference = QueryString.percentDecode(r.captures[0]), !reference.isEmpty, !reference.contains("/") else {
                throw .notFound(r.head.path)
            }
            var note: String?
            if !r.request.body.isEmpty {
                note = try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_resolution").text("note", max: 1024)
            }
            return r.audited(.money(ResolvePayment(reference: reference, note: note, by: r.actor), MoneyAnswers.payment), "resolve",
                             target: reference, detail: note)
        },
        // Any reference, `/` included, in the body.
        RouteEntry(.post, "/api/payments/resolve", .keyOrToken([.support, .admin])) { router, r throws(APIError) in
            let fields = try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_resolution")
            let reference = try fields.required("reference", max: 256)
            let note = try fields.text("note", max: 1024)
            return r.audited(.money(ResolvePayment(reference: reference, note: note, by: r.actor), MoneyAnswers.payment), "resolve",
                             target: reference, detail: note)
        },
        // Support's hand on a confirmed payment: one ledger credit naming it (admins: it is money).
        RouteEntry(.post, "/api/payments/credit", .keyOrToken([.admin])) { router, r throws(APIError) in
            let fields = try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_credit")
            let reference = try fields.required("reference", max: 256)
            let amount = try fields.money("amount")
            if let amount, amount.minorUnits <= 0 { throw fields.invalid("amount must be positive") }
            let credit = CreditPayment(reference: reference, userId: try fields.text("user_id", max: 128), amount: amount,
                                       note: try fields.text("note", max: 1024), by: r.actor)
            return r.audited(.money(credit, MoneyAnswers.transaction(metrics: router.shared.hubMetrics)), "credit_payment", target: reference,
                             detail: [amount.map { "amount \($0)" }, credit.userId.map { "user \($0)" }, credit.note].compactMap { $0 }.joined(separator: "; "))
        },
        // "Check with the provider" (README "Reconciliation"): asked now, answered with what it said.
        RouteEntry(.post, "/api/payments/check", .keyOrToken([.admin])) { router, r throws(APIError) in
            let reference = try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_check").required("reference", max: 256)
            return r.audited(.providerCheck(reference: reference), "check_with_provider", target: reference, detail: nil)
        },
        RouteEntry(.get, "/api/payments/checks", .keyOrToken([.seller, .support, .admin]), limitedRead: true) { _, r throws(APIError) in
            guard let reference = r.query["reference"], !reference.isEmpty, reference.utf8.count <= 256 else {
                throw APIError(.badRequest, code: "invalid_query", message: "give reference (at most 256 bytes)")
            }
            return .money(ReadProviderChecks(reference: reference)) { list in Router.json(ProviderCheckMessages.checks(list)) }
        },
        RouteEntry(.post, "/api/payments/reconcile", .keyOrToken([.admin])) { router, _ throws(APIError) in
            guard router.shared.reconcile.on({ reconciler in reconciler.pass(); reconciler.listPass() }) else {
                throw APIError(.conflict, code: "provider_not_configured", message: "no provider API key is set: see README \"Reconciliation\"")
            }
            return .respond(Router.json(Array(#"{"reconciling":true}"#.utf8)))
        },
        RouteEntry(.get, "/api/webhooks/log", .keyOrToken([.seller, .support, .admin]), limitedRead: true) { _, r throws(APIError) in
            let query = r.query
            let limit = try QueryParameters.integer(query, "limit", in: 1...1000) ?? 100
            let before = try QueryParameters.integer(query, "before", in: 1...Int(Int64.max)).map(Int64.init)
            return .money(ReadWebhookLog(provider: query["provider"].flatMap { $0.isEmpty ? nil : $0 },
                                         reference: query["reference"].flatMap { $0.isEmpty ? nil : $0 }, limit: limit, before: before)) { entries in
                MoneyAnswers.webhookLog(entries, limit: limit)
            }
        },
        // The providers sign their deliveries (M-Pesa's URL carries our token instead).
        RouteEntry(.post, "/api/webhooks/{provider:\(signingProviders)}", .anyone) { router, r throws(APIError) in
            try router.webhook(PaymentProvider(rawValue: String(r.captures[0]))!, pathToken: nil, r)
        },
        RouteEntry(.post, "/api/webhooks/mpesa/{token}", .anyone) { router, r throws(APIError) in
            try router.webhook(.mpesa, pathToken: String(r.captures[0]), r)
        },
        RouteEntry(.post, "/api/activity", .keyOrToken([.admin])) { router, r throws(APIError) in
            .money(try RecordActivity.parse(try router.jsonBody(r.request))) { event in
                MoneyAnswers.json(.created, MoneyMessages.activity([event], single: true))
            }
        },
        RouteEntry(.get, "/api/activity", .keyOrToken([.seller, .support, .admin]), limitedRead: true) { _, r throws(APIError) in
            let query = r.query
            let userId = query["user_id"].flatMap { $0.isEmpty ? nil : $0 }, email = query["email"].flatMap { $0.isEmpty ? nil : $0 }
            guard userId != nil || email != nil else { throw QueryParameters.invalid("email or user_id is required") }
            return .money(ReadJourney(userId: userId, email: email)) { events in Router.json(MoneyMessages.activity(events)) }
        },
        RouteEntry(.get, "/api/sessions", .keyOrToken([.support, .admin]), limitedRead: true) { router, r throws(APIError) in
            let query = r.query
            return .hub(.sessions(try PersonKey.parse(invalid: QueryParameters.invalid, phones: router.configuration.phones) { name, max throws(APIError) in
                guard let value = query[name], value.utf8.count > max else { return query[name] }
                throw QueryParameters.invalid("\(name) is longer than \(max) bytes")
            }))
        },
        // One person's whole story, records and presence joined: what /support shows.
        RouteEntry(.get, "/api/support/timeline", .keyOrToken([.support, .admin]), limitedRead: true) { router, r throws(APIError) in
            .hub(.supportTimeline(try ReadSupportTimeline.parse(r.query, phones: router.configuration.phones)))
        },
        RouteEntry(.post, "/api/privacy/erase", .keyOrToken([.admin]), internalOnly: true) { router, r throws(APIError) in
            let command = try ErasureCall.parse(try router.jsonBody(r.request), secret: router.configuration.secret, by: r.actor,
                                                now: UnixTime.seconds * 1000, phones: router.configuration.phones)
            guard case .erase(let call) = command else { return .hub(command) }
            // The audit names the kinds erased, never the person.
            return r.audited(command, "erase", target: call.identities.map(\.kind).joined(separator: ", "), detail: call.pseudonym)
        },
        RouteEntry(.get, "/api/funnels", .keyOrToken([.seller, .support, .admin]), limitedRead: true) { _, r throws(APIError) in
            .hub(.funnels(windowMilliseconds: try QueryParameters.window(r.query, "window", default: 86_400_000)))
        },
        RouteEntry(.get, "/api/alerts", .keyOrToken([.seller, .support, .admin]), limitedRead: true) { _, r throws(APIError) in
            .money(ReadAlerts(limit: try QueryParameters.integer(r.query, "limit", in: 1...1000) ?? 100)) { rows in Router.json(MoneyMessages.alerts(rows)) }
        },
    ]

    /// The console's accounts (README "Security").
    static let accounts: [RouteEntry] = [
        RouteEntry(.post, "/api/console/login", .anyone) { router, r throws(APIError) in
            // A sign-in from another site's page would sign the browser in as someone else.
            try router.requireSameOrigin(r.head)
            let fields = try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_sign_in")
            if let code = try fields.text("code", max: 128) {
                return .hub(.accounts(.redeem(code: code, client: r.client.keptIP, throttleKey: r.rateKey)))
            }
            let name = try fields.required("name", max: 128)
            let password = try fields.required("password", max: PasswordHash.maximumLength)
            return .hub(.accounts(.signIn(name: name, password: password, client: r.client.keptIP, throttleKey: r.rateKey)))
        },
        RouteEntry(.get, "/api/console/session", .session) { router, r throws(APIError) in
            .respond(AccountAnswers.json(.ok, AccountAnswers.session(r.session!, secret: router.configuration.secret)))
        },
        RouteEntry(.post, "/api/console/logout", .session) { _, r throws(APIError) in
            .hub(.accounts(.signOut(r.session!, client: r.client.keptIP)))
        },
        RouteEntry(.post, "/api/console/links", .keyOrToken([.admin]), internalOnly: true) { router, r throws(APIError) in
            let fields = try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_link")
            let name = try OperatorName.checked(try fields.required("user", max: OperatorName.maxLength), invalid: fields.invalid)
            let roleText = try fields.required("role", max: 16)
            guard let role = AccessToken.Scope(rawValue: roleText), role != .balance else {
                throw fields.invalid("role must be seller, support or admin")
            }
            return .hub(.accounts(.link(name: name, role: role, by: r.actor, client: r.client.keptIP, base: router.publicBase(r.head))))
        },
        RouteEntry(.post, "/api/tokens/revoke", .keyOrToken([.admin]), internalOnly: true) { router, r throws(APIError) in
            let fields = try BodyFields(try router.jsonBody(r.request), errorCode: "invalid_revocation")
            if let jti = try fields.text("jti", max: 128) {
                return .hub(.accounts(.revoke(.id(jti), by: r.actor, client: r.client.keptIP)))
            }
            guard let subject = try fields.text("sub", max: 256), !subject.isEmpty else { throw fields.invalid("give jti, or sub (and before)") }
            var before = UnixTime.seconds
            if let text = try fields.text("before", max: 64) {
                guard let ms = Timestamp.parse(text) else { throw fields.invalid("before must be an ISO 8601 time") }
                before = ms / 1000
            }
            return .hub(.accounts(.revoke(.subject(subject, issuedBefore: before), by: r.actor, client: r.client.keptIP)))
        },
        RouteEntry(.get, "/api/audit", .keyOrToken([.admin]), limitedRead: true) { _, r throws(APIError) in
            let query = r.query
            let limit = try QueryParameters.integer(query, "limit", in: 1...500) ?? 100
            let before = try QueryParameters.integer(query, "before", in: 1...Int(Int64.max)).map(Int64.init)
            return .hub(.accounts(.audit(before: before, limit: limit)))
        },
    ]

    static let signingProviders = PaymentProvider.allCases.filter { !$0.takesPathToken }.map(\.rawValue).joined(separator: "|")

    /// WebSocket handshakes (RFC 6455 §4.1: a GET).
    static let sockets: [RouteEntry] = [
        // A token in the URL (`?token=`, which proxies log) or, for a page of another origin,
        // none: then the socket's first message gives it (`BalanceSocket`).
        RouteEntry(.get, "/ws/balance", .anyone) { router, r throws(APIError) in
            let since = try QueryParameters.integer(r.query, "since", in: 0...Int(Int64.max)).map(Int64.init)
            guard router.hasBearer(r.head) else { return try router.upgrade(r.head, to: .balance(userId: nil, since: since)) }
            guard let token = try router.bearer(r.head, scopes: [.balance]), !token.subject.isEmpty else {
                throw APIError(.forbidden, code: "wrong_scope", message: "a balance token names its user in sub")
            }
            return try router.upgrade(r.head, to: .balance(userId: token.subject, since: since))
        },
        RouteEntry(.get, "/ws/seller", .token([.seller, .support, .admin])) { router, r throws(APIError) in
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
