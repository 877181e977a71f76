import Hub

extension RecordsStore {
    /// Payments created since `since` (a report's window), counted by the database: the
    /// window may hold every payment ever made, and none of them is loaded. Amounts are
    /// summed per currency: what the provider said arrived where it said (a mismatch counts
    /// the money that came, not the price), else the shop's amount.
    public func paymentStats(since: Int64) throws(Failure) -> PaymentStats {
        var stats = PaymentStats()
        for row in try db.query("""
            SELECT state, CASE WHEN provider_amount_minor IS NOT NULL THEN coalesce(provider_currency, currency) ELSE currency END,
                count(*), sum(gap),
                sum(CASE WHEN confirmed_at IS NOT NULL OR status = 'credited' THEN coalesce(provider_amount_minor, amount_minor, 0) ELSE 0 END),
                sum(unmatched), sum(mismatch)
                FROM payments WHERE created_at >= $1 GROUP BY 1, 2
            """, [Self.time(since)]) {
            guard let state = row[0].text.flatMap(Payment.State.init(rawValue:)) else { continue }
            let count = Int(row[2].integer ?? 0)
            stats.total += count
            stats.byState[state, default: 0] += count
            stats.gaps += Int(row[3].integer ?? 0)
            stats.unmatched += Int(row[5].integer ?? 0)
            stats.mismatched += Int(row[6].integer ?? 0)
            let amount = row[4].integer ?? 0
            if amount != 0 { stats.amounts.add(Money(minorUnits: amount), currency: row[1].text ?? "") }
        }
        // Minutes from the provider's confirmation to the credit, for the payments credited
        // in the window (the times are ISO text in both backends, so they are read here).
        var waits: [Int64] = []
        for row in try db.query("""
            SELECT confirmed_at, credited_at FROM payments
                WHERE status = 'credited' AND confirmed_at IS NOT NULL AND credited_at IS NOT NULL AND created_at >= $1
            """, [Self.time(since)]) {
            if let confirmed = row[0].text.flatMap(Timestamp.parse), let credited = row[1].text.flatMap(Timestamp.parse) {
                waits.append(max(0, credited - confirmed))
            }
        }
        if !waits.isEmpty {
            waits.sort()
            let middle = waits.count / 2
            let median = waits.count % 2 == 1 ? Double(waits[middle]) : Double(waits[middle - 1] + waits[middle]) / 2
            stats.medianMinutesToCredit = median / 60_000
        }
        return stats
    }
}

/// Payments created in a window, counted.
public struct PaymentStats: Sendable, Equatable {
    public var total = 0
    public var byState: [Payment.State: Int] = [:]
    public var gaps = 0
    /// Money a provider confirmed for a reference nobody initialized, not yet resolved.
    public var unmatched = 0
    /// Payments the provider counts differently from the shop, not yet resolved.
    public var mismatched = 0
    /// The median wait from the provider's confirmation to the credit, nil with none credited.
    public var medianMinutesToCredit: Double?
    /// Confirmed or credited money, per currency ("" for payments that named none).
    public var amounts = CurrencyTotals()

    public init() {}
}
