/// A notice to a wallet user about money (seed 001: "Silent Deductions — NO notification sent
/// when credits are deducted"): one per ledger entry, per payment that failed, and per notice
/// a shop posts itself. Written in the same transaction as what it describes, so an
/// acknowledged write always has its notification; kept in the user's inbox until archived.
public struct UserNotification: Sendable, Equatable {
    public var id: Int64
    public var userId: String
    /// `credit_added`, `credit_deducted`, `instant_refund`, `payment_credited`,
    /// `payment_failed`, or a shop's own kind (`NotificationKind.isValid`).
    public var kind: String
    public var title: String
    public var message: String
    /// Where it leads (the transaction, the payment), a path on the hub or an absolute URL.
    public var link: String?
    public var amount: Money?
    public var currency: String?
    public var balanceAfter: Money?
    public var reference: String?
    public var transactionId: Int64?
    /// The user's ledger seq it came with (nil: not a ledger entry's).
    public var userSeq: Int64?
    public var createdAt: Int64
    public var readAt: Int64?
    public var archivedAt: Int64?
    /// Pushed live to the user's sockets (their preference and `min_amount` allowed it).
    public var pushed = true
    /// `pending` (queued for email), `sent`, `failed`, or nil (no email: off, no address, below the minimum).
    public var emailStatus: String?

    public init(id: Int64 = 0, userId: String, kind: String, title: String, message: String, link: String? = nil,
                amount: Money? = nil, currency: String? = nil, balanceAfter: Money? = nil, reference: String? = nil,
                transactionId: Int64? = nil, userSeq: Int64? = nil, createdAt: Int64) {
        self.id = id
        self.userId = userId
        self.kind = kind
        self.title = title
        self.message = message
        self.link = link
        self.amount = amount
        self.currency = currency
        self.balanceAfter = balanceAfter
        self.reference = reference
        self.transactionId = transactionId
        self.userSeq = userSeq
        self.createdAt = createdAt
    }

    public enum Status: String, Sendable, CaseIterable {
        case unseen, read, archived
    }

    public var status: Status { archivedAt != nil ? .archived : readAt != nil ? .read : .unseen }
}

/// The kinds the hub writes, and what a shop's own kind may be.
public enum NotificationKind {
    public static let creditAdded = "credit_added"
    public static let creditDeducted = "credit_deducted"
    public static let instantRefund = "instant_refund"
    public static let paymentCredited = "payment_credited"
    public static let paymentFailed = "payment_failed"
    public static let builtIn = [creditAdded, creditDeducted, instantRefund, paymentCredited, paymentFailed]

    /// A ledger entry's kind: a credit that pays a payment says so.
    public static func of(_ t: LedgerTransaction) -> String {
        switch t.kind {
        case .credit: t.paymentReference == nil ? creditAdded : paymentCredited
        case .refund: instantRefund
        case .debit, .smsPurchase: creditDeducted
        }
    }

    /// 1–64 of `a-z`, `0-9`, `_`, starting with a letter: safe in a URL, a log line and a template file.
    public static func isValid(_ kind: String) -> Bool {
        guard let first = kind.utf8.first, (0x61...0x7a).contains(first), kind.utf8.count <= 64 else { return false }
        return kind.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5f }
    }
}

extension UserNotification {
    /// A ledger entry's notification, made from its transaction: the kind, the amounts, the
    /// balance and the seq are all in the row, so it is not stored again (an acknowledged
    /// write has its notification because it has its row). Only what is about it beyond
    /// the row (read or archived one by one, not pushed, its email) has a row of its own.
    /// The words are the templates' as they are when it is read.
    public static func of(_ t: LedgerTransaction, templates: NotificationTemplates) -> UserNotification {
        let kind = NotificationKind.of(t)
        let reference = t.paymentReference ?? t.reference
        let words = templates.render(kind, amount: t.amount.description, balance: t.balanceAfter.description, reference: reference,
                                     description: t.description.isEmpty ? String(t.kind.rawValue.map { $0 == "_" ? " " : $0 }) : t.description)
        return UserNotification(id: t.id, userId: t.userId, kind: kind, title: words.title, message: words.message,
                                link: "/api/wallet/transactions/\(t.id)", amount: t.amount, balanceAfter: t.balanceAfter,
                                reference: reference, transactionId: t.id, userSeq: t.userSeq, createdAt: t.createdAt)
    }

    /// What a ledger entry's own row says of it (`pushed`, email, read, archived), over it.
    public mutating func take(stateOf row: UserNotification) {
        pushed = row.pushed
        emailStatus = row.emailStatus
        readAt = row.readAt ?? readAt
        archivedAt = row.archivedAt ?? archivedAt
    }
}
