import Hub

/// How the money engine writes notifications (`--notification-templates`,
/// `--notify-in-app`, `--notify-email`, `--notification-min-amount`, `--critical-notifications`).
public struct NotificationSettings: Sendable {
    public var templates = NotificationTemplates()
    /// A user's channels when they chose nothing for a kind.
    public var defaults = NotificationPreferences.Choice(inApp: true, email: false)
    /// Kinds the shop marks critical: pushed and emailed whatever the user chose.
    public var critical: Set<String> = []
    /// `--email-digest`: a user's emails wait this long and go as one message (0: each at once).
    public var emailDigest: Int64 = 0

    public init() {}
}
