/// The words of each kind's notification: a title and a message with `{amount}`,
/// `{balance}`, `{reference}` and `{description}` filled in. The defaults below; a shop
/// replaces any of them (`--notification-templates FILE`).
public struct NotificationTemplates: Sendable, Equatable {
    public struct Template: Sendable, Equatable {
        public var title: String
        public var message: String

        public init(title: String, message: String) {
            self.title = title
            self.message = message
        }
    }

    public var byKind: [String: Template]

    public static let defaults: [String: Template] = [
        NotificationKind.creditAdded: Template(title: "Credits added", message: "{amount} credits were added to your balance. Balance: {balance}."),
        NotificationKind.creditDeducted: Template(title: "Credits used", message: "{amount} credits were used for {description}. Balance: {balance}."),
        NotificationKind.instantRefund: Template(title: "Refund received", message: "{amount} credits were refunded to your balance. Balance: {balance}."),
        NotificationKind.paymentCredited: Template(title: "Payment credited", message: "Your payment {reference} was credited: {amount} credits. Balance: {balance}."),
        NotificationKind.paymentFailed: Template(title: "Payment failed", message: "Your payment {reference} did not go through: {description}."),
    ]

    public init(overrides: [String: Template] = [:]) {
        byKind = Self.defaults.merging(overrides) { $1 }
    }

    /// The kind's words with the values filled in (a placeholder without a value reads "").
    /// Values are put in as they are: the template is the shop's, the values are checked
    /// where they came in, and whoever shows the text escapes it.
    public func render(_ kind: String, amount: String?, balance: String?, reference: String?, description: String?) -> (title: String, message: String) {
        let template = byKind[kind] ?? Template(title: kind.replacingUnderscores, message: description ?? "")
        func fill(_ text: String) -> String {
            var out = ""
            var rest = Substring(text)
            while let open = rest.firstIndex(of: "{") {
                out += rest[..<open]
                rest = rest[open...]
                guard let close = rest.firstIndex(of: "}") else { break }
                switch rest[rest.index(after: rest.startIndex)..<close] {
                case "amount": out += amount ?? ""
                case "balance": out += balance ?? ""
                case "reference": out += reference ?? ""
                case "description": out += description ?? ""
                default: out += rest[...close]
                }
                rest = rest[rest.index(after: close)...]
            }
            return out + rest
        }
        return (fill(template.title), fill(template.message))
    }
}

extension String {
    fileprivate var replacingUnderscores: String {
        let spaced = String(map { $0 == "_" ? " " : $0 })
        return spaced.prefix(1).uppercased() + spaced.dropFirst()
    }
}
