import ArgumentParser
import Hub
import JSON
import LiveHubServer
import Money
import SMTP

/// Notifications to wallet users: their words and the hub's default channels.
struct NotificationOptions: ParsableArguments {
    @Option(help: "A JSON file of templates by kind, {\"credit_deducted\": {\"title\": …, \"message\": \"{amount} … {balance}\"}}, replacing the defaults.")
    var notificationTemplates: String?
    @Option(help: "Kinds always pushed and emailed, whatever the user chose (comma-separated), e.g. credit_deducted.")
    var criticalNotifications = ""
    @Option(help: "A user who chose nothing gets notifications pushed live: on or off.") var notifyInApp = "on"
    @Option(help: "A user who chose nothing (and gave an address) gets them by email: on or off.") var notifyEmail = "off"
    @Option(help: "Below this amount, notifications are kept in the inbox only (no push, no email), unless the user chose otherwise.")
    var notificationMinAmount: String?
    @Option(help: "Where notification emails go: smtps://user:pass@host:465 (implicit TLS), or smtp://host:25 (plain: a relay on this machine; credentials only to loopback). Or LIVEHUB_SMTP_URL.")
    var smtpUrl: String?
    @Option(help: "A file whose first line is --smtp-url.") var smtpUrlFile: String?
    @Option(help: "The From address of notification emails.") var smtpFrom: String?
    @Option(help: "A user's notification emails wait this long and go as one message (0: each at once), e.g. 15m.") var emailDigest = "0"

    func apply(to settings: inout NotificationSettings) throws {
        func onOff(_ text: String, _ flag: String) throws -> Bool {
            switch text {
            case "on": return true
            case "off": return false
            default: throw ValidationError("\(flag): expected on or off, got \(text)")
            }
        }
        settings.defaults.inApp = try onOff(notifyInApp, "--notify-in-app")
        settings.defaults.email = try onOff(notifyEmail, "--notify-email")
        if let text = notificationMinAmount {
            guard let amount = Money(decimal: text), amount.minorUnits >= 0 else {
                throw ValidationError("--notification-min-amount: expected an amount such as 1.00")
            }
            settings.defaults.minAmount = amount
        }
        let critical = criticalNotifications.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
        for kind in critical where !NotificationKind.isValid(kind) {
            throw ValidationError("--critical-notifications: \(kind) is not a kind (a-z, 0-9 and _)")
        }
        settings.critical = Set(critical)
        if let path = notificationTemplates { settings.templates = try Self.templates(path) }
    }

    func apply(to email: inout EmailSettings) throws {
        if let text = try ProviderOptions.key(smtpUrl, smtpUrlFile, "--smtp-url", "LIVEHUB_SMTP_URL") {
            guard let url = SMTPURL(text) else {
                throw ValidationError("--smtp-url: expected smtp://host:port or smtps://user:password@host:port")
            }
            if !url.implicitTLS, url.username != nil, !url.isLoopback {
                throw ValidationError("--smtp-url: a password goes in clear over smtp://; use smtps:// (or a relay on this machine)")
            }
            email.smtpURL = url
            guard let from = smtpFrom, EmailAddress(from) != nil else { throw ValidationError("--smtp-from: expected the From address, name@domain") }
            email.from = from
        } else if smtpFrom != nil {
            throw ValidationError("--smtp-from: give --smtp-url too")
        }
        if emailDigest != "0" { email.digestMilliseconds = try Serve.duration(emailDigest, "--email-digest").milliseconds }
    }

    /// The file's templates over the defaults: every kind an object of a title and a message.
    static func templates(_ path: String) throws -> NotificationTemplates {
        let read: [UInt8]?
        do { read = try FileBytes.read(path) } catch {
            throw ValidationError("--notification-templates: \(error)")
        }
        guard let bytes = read else { throw ValidationError("--notification-templates: \(path) does not exist") }
        guard bytes.count <= 1 << 20 else { throw ValidationError("--notification-templates: \(path) is over 1 MiB") }
        guard let json = try? JSONParser.parse(bytes), case .object(let kinds) = json else {
            throw ValidationError("--notification-templates: \(path) is not a JSON object of kinds")
        }
        var overrides: [String: NotificationTemplates.Template] = [:]
        for (kind, value) in kinds {
            guard NotificationKind.isValid(kind) else { throw ValidationError("--notification-templates: \(kind) is not a kind (a-z, 0-9 and _)") }
            guard let title = value["title"]?.scalarText, let message = value["message"]?.scalarText, !title.isEmpty,
                  title.utf8.count <= 200, message.utf8.count <= 2000 else {
                throw ValidationError("--notification-templates: \(kind) needs a title (at most 200 bytes) and a message (at most 2000)")
            }
            overrides[kind] = .init(title: title, message: message)
        }
        return NotificationTemplates(overrides: overrides)
    }
}
