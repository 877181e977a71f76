/// How much of what fails verification the webhook log keeps: anyone can post to a
/// provider's URL, so deliveries whose signature does not verify are stored up to a row
/// and a byte budget per provider and clock hour, and past it only counted
/// (`livehub_webhook_unverified_not_stored_total`). Verified deliveries are always kept.
struct UnverifiedBudget {
    static let rowsPerHour = 60
    static let bytesPerHour = 128 * 1024

    private var spent: [String: (hour: Int64, rows: Int, bytes: Int)] = [:]

    /// Whether a delivery of `bytes` for `provider` at `now` (ms) may be stored; if so it is counted.
    mutating func take(provider: String, bytes: Int, now: Int64) -> Bool {
        let hour = now / 3_600_000
        var current = spent[provider].flatMap { $0.hour == hour ? $0 : nil } ?? (hour: hour, rows: 0, bytes: 0)
        guard current.rows < Self.rowsPerHour, current.bytes + bytes <= Self.bytesPerHour else { return false }
        current.rows += 1
        current.bytes += bytes
        // Providers are the hub's own few names: the table stays that small.
        spent[provider] = current
        return true
    }
}
