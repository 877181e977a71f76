/// What a user wants to hear about, per kind and channel (seed 001's
/// `NotificationPreferences`: email_on_credit, push_on_debit, …, min_amount_notify). The
/// inbox always keeps every notification; these decide the live push (in-app) and the email.
public struct NotificationPreferences: Sendable, Equatable {
    public struct Choice: Sendable, Equatable {
        public var inApp: Bool
        public var email: Bool
        /// Below this amount, neither push nor email (the inbox still has it).
        public var minAmount: Money?

        public init(inApp: Bool, email: Bool, minAmount: Money? = nil) {
            self.inApp = inApp
            self.email = email
            self.minAmount = minAmount
        }
    }

    /// The user's choices by kind; `*` for every kind not named.
    public var byKind: [String: Choice]
    /// The user's email address, if given.
    public var email: String?

    public init(byKind: [String: Choice] = [:], email: String? = nil) {
        self.byKind = byKind
        self.email = email
    }

    /// How a notification of `kind` for `amount` goes out. `defaults`: the hub's (flags);
    /// `critical`: kinds the shop marked as always sent in-app and by email (when there is an address).
    public func channels(kind: String, amount: Money?, defaults: Choice, critical: Set<String>) -> (push: Bool, email: Bool) {
        if critical.contains(kind) { return (true, email != nil) }
        let choice = byKind[kind] ?? byKind["*"] ?? defaults
        if let minimum = choice.minAmount ?? defaults.minAmount, let amount, amount.minorUnits < minimum.minorUnits { return (false, false) }
        return (choice.inApp, choice.email && email != nil)
    }
}
