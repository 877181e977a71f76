import SMTP

/// `--smtp-url`, `--smtp-from`, `--email-digest`: where notification emails go and how.
public struct EmailSettings: Sendable {
    public var smtpURL: SMTPURL?
    public var from: String?
    /// A user's emails wait this long and go as one message (0: each at once).
    public var digestMilliseconds: Int64 = 0

    public init() {}

    public var isConfigured: Bool { smtpURL != nil && from != nil }
}
