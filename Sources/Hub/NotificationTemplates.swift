/// The words of each kind's notification: a title and a message with `{amount}`,
/// `{balance}`, `{reference}` and `{description}` filled in. The defaults below; a shop
/// replaces any of them (`--notification-templates FILE`). Each template is cut into its
/// literal parts and placeholders once, so filling one in is a few appends per write.
public struct NotificationTemplates: Sendable, Equatable {
    public struct Template: Sendable, Equatable {
        public var title: String
        public var message: String

        public init(title: String, message: String) {
            self.title = title
            self.message = message
        }
    }

    public var byKind: [String: Template] {
        didSet { compiled = byKind.mapValues { (Self.compile($0.title), Self.compile($0.message)) } }
    }

    enum Part: Sendable, Equatable {
        case text(String)
        case amount, balance, reference, description
    }

    private var compiled: [String: ([Part], [Part])]

    public static let defaults: [String: Template] = [
        NotificationKind.creditAdded: Template(title: "Credits added", message: "{amount} credits were added to your balance. Balance: {balance}."),
        NotificationKind.creditDeducted: Template(title: "Credits used", message: "{amount} credits were used for {description}. Balance: {balance}."),
        NotificationKind.instantRefund: Template(title: "Refund received", message: "{amount} credits were refunded to your balance. Balance: {balance}."),
        NotificationKind.paymentCredited: Template(title: "Payment credited", message: "Your payment {reference} was credited: {amount} credits. Balance: {balance}."),
        NotificationKind.paymentFailed: Template(title: "Payment failed", message: "Your payment {reference} did not go through: {description}."),
    ]

    public init(overrides: [String: Template] = [:]) {
        let all = Self.defaults.merging(overrides) { $1 }
        byKind = all
        compiled = all.mapValues { (Self.compile($0.title), Self.compile($0.message)) }
    }

    public static func == (a: NotificationTemplates, b: NotificationTemplates) -> Bool { a.byKind == b.byKind }

    /// `{name}` for the four names; anything else (a lone brace, another name) stays as written.
    static func compile(_ text: String) -> [Part] {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            rest = rest[open...]
            guard let close = rest.firstIndex(of: "}") else { break }
            let name = rest[rest.index(after: rest.startIndex)..<close]
            let part: Part? = name == "amount" ? .amount : name == "balance" ? .balance : name == "reference" ? .reference
                : name == "description" ? .description : nil
            if let part {
                if !literal.isEmpty { parts.append(.text(literal)) }
                literal = ""
                parts.append(part)
            } else {
                literal += rest[...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.text(literal)) }
        return parts
    }

    /// The kind's words with the values filled in (a placeholder without a value reads "").
    /// Values are put in as they are: the template is the shop's, the values are checked
    /// where they came in, and whoever shows the text escapes it.
    public func render(_ kind: String, amount: String?, balance: String?, reference: String?, description: String?) -> (title: String, message: String) {
        guard let (title, message) = compiled[kind] else {
            return (String(kind.map { $0 == "_" ? " " : $0 }).capitalizingFirst, description ?? "")
        }
        func fill(_ parts: [Part]) -> String {
            var out = ""
            out.reserveCapacity(96)
            for part in parts {
                switch part {
                case .text(let text): out += text
                case .amount: out += amount ?? ""
                case .balance: out += balance ?? ""
                case .reference: out += reference ?? ""
                case .description: out += description ?? ""
                }
            }
            return out
        }
        return (fill(title), fill(message))
    }
}

extension String {
    fileprivate var capitalizingFirst: String { prefix(1).uppercased() + dropFirst() }
}
