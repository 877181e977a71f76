/// One ledger entry as stored and answered: the amount is positive, the type gives the
/// direction, `balanceAfter` is the user's balance once it applied.
public struct LedgerTransaction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case credit
        case smsPurchase = "sms_purchase"
        case debit
        case refund

        /// +1 adds to the balance, -1 takes from it.
        public var sign: Int64 {
            switch self {
            case .credit, .refund: return 1
            case .debit, .smsPurchase: return -1
            }
        }
    }

    public var id: Int64
    public var userId: String
    public var amount: Money
    public var kind: Kind
    public var description: String
    public var service: String?
    public var reference: String
    public var createdAt: Int64
    public var balanceAfter: Money
    /// This user's update number: 1, 2, 3… (the balance room's `seq`).
    public var userSeq: Int64
    /// The payment this entry credits: it is marked `credited` by the same write.
    public var paymentReference: String? = nil

    public init(id: Int64, userId: String, amount: Money, kind: Kind, description: String, service: String?, reference: String,
                createdAt: Int64, balanceAfter: Money, userSeq: Int64, paymentReference: String? = nil) {
        self.id = id
        self.userId = userId
        self.amount = amount
        self.kind = kind
        self.description = description
        self.service = service
        self.reference = reference
        self.createdAt = createdAt
        self.balanceAfter = balanceAfter
        self.userSeq = userSeq
        self.paymentReference = paymentReference
    }

    /// Whether a retry with this entry's reference asks for the same thing (a reused
    /// reference with another user, amount or type is a conflict, not a retry).
    public func sameRequest(userId: String, amount: Money, kind: Kind) -> Bool {
        self.userId == userId && self.amount == amount && self.kind == kind
    }

    public var status: String { "completed" }
    /// The signed change to the balance.
    public var delta: Money { Money(minorUnits: kind.sign * amount.minorUnits) }
}
