import Hub
import Logging
import Money
import Records
import Reactor
import SMTP
import Synchronization

/// Notification emails (README "Notifications"), on a loop of their own: every second the
/// emails due are taken from the records (leased, so a node that dies mid-send leaves them
/// to another), sent through SMTP one message per notification (or per user, a digest),
/// and each attempt and its outcome recorded. A refusal the server means as temporary
/// (4xx), or no answer, is tried again after 5 s, 10 s, 20 s … (8 attempts, about ten
/// minutes: greylisting's usual wait); a permanent one (5xx) is not.
final class EmailSender {
    private let loop: EventLoop
    private let money: MoneyEngine
    private let settings: EmailSettings
    private let client: SMTPClient
    private let metrics: EmailMetrics
    private let publicURL: String?
    private var taking = false
    private var inFlight = 0
    static let maxInFlight = 4
    static let maxAttempts = 8
    static let lease: Int64 = 120_000
    static let logger = Logger(label: "livehub.email")

    init(loop: EventLoop, money: MoneyEngine, settings: EmailSettings, url: SMTPURL, metrics: EmailMetrics, publicURL: String?) {
        self.loop = loop
        self.money = money
        self.settings = settings
        self.metrics = metrics
        self.publicURL = publicURL
        client = SMTPClient(loop: loop, url: url)
    }

    func start() {
        loop.scheduleRepeating(everyNanoseconds: 1_000_000_000) { [unowned self] in take() }
    }

    private var back: @Sendable (@escaping @Sendable (EmailSender) -> Void) -> Void {
        let bound = LoopBound(self), handle = loop.handle
        return { body in handle.execute { _ in body(bound.value) } }
    }

    private func take() {
        guard !taking, inFlight < Self.maxInFlight else { return }
        taking = true
        let back = self.back
        money.submit(TakeEmailsDue(limit: 50, lease: Self.lease, wholeUser: settings.digestMilliseconds > 0)) { result in
            back { sender in
                sender.taking = false
                guard case .success(let due) = result else { return }
                for message in sender.messages(due) { sender.send(message) }
            }
        }
    }

    /// One message per notification, or (a digest) per user and address.
    private func messages(_ due: [EmailDue]) -> [[EmailDue]] {
        guard settings.digestMilliseconds > 0 else { return due.map { [$0] } }
        var byUser: [String: [EmailDue]] = [:]
        var order: [String] = []
        for d in due {
            let key = d.notification.userId + "\u{0}" + d.address
            if byUser[key] == nil { order.append(key) }
            byUser[key, default: []].append(d)
        }
        return order.compactMap { byUser[$0] }
    }

    private func send(_ group: [EmailDue]) {
        guard let first = group.first, let from = settings.from else { return }
        let ids = group.map(\.notification.id)
        let attempts = group.map(\.attempts).max() ?? 0
        let subject = group.count == 1 ? first.notification.title : "\(group.count) updates on your balance"
        let text = group.map { EmailText.body($0.notification, publicURL: publicURL) }.joined(separator: "\n\n")
        let host = from.split(separator: "@").last.map(String.init) ?? "livehub"
        guard let message = EmailMessage(from: from, to: first.address, subject: subject, text: text,
                                         messageID: "<livehub-\(ids[0])-\(attempts + 1)@\(host)>", date: first.notification.createdAt) else {
            record(ids, outcome: "failed", detail: "the message could not be made (an address or a text LiveHub cannot send)", retryAt: nil)
            return
        }
        inFlight += 1
        client.send(message) { [unowned self] result in
            inFlight -= 1
            switch result {
            case .success:
                record(ids, outcome: "sent", detail: nil, retryAt: nil)
            case .failure(let error):
                let retry = error.isRetryable && attempts + 1 < Self.maxAttempts
                let wait = Int64(5_000) << min(attempts, 10)
                record(ids, outcome: retry ? "retry" : "failed", detail: String(error.description.prefix(500)),
                       retryAt: retry ? clockNow() + wait : nil)
            }
        }
    }

    private func clockNow() -> Int64 { SystemClock().nowMilliseconds }

    private func record(_ ids: [Int64], outcome: String, detail: String?, retryAt: Int64?) {
        metrics.email(outcome)
        if outcome != "sent" { Self.logger.warning("notification email not sent", metadata: ["outcome": "\(outcome)", "detail": "\(detail ?? "")"]) }
        money.submit(RecordEmailAttempt(ids: ids, outcome: outcome, detail: detail, retryAt: retryAt))
    }
}

/// A notification as an email's text: its title, message, link and time.
enum EmailText {
    static func body(_ n: UserNotification, publicURL: String?) -> String {
        var lines = [n.title, n.message]
        if let link = n.link { lines.append((link.hasPrefix("/") ? (publicURL ?? "") : "") + link) }
        lines.append(Timestamp.iso8601(milliseconds: n.createdAt))
        return lines.joined(separator: "\n")
    }
}

/// `/metrics` for notifications and their emails.
final class EmailMetrics: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func email(_ outcome: String) { counts.withLock { $0["email\u{0}" + outcome, default: 0] += 1 } }
    func notification(pushed: Bool) { counts.withLock { $0["notification\u{0}" + (pushed ? "pushed" : "inbox_only"), default: 0] += 1 } }

    func render() -> String {
        let c = counts.withLock { $0 }
        var out = "# HELP livehub_notifications_total Notifications written, by whether they were pushed live.\n# TYPE livehub_notifications_total counter\n"
        for how in ["pushed", "inbox_only"] { out += "livehub_notifications_total{delivery=\"\(how)\"} \(c["notification\u{0}" + how] ?? 0)\n" }
        out += "# HELP livehub_notification_emails_total Attempts to email notifications, by outcome.\n# TYPE livehub_notification_emails_total counter\n"
        for outcome in ["sent", "retry", "failed"] { out += "livehub_notification_emails_total{outcome=\"\(outcome)\"} \(c["email\u{0}" + outcome] ?? 0)\n" }
        return out
    }
}
