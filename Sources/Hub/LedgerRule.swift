/// What a ledger write comes to.
public enum LedgerOutcome {
    /// A new transaction, for the caller to write.
    case new(LedgerTransaction)
    /// The reference was seen before, for the same user, amount and type: a retry; the
    /// original, unchanged.
    case existing(LedgerTransaction)
    /// The reference was used before for another user, amount or type.
    case conflict(LedgerTransaction)
    /// The balance would leave ±`Money.limit`.
    case outOfRange
}

/// The ledger's rule, wherever its state is kept (the records database, or a v2 data dir's
/// journal replayed by `LegacyImport`).
public enum LedgerRule {
    /// A reference seen before is a retry (same user, amount, type) or a conflict;
    /// otherwise the new entry, if the balance stays within ±`Money.limit`.
    public static func decide(existing: LedgerTransaction?, balance before: Money, lastSeq: Int64, nextID: Int64,
                              userId: String, amount: Money, kind: LedgerTransaction.Kind, description: String,
                              service: String?, reference: String, paymentReference: String?, now: Int64) -> LedgerOutcome {
        if let original = existing {
            return original.sameRequest(userId: userId, amount: amount, kind: kind) ? .existing(original) : .conflict(original)
        }
        let after = before + Money(minorUnits: kind.sign * amount.minorUnits)
        guard after.minorUnits.magnitude <= Money.limit.minorUnits.magnitude else { return .outOfRange }
        let transaction = LedgerTransaction(
            id: nextID, userId: userId, amount: amount, kind: kind, description: description,
            service: service, reference: reference, createdAt: now, balanceAfter: after, userSeq: lastSeq + 1,
            paymentReference: paymentReference)
        return .new(transaction)
    }
}
