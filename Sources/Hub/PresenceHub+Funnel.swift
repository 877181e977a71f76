extension PresenceHub {
    /// The checkout funnel of the sessions kept (active and recently ended) that started at
    /// or after `since` (milliseconds), as counts of: sessions, those that browsed a
    /// category, offer or product page (or began a checkout), began a checkout, began a
    /// payment, paid. Each session counts as its current state says (see
    /// `CheckoutFunnelCounts`).
    ///
    /// `since` counts from the start of its minute: the counts are kept per minute of a
    /// session's start, so a session that started earlier in that same minute counts too
    /// (a `since` on a whole minute is exact). The cost grows with the minutes held, not
    /// with the sessions.
    public func checkoutFunnel(since: Int64) -> [Int] {
        table.settledFunnel().totals(fromMinute: CheckoutFunnelCounts.minute(of: since))
    }
}
