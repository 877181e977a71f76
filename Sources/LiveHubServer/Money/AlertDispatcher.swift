import HTTP1
import HTTPClient
import Hub
import JSON
import Logging
import Money
import Reactor
import Records

/// Sends alerts to `--alert-webhook` from the hub's loop without ever waiting on it: each
/// POST is non-blocking, a failure (error, timeout, non-2xx) is retried with exponential
/// backoff, and every retry sends the same bytes. Each attempt's outcome goes to the
/// alert's outbox row in the records database (`GET /api/alerts` reads it there), so a
/// restart resumes the deliveries still pending.
final class AlertDispatcher {
    private let url: OutgoingURL?
    private let client: HTTPClient
    private let loop: EventLoop
    private let money: MoneyEngine
    /// Backoff before attempt n+1 (n ≥ 1): 1 s, 2 s, 4 s, 8 s, 16 s; then it is given up.
    static let maxAttempts = 6
    var firstBackoffNanoseconds: UInt64 = 1_000_000_000

    private let metrics: HubMetrics?
    /// `--public-url`: an alert about a payment links to its story on /support.
    private let publicURL: String?

    init(url: OutgoingURL?, loop: EventLoop, money: MoneyEngine, metrics: HubMetrics? = nil, publicURL: String? = nil) {
        self.metrics = metrics
        self.publicURL = publicURL
        self.url = url
        self.loop = loop
        self.money = money
        client = HTTPClient(loop: loop)
    }

    /// Slack's incoming webhooks take `{"text"}`; anything else gets Discord's shape.
    static func isSlack(_ url: OutgoingURL) -> Bool {
        url.host == "hooks.slack.com" || url.host.hasSuffix(".slack.com")
    }

    /// Where the console shows what the alert is about: `/support?q=REFERENCE`, the
    /// reference percent-encoded (RFC 3986 §2.1: only unreserved characters stay), so
    /// nothing in it can end the link or start markup in the chat.
    static func link(_ alert: Alert, publicURL: String?) -> String? {
        guard let publicURL, let reference = alert.reference else { return nil }
        var encoded = ""
        for byte in reference.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) { encoded.append(c) } else { encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true) }
        }
        return publicURL + "/support?q=" + encoded
    }

    static func payload(_ alert: Alert, slack: Bool, publicURL: String? = nil) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        let who = [alert.userId.map { "user \($0)" }, alert.reference.map { "reference \($0)" }].compactMap { $0 }.joined(separator: ", ")
        let link = Self.link(alert, publicURL: publicURL)
        if slack {
            // Slack's link syntax (api.slack.com/reference/surfaces/formatting#linking-urls).
            json.field("text", "\(alert.kind.severity.slackEmoji) *\(ChatText.slack(alert.title))*: \(ChatText.slack(alert.message))"
                       + (link.map { " <\($0)|Open in LiveHub>" } ?? ""))
        } else {
            let title = ChatText.discord(alert.title), message = ChatText.discord(alert.message)
            json.field("content", "**\(title)**: \(message)")
            // No mention of anyone, whatever the text says.
            json.key("allowed_mentions")
            json.beginObject()
            json.key("parse")
            json.beginArray()
            json.endArray()
            json.endObject()
            json.key("embeds")
            json.beginArray()
            json.beginObject()
            json.field("title", title)
            // Discord makes the embed's title a link to `url`.
            if let link { json.field("url", link) }
            json.field("description", message)
            json.field("color", alert.kind.severity.discordColor)
            json.field("timestamp", Timestamp.iso8601(milliseconds: alert.createdAt))
            json.key("fields")
            json.beginArray()
            for (name, value) in [("Kind", alert.kind.rawValue), ("About", who.isEmpty ? "—" : ChatText.discord(who)), ("Alert id", "\(alert.id)")] {
                json.beginObject()
                json.field("name", name)
                json.field("value", value)
                json.key("inline"); json.bool(true)
                json.endObject()
            }
            json.endArray()
            json.endObject()
            json.endArray()
        }
        json.endObject()
        return json.bytes
    }

    func send(_ alert: Alert) {
        guard let url else {
            metrics?.alertDelivery(.notConfigured)
            return
        }
        let request = OutgoingRequest(method: "POST", url: url,
                                      headers: HTTPHeaders([("Content-Type", "application/json"), ("User-Agent", "LiveHub")]),
                                      body: Self.payload(alert, slack: Self.isSlack(url), publicURL: publicURL))
        attempt(request, alertID: alert.id, attempts: 1)
    }

    private func attempt(_ request: OutgoingRequest, alertID: Int64, attempts: Int) {
        client.send(request) { [weak self] result in
            guard let self else { return }
            let lastError: String
            switch result {
            case .success(let response) where (200..<300).contains(response.statusCode):
                metrics?.alertDelivery(.sent)
                money.submit(RecordAlertDelivery(alertID: alertID, AlertDelivery(status: .sent, attempts: attempts)))
                return
            case .success(let response):
                lastError = "HTTP \(response.statusCode)"
            case .failure(let error):
                lastError = error.description
            }
            guard attempts < Self.maxAttempts else {
                metrics?.alertDelivery(.failed)
                money.submit(RecordAlertDelivery(alertID: alertID, AlertDelivery(status: .failed, attempts: attempts, lastError: lastError)))
                ServerLog.logger.error("alert not delivered", metadata: ["alert": "\(alertID)", "attempts": "\(attempts)", "error": "\(lastError)"])
                return
            }
            metrics?.alertDelivery(.retried)
            money.submit(RecordAlertDelivery(alertID: alertID, AlertDelivery(status: .pending, attempts: attempts, lastError: lastError)))
            let delay = firstBackoffNanoseconds << UInt64(attempts - 1)
            loop.schedule(afterNanoseconds: delay) { [weak self] in self?.attempt(request, alertID: alertID, attempts: attempts + 1) }
        }
    }
}

extension Alert.Severity {
    /// Discord embed colours: green for good news, orange for a warning, red otherwise.
    var discordColor: Int {
        switch self {
        case .good: return 0x2ECC71
        case .warning: return 0xE67E22
        case .critical: return 0xE74C3C
        }
    }

    var slackEmoji: String {
        switch self {
        case .good: return ":white_check_mark:"
        case .warning: return ":warning:"
        case .critical: return ":rotating_light:"
        }
    }
}
