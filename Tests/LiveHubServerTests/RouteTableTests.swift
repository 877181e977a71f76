import Auth
import Testing
@testable import LiveHubServer

/// The route table as the contract lists it, and the router's checks on every line of it,
/// over a real socket: the method (405 with the path's `Allow`), then the credential (401
/// without one, 403 with a token of another scope, 401 for the API key where only a token
/// will do).
@Suite("Route table", .serialized)
struct RouteTableTests {
    /// Method, path, who may call: the contract's "HTTP API" and "WebSockets" sections.
    static let contract = [
        "POST /api/metrics/session/start anyone", "OPTIONS /api/metrics/session/start anyone",
        "POST /api/metrics/track/page-visit anyone", "OPTIONS /api/metrics/track/page-visit anyone",
        "POST /api/metrics/track/checkout-start anyone", "OPTIONS /api/metrics/track/checkout-start anyone",
        "POST /api/metrics/track/payment-start anyone", "OPTIONS /api/metrics/track/payment-start anyone",
        "POST /api/metrics/track/payment-error anyone", "OPTIONS /api/metrics/track/payment-error anyone",
        "POST /api/metrics/track/payment-success anyone", "OPTIONS /api/metrics/track/payment-success anyone",
        "POST /api/metrics/heartbeat anyone", "OPTIONS /api/metrics/heartbeat anyone",
        "POST /api/metrics/session/end anyone", "OPTIONS /api/metrics/session/end anyone",
        "POST /api/metrics/track/event anyone", "OPTIONS /api/metrics/track/event anyone",
        "GET /healthz anyone",
        "GET /metrics anyone",
        "GET /api/metrics/live-metrics key|support,seller,admin",
        "GET /api/metrics/payment-errors key|support,seller,admin",
        "GET /api/metrics/history key|support,seller,admin",
        "POST /api/metrics/cleanup-sessions key|admin",
        "POST /api/wallet/transactions key|admin",
        "GET /api/wallet/transactions key|support,balance,admin",
        "GET /api/wallet/transactions/{id} key|support,balance,admin",
        "GET /api/wallet/balance key|support,balance,admin",
        "GET /api/admin/transactions/monitor key|support,admin",
        "POST /api/payments/events key|admin",
        "GET /api/payments key|support,seller,admin",
        "GET /api/payments/stats key|support,seller,admin",
        "GET /api/payments/gaps key|support,seller,admin",
        "POST /api/payments/{reference}/resolve key|support,admin",
        "POST /api/payments/resolve key|support,admin", "POST /api/payments/credit key|admin", "POST /api/payments/check key|admin",
        "GET /api/payments/checks key|support,seller,admin", "POST /api/payments/reconcile key|admin",
        "GET /api/webhooks/log key|support,seller,admin",
        "POST /api/webhooks/{provider:paystack|nowpayments|stripe} anyone",
        "POST /api/webhooks/mpesa/{token} anyone",
        "POST /api/activity key|admin",
        "GET /api/activity key|support,seller,admin",
        "GET /api/sessions key|support,admin",
        "GET /api/support/timeline key|support,admin",
        "POST /api/privacy/erase key|admin",
        "GET /api/funnels key|support,seller,admin",
        "GET /api/alerts key|support,seller,admin",
        "GET /api/notifications key|support,balance,admin", "GET /api/notifications/count key|support,balance,admin",
        "POST /api/notifications/read key|balance,admin", "POST /api/notifications/archive key|balance,admin",
        "GET /api/notifications/preferences key|support,balance,admin", "PUT /api/notifications/preferences key|balance,admin",
        "POST /api/notifications key|admin",
        "GET /api/analytics/day key|support,seller,admin", "GET /api/analytics/series key|support,seller,admin",
        "GET /api/analytics/goals key|support,seller,admin", "PUT /api/analytics/goals/{name} key|admin",
        "DELETE /api/analytics/goals/{name} key|admin", "GET /api/analytics/funnels key|support,seller,admin",
        "PUT /api/analytics/funnels/{id} key|admin", "DELETE /api/analytics/funnels/{id} key|admin",
        "GET /api/analytics/funnels/{id} key|support,seller,admin",
        "GET /api/export/{kind} key|admin",
        "POST /api/console/login anyone",
        "GET /api/console/session session",
        "POST /api/console/logout session",
        "POST /api/console/links key|admin",
        "POST /api/tokens/revoke key|admin",
        "GET /api/audit key|admin",
        "GET /ws/balance anyone",
        "GET /ws/seller token|support,seller,admin",
        "GET /ws/track anyone",
        "GET /ws/echo anyone",
        "GET /ws/broadcast anyone",
    ]

    static func line(_ entry: RouteEntry) -> String {
        func names(_ scopes: Set<AccessToken.Scope>) -> String { scopes.map(\.rawValue).sorted { $0 > $1 }.joined(separator: ",") }
        let access = switch entry.access {
        case .anyone: "anyone"
        case .keyOrToken(let scopes): "key|" + names(scopes)
        case .token(let scopes): "token|" + names(scopes)
        case .session: "session"
        }
        return "\(entry.method.rawValue) \(entry.pattern) \(access)"
    }

    @Test func theTableIsTheContract() {
        #expect(RouteTable.entries(testEndpoints: true).map(Self.line) == Self.contract)
        #expect(RouteTable.entries(testEndpoints: false).count == Self.contract.count - 2)
    }

    @Test func everyRouteChecksItsMethodThenItsCaller() throws {
        let running = try RunningServer { $0.apiKey = "the-key" }
        defer { running.stop() }
        let client = try TestClient(port: running.port)
        func send(_ method: String, _ path: String, _ authorization: String? = nil) throws -> (status: Int, head: String, body: String) {
            client.write("\(method) \(path) HTTP/1.1\r\nHost: t\r\n\(authorization.map { "Authorization: Bearer \($0)\r\n" } ?? "")Content-Length: 0\r\n\r\n")
            return try client.readResponse()
        }
        func token(_ scope: AccessToken.Scope) -> String {
            AccessToken.issue(subject: "u1", scope: scope, now: UnixTime.seconds, lifetime: 3600).signed(secret: Array("test-secret".utf8))
        }
        var methodsByPath: [String: [String]] = [:]
        for line in Self.contract {
            let parts = line.split(separator: " ")
            methodsByPath[String(parts[1]), default: []].append(String(parts[0]))
        }
        for line in Self.contract {
            let parts = line.split(separator: " ").map(String.init)
            let (method, pattern, access) = (parts[0], parts[1], parts[2])
            let path = pattern.replacing("{reference}", with: "ref-1").replacing("{token}", with: "tok").replacing("{id}", with: "1")
                .replacing("{provider:paystack|nowpayments|stripe}", with: "stripe").replacing("{kind}", with: "ledger")
            let allow = methodsByPath[pattern]!.flatMap { $0 == "GET" ? ["GET", "HEAD"] : [$0] }.joined(separator: ", ")
            let wrong = try send("PATCH", path)
            #expect(wrong.status == 405 && wrong.head.contains("Allow: \(allow)\r\n"), "\(line): \(wrong.status) \(wrong.head)")
            guard access != "anyone" else { continue }
            let missing = try send(method, path)
            #expect(missing.status == 401 && missing.body.contains(access == "session" ? "\"not_signed_in\"" : "\"unauthorized\""),
                    "\(line) without a credential: \(missing.status)")
            if access == "session" {
                // A session route takes no bearer token, whatever its scope.
                let bearer = try send(method, path, token(.admin))
                #expect(bearer.status == 401, "\(line) with a token: \(bearer.status)")
                continue
            }
            let allowed = Set(access.split(separator: "|")[1].split(separator: ",").map(String.init))
            for scope in AccessToken.Scope.allCases where !allowed.contains(scope.rawValue) {
                let refused = try send(method, path, token(scope))
                #expect(refused.status == 403 && refused.body.contains("\"wrong_scope\""), "\(line) with a \(scope) token: \(refused.status)")
            }
            if access.hasPrefix("token|") {
                let key = try send(method, path, "the-key")
                #expect(key.status == 401 && key.body.contains("\"invalid_token\""), "\(line) with the API key: \(key.status)")
            }
        }
    }
}
